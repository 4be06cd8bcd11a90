"""The one SLA sweep engine: reminds near-due cases and escalates overdue ones for every registered
lifecycle, exactly once per case, notice kind and deadline.

A lifecycle declares its plans (:class:`SweepPlan`: which clock, which state, which system action) and a
notice model with a unique constraint on (case, kind, deadline). The engine works set-based, a batch at a
time, in one transaction per batch:

1. select the due case ids (the SLA filter, minus those that already have this notice), once for the run
   and before any transaction: a plan with nothing due costs this one indexed query; on the stage clock of a
   :class:`~gridgov.cases.models.SweptCase` also minus the cases marked for their deadline, which is what a
   partial index holds (:mod:`gridgov.cases.marks`), so that the cases already swept are not even walked;
2. per batch of those ids, lock the rows (PostgreSQL: ``FOR UPDATE SKIP LOCKED`` — a row another sweep or a person holds is left
   for the next run) and re-check them under the lock, with the same filter;
3. insert the batch's notices in one statement: the unique constraint is the last word — if another sweep
   won a race the engine could not see (SQLite has no row locks), the batch rolls back and is taken again;
4. apply the action to the batch, the plan's mark set in the same UPDATE. An action declared as SQL
   (:meth:`gridgov.cases.engine.Lifecycle.set_based`) on a plan with no Python hooks of its own runs set-based
   end to end: the lock reads only the ids, the notices are ``INSERT … SELECT`` from the case rows, and
   :meth:`~gridgov.cases.engine.Lifecycle.perform_system_set` writes the log rows, the records and the cases
   in three statements and stages the digests by group — no model instance and no Python per case. Any other
   action: :meth:`~gridgov.cases.engine.Lifecycle.perform_system_batch` (the locked rows as instances, effects
   in memory, one bulk update, one bulk insert of log rows and statistics records, and the batch's share of the
   digests staged in the outbox, :mod:`gridgov.cases.digest`).

At the end of a lifecycle's run its digests are flushed: one notification per audience and action, not
per case. A run takes at most CASE_SWEEP_LIMIT cases a plan (settings.GRIDGOV), CASE_SWEEP_BATCH at a time.

So the cost per case is a share of a handful of statements, not a transaction and ~20 queries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value, prefetch_related_objects
from django.utils import timezone

from gridgov.cases import bulk, digest, marks, setwise, sla
from gridgov.cases.engine import Lifecycle, lifecycles
from gridgov.cases.models import SweptCase
from gridgov.core.oneof import one_of

log = logging.getLogger("gridgov.sweep")


@dataclass(frozen=True)
class SweepPlan:
    notice_kind: str
    action: str                     # the lifecycle's system action (who=system)
    state: str                      # sla.OVERDUE or sla.NEAR_DUE
    counter: str                    # the key of the count in the sweep's result
    deadline: str = "deadline"      # the clock: the stage deadline, or a second one (a letter's reply)
    warn_at: str = "warn_at"
    running: Callable[[], Q] | None = None          # default: the lifecycle's running_q()
    is_running: Callable[[object], bool] | None = None  # default: the lifecycle's is_running()
    params: Callable[[object], dict] | None = None  # the action's params for a case (e.g. its log note)
    # a clock that is not a pair of the case's columns (the 司法确认 window of a dispute's agreement):
    candidates: Callable[[datetime], QuerySet] | None = None  # the due cases not yet noticed of this kind
    still_due: Callable[[object, datetime], bool] | None = None  # re-checked on the locked row
    deadline_of: Callable[[object], datetime] | None = None  # the notice's deadline
    # default: (deadline, "pk") for the overdue, (warn_at, "pk") for the near-due — the column the range is on, so
    # that the index that answers the filter also gives the order (ordered by deadline, SQLite walks the deadline
    # index from now on, through every case not yet due, to find the near-due ones)
    order_by: tuple[str, ...] = ()
    related: tuple[str, ...] = ()  # read with the locked rows, besides the lifecycle's select_related
    # the title of the sweep's digest to each audience (gridgov.cases.digest), with %(count)d the cases
    digest: object = ""


def _running_q(lc: Lifecycle, plan: SweepPlan) -> Q:
    return plan.running() if plan.running else lc.running_q()


def due_q(lc: Lifecycle, plan: SweepPlan, now: datetime) -> Q:
    return sla.q(plan.state, _running_q(lc, plan), now, deadline=plan.deadline, warn_at=plan.warn_at)


def _still_due(lc: Lifecycle, plan: SweepPlan, case, now: datetime) -> bool:
    if plan.still_due is not None:
        return plan.still_due(case, now)
    running = plan.is_running(case) if plan.is_running else lc.is_running(case)
    return sla.state(getattr(case, plan.deadline), getattr(case, plan.warn_at), running, now) == plan.state


def _marked(lc: Lifecycle, plan: SweepPlan) -> bool:
    """The plan runs on the case's stage clock of a :class:`~gridgov.cases.models.SweptCase`: its due query
    leaves out the marked cases through the partial index, and its batch writes the mark."""
    return (plan.candidates is None and plan.deadline == "deadline" and plan.warn_at == "warn_at"
            and issubclass(lc.model, SweptCase))


def _marks_set(lc: Lifecycle, plan: SweepPlan) -> dict:
    """What the batch's UPDATE sets besides the action's fields: the plan's mark = the deadline swept for."""
    if not _marked(lc, plan):
        return {}
    return {marks.OVERDUE_MARK if plan.state == sla.OVERDUE else marks.NEAR_DUE_MARK: F(plan.deadline)}


def _due(lc: Lifecycle, plan: SweepPlan, now: datetime):
    if plan.candidates is not None:
        return plan.candidates(now)
    notices = lc.notice_model.objects.filter(**{lc.case_field: OuterRef("pk")}, kind=plan.notice_kind,
                                             deadline=OuterRef(plan.deadline))
    due = lc.model.objects.filter(due_q(lc, plan, now))
    if _marked(lc, plan):
        # the partial index's own predicate (gridgov.cases.marks), the same SQL: the planner can use that index
        due = due.filter(marks.overdue_unmarked() if plan.state == sla.OVERDUE else marks.near_due_unmarked())
    # the notices stay in the query: a case noticed for a deadline it has again (moved, then moved back) is
    # not taken, whatever its mark
    return due.exclude(Exists(notices))


def set_based(lc: Lifecycle, plan: SweepPlan) -> bool:
    """The plan's batch runs in SQL: its action is declared so (:meth:`Lifecycle.set_based`) and the plan has no
    Python hook of its own per case (a note, a re-check, candidates or a notice deadline of its own)."""
    return (lc.set_based(plan.action) and plan.params is None and plan.still_due is None
            and plan.candidates is None and plan.deadline_of is None)


def _set_batch(lc: Lifecycle, plan: SweepPlan, now: datetime, due: QuerySet, ids: list, order) -> int | None:
    """The batch of a :func:`set_based` plan (inside its transaction): lock and re-check with the due filter in
    one statement that returns only the ids, insert the notices from the case rows, then the action in SQL.
    None: the batch's first case says the action changes its rollup share after all (``recount=False`` is
    wrong), so the caller takes the batch through the instances, which count every case."""
    t = lc.transition(plan.action)
    if connection.vendor == "postgresql":
        # the foreign keys of what the batch writes (Django declares them DEFERRABLE INITIALLY DEFERRED) checked at
        # the end of each statement instead of all at COMMIT: the same checks, one per row and key either way, but
        # the deferred queue of 25,000 of them a batch cost more (200,000 cases: COMMIT 7.4 s deferred; 4.1 s more
        # in the statements immediate — docs/performance.md)
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    locked = (due.filter(one_of("pk", ids), status__in=t.sources).order_by(*order)
              .select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True))
    claimed = list(locked)
    if not claimed:
        return 0
    if not lc.set_based_share_kept(claimed[0], plan.action, now):
        return None
    case_id = lc.notice_model._meta.get_field(lc.case_field).attname
    noticed = setwise.insert_from(lc.notice_model, lc.model._base_manager.filter(one_of("pk", claimed)), {
        case_id: F("pk"), "kind": Value(plan.notice_kind), "deadline": F(plan.deadline)})
    if noticed != len(claimed):
        raise RuntimeError(f"{lc.kind} {plan.notice_kind}: {len(claimed)} cases, {noticed} notices")
    return lc.perform_system_set(claimed, plan.action, now, order=order, also=_marks_set(lc, plan))


def _order(plan: SweepPlan) -> tuple[str, ...]:
    return plan.order_by or (plan.warn_at if plan.state == sla.NEAR_DUE else plan.deadline, "pk")


def _batch(lc: Lifecycle, plan: SweepPlan, now: datetime, ids: list) -> int:
    """One batch in one transaction: the cases ``ids`` (listed due) locked, re-checked and swept; returns how
    many were swept."""
    due = _due(lc, plan, now)
    order = _order(plan)
    deadline_of = plan.deadline_of or (lambda c: getattr(c, plan.deadline))
    with transaction.atomic():
        if set_based(lc, plan):
            done = _set_batch(lc, plan, now, due, ids, order)
            if done is not None:
                return done
        locked = due.filter(one_of("pk", ids)).order_by(*order)
        locked = list(locked.select_for_update(skip_locked=True, of=("self",)))
        # the related rows (centers, regions, categories …): one query each for the batch, one instance per row
        # shared by its cases, instead of a join and a model instance per case
        prefetch_related_objects(locked, *lc.select_related, *plan.related)
        cases = [c for c in locked if _still_due(lc, plan, c, now)]
        if not cases:
            return 0
        case_id = lc.notice_model._meta.get_field(lc.case_field).attname
        bulk.insert(lc.notice_model, [{case_id: c.pk, "kind": plan.notice_kind, "deadline": deadline_of(c)}
                                      for c in cases])
        entries = lc.perform_system_batch(cases, plan.action, now, params_of=plan.params, also=_marks_set(lc, plan))
        return len(entries)


def batch_size() -> int:
    """CASE_SWEEP_BATCH, else 5,000 on PostgreSQL (a batch is a handful of statements whatever its size) and
    500 on SQLite (its statements are cut at 999 parameters)."""
    return settings.GRIDGOV.get("CASE_SWEEP_BATCH") or (5000 if connection.vendor == "postgresql" else 500)


def run_plan(lc: Lifecycle, plan: SweepPlan, now: datetime, limit: int | None = None, batch: int | None = None
             ) -> int:
    """The cases of ``plan`` due now, at most ``limit`` (default: the settings' CASE_SWEEP_LIMIT), swept in
    batches of CASE_SWEEP_BATCH; the rest is the next run's.

    Which cases are due is one indexed query for the run, outside any transaction (a sweep with nothing to do
    opens none); each batch re-checks its share under its lock. Listed once, not once a batch: a batch's UPDATE
    leaves its cases' old entries in the due index until VACUUM (and other sessions' snapshots may keep them
    there longer), so a due query per batch walked every earlier batch's entries again — 11.5 s of the 200,000
    case sweep (docs/performance.md)."""
    limit = settings.GRIDGOV["CASE_SWEEP_LIMIT"] if limit is None else limit
    batch = batch or batch_size()
    ids = list(_due(lc, plan, now).order_by(*_order(plan)).values_list("pk", flat=True)[:limit])
    swept = start = retries = 0
    while start < len(ids):
        try:
            swept += _batch(lc, plan, now, ids[start:start + batch])
        except IntegrityError:
            # another sweep claimed some of these between our query and our insert: take the batch again (its
            # re-check leaves out what the other sweep noticed)
            retries += 1
            if retries > 5:
                raise
            continue
        retries = 0  # a batch went through: a later race gets its own retries
        start += batch  # a batch held by someone else (or moved on) is left to the next run
    return swept


def sweep_lifecycle(lc: Lifecycle, now: datetime | None = None, limit: int | None = None) -> dict:
    """Every plan of ``lc``, then its digests (one notification per audience and action: what this run
    staged, and whatever a run that died before its flush left)."""
    now = now or timezone.now()
    counts = {plan.counter: 0 for plan in lc.sweeps}
    marked = 0
    for plan in lc.sweeps:
        swept = run_plan(lc, plan, now, limit)
        counts[plan.counter] += swept
        marked += swept if _marked(lc, plan) else 0
    digest.flush(lc)
    analyze_after = settings.GRIDGOV.get("CASE_SWEEP_ANALYZE_AFTER", 0)
    if analyze_after and marked >= analyze_after:
        try:
            refresh_statistics(lc.model)
        except DatabaseError as exc:  # the sweep's work is committed; fresher statistics are only a help
            log.warning("sweep: could not ANALYZE %s: %s", lc.model._meta.db_table, exc)
    return counts


def refresh_statistics(model) -> None:
    """ANALYZE the case table after a run that marked many of its cases. The planner's statistics still say
    those cases are to sweep, so until they are refreshed it judges the partial index of the cases still to
    sweep about to return them all and scans the table instead (PostgreSQL: 150–220 ms a no-op sweep over
    200,000 escalated cases, until autovacuum's ANALYZE; SQLite, which has no autovacuum, for good)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cur:
        if connection.vendor != "sqlite":
            cur.execute(f"ANALYZE {table}")
            return
        cur.execute("PRAGMA analysis_limit")
        limit = cur.fetchone()[0]
        cur.execute("PRAGMA analysis_limit = 1000")  # a sample of each index, not all of it
        try:
            cur.execute(f"ANALYZE {table}")
        finally:
            cur.execute(f"PRAGMA analysis_limit = {int(limit)}")


def sweep_all(now: datetime | None = None, limit: int | None = None) -> dict[str, dict]:
    """Every registered lifecycle's sweep (``manage.py case_sweep``); a lifecycle that fails is logged and
    reported in its counts, and the others still run."""
    now = now or timezone.now()
    out = {}
    for lc in lifecycles():
        try:
            out[lc.kind] = sweep_lifecycle(lc, now, limit)
        except Exception as exc:  # one lifecycle failing must not stop the others' reminders
            log.exception("the %s sweep failed", lc.kind)
            out[lc.kind] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
    return out

"""The one transition engine every lifecycle declares on.

A lifecycle is a :class:`Lifecycle` subclass: its models, a table of :class:`Transition` rows —
``(action → from states, to state, who may, guard, effect)`` — and a few hooks for what is truly its own
(who is notified, a many-to-many written after the row). The engine does the rest, the same way for all:

- :meth:`Lifecycle.perform` locks the case row, checks the state (409 ``invalid_state``), the actor
  (403 ``not_permitted``) and the guard (409 ``guard_failed``), requires the note where the row says so,
  applies the effect, writes the status, appends one log row, writes one :class:`TransitionRecord`
  (the statistics hook) and runs the after-transition hook — all in one transaction — and the
  after-commit hook once it has committed;
- :meth:`Lifecycle.allowed_actions` lists what an actor may do now (pages and API offer exactly these);
- :meth:`Lifecycle.open` writes a new case's first log row and record;
- :meth:`Lifecycle.perform_system_set` is the sweep's set-based form of ``perform`` for the system's own
  actions declared as SQL (a :class:`~gridgov.cases.setwise.SetEffect`, or none): a few statements a batch and
  no Python per case; :meth:`Lifecycle.perform_system_batch` the form for the others (effects in Python, on
  the batch's instances) — see :mod:`gridgov.cases.sweep`.

Effects get ``(case, actor, params, now)`` and return the log's ``data`` (or None). Keys starting with
``_`` are private: popped from the log data and handed to :meth:`Lifecycle.after_save` and
:meth:`Lifecycle.after_transition`. A :class:`~gridgov.cases.setwise.SetEffect` is such an effect too (it
evaluates its expressions for the case in one query).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Model, Q, Value, When
from django.db.models.functions import Coalesce, JSONObject, Left
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases import bulk, notify, numbers, setwise, signals, tally
from gridgov.cases.models import TransitionRecord
from gridgov.core.crypto import mask_phone
from gridgov.core.errors import Conflict, Forbidden, ValidationFailed
from gridgov.core.oneof import one_of

SYSTEM = None  # the actor of sweeps
log = logging.getLogger("gridgov.cases")


@dataclass(frozen=True)
class Citizen:
    """A member of the public, known by the phone number they reported or applied with."""

    phone: str
    role: str = "citizen"
    is_authenticated: bool = False

    @property
    def label(self) -> str:
        return f"群众 {mask_phone(self.phone)}"


def actor_label(actor) -> str:
    if actor is SYSTEM:
        return "系统"
    if isinstance(actor, Citizen):
        return actor.label
    return str(actor)


def actor_role(actor) -> str:
    if actor is SYSTEM:
        return "system"
    return str(getattr(actor, "role", "") or "")[:16]


def actor_user(actor):
    """The user to store on a log row (None for the system and for citizens)."""
    from gridgov.accounts.models import User

    return actor if isinstance(actor, User) else None


def system(actor, case) -> bool:
    """``who`` of the sweep's own actions."""
    return actor is SYSTEM


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: the status stays
    who: Callable[[object, Model], bool]
    needs_note: bool = False
    # a callable, the name of one in the lifecycle's ``effects``, or a setwise.SetEffect (the fields it sets
    # and its log data as SQL expressions: the sweep's batch then runs as a few statements, perform() evaluates
    # the same expressions for its one case)
    effect: str | Callable | None = None
    guard: Callable | None = None  # (case[, now]) -> a reason to refuse, or None
    # the case fields the effect writes, for the set-based system batch (bulk_update); "status" is implied
    writes: tuple[str, ...] = ()
    # the clock the statistics record judges this action against (a case may run a second one: a letter's reply)
    clock: str = "deadline"
    # an action taken for a department that is not the case's own (a 协办 department's 报到): ``(case, actor) ->
    # (department id, deadline)``, read before the effect, instead of department_id_of() and ``clock``
    concerns: Callable | None = None
    # False: the action changes nothing the case counts for in the rollups (no status, none of the fields its
    # share reads), so the sweep's batch does not compute the shares before and after — it checks the first
    # case of each batch and, if the shares differ after all, computes them for every case (and logs an error)
    recount: bool = True
    # the case columns (attnames, after the action) that alone decide who this action's messages tell: the
    # sweep's set-based batch asks the lifecycle's messages once per distinct tuple of them (one case of each),
    # not once per case, and counts the digests' audiences by group. Declare it only when it is true (a message
    # that depends on anything else — the log data, a related row — or texts a phone cannot be grouped)
    digest_by: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


class Lifecycle:
    """Declare a lifecycle by subclassing and setting the class attributes; register one instance."""

    kind: str = ""                     # event, dispute, petition … (the statistics records' kind)
    noun: str = ""                     # 事件, 纠纷, 信访件 — in the 403 message
    model: type[Model]
    log_model: type[Model]
    case_field: str = ""               # the log's (and notice's) foreign key to the case
    notice_model: type[Model] | None = None
    transitions: dict[str, Transition] = {}
    effects: dict[str, Callable] = {}
    open_statuses: tuple[str, ...] = ()
    select_related: tuple[str, ...] = ("center", "region")  # read with the locked row (only the case row is locked)
    guard_with_now: bool = False       # guards take (case, now)
    sweeps: tuple = ()                 # gridgov.cases.sweep.SweepPlan rows
    worklist_url: str = ""             # the worklist's URL name: the sweep's digests link to it, filtered
    closed_statuses: tuple[str, ...] = ()  # reaching one records closed_on_time against due_at
    live_statuses: tuple[str, ...] | None = None  # "open" for the statistics (default: open_statuses)
    tally_related: tuple[str, ...] = ("region",)  # read with each case when the rollups are recomputed
    reported_at_field = "created_at"   # the moment a case joins its cohort (the day it was reported)
    category_path = "category"         # the category's and the source's lookups, for counting the cases
    source_path = "source"

    # --- declaration helpers -----------------------------------------------------------------

    @property
    def human_actions(self) -> list[str]:
        """Actions people choose in the UI (the system's own are not offered)."""
        return [a for a, t in self.transitions.items() if t.who is not system]

    def running_q(self) -> Q:
        """The cases whose current stage deadline runs (SLA state is derived for these)."""
        return Q(status__in=self.open_statuses)

    def is_running(self, case) -> bool:
        return case.status in self.open_statuses

    # --- hooks -------------------------------------------------------------------------------

    def category_of(self, case) -> str:
        """The category or type the statistics record carries."""
        return ""

    def snapshot(self, case) -> dict:
        """What the after-transition hook needs from before the effect (e.g. the risk grade)."""
        return {}

    def log_fields(self, case, action: str) -> dict:
        """Extra columns of this lifecycle's log row."""
        return {}

    def after_save(self, case, private: dict) -> None:
        """Write what the case row cannot hold (many-to-many), after it is saved."""

    # --- the statistics (gridgov.cases.tally) -------------------------------------------------------

    def tally_counts(self, case) -> dict[str, int] | None:
        """What ``case`` counts for now, measure → 0/1 (:data:`gridgov.cases.models.TALLY_MEASURES`);
        None: this lifecycle keeps no rollups. A function of the case row alone, so that a recomputation
        from the cases gives what the transitions added up to."""
        return None

    def is_live(self, case) -> bool:
        """Open for the statistics (an :class:`~gridgov.cases.models.OpenCase` row): by default its status is
        one of ``live_statuses``; a lifecycle whose "open" is not a set of states says so here."""
        live = self.live_statuses if self.live_statuses is not None else self.open_statuses
        return case.status in live

    def share(self, case) -> tally.Share | None:
        counts = self.tally_counts(case)
        if counts is None:
            return None
        return tally.make_share(self, case, counts, self.is_live(case))

    def backfill_due(self, case) -> bool:
        """A case from before the 办结时限 existed: set ``due_at`` (and ``closed_on_time`` if closed) as this
        lifecycle would have; True if it did. By default nothing can be known."""
        return False

    def reported_at(self, case) -> datetime:
        return getattr(case, self.reported_at_field)

    def place_q(self, code: str) -> Q:
        """The cases whose place lies in the region or grid ``code`` (the rollups' :meth:`place_code`)."""
        if any(f.name == "grid" for f in self.model._meta.get_fields()):
            return Q(grid__code__startswith=code) | Q(grid__isnull=True, region__code__startswith=code)
        return Q(region__code__startswith=code)

    def place_code(self, case) -> str:
        grid = getattr(case, "grid", None)
        return grid.code if grid is not None else case.region.code

    def source_of(self, case) -> str:
        return getattr(case, "source", "") or ""

    def department_id_of(self, case) -> int | None:
        """The department a transition on ``case`` concerns (read before the effect)."""
        return None

    def department_flows(self, action: str, department_id: int | None, case, on_time: bool | None
                         ) -> tuple[int | None, tuple[str, ...]]:
        """``(department, measures)`` a transition counts for a department (DEPT_MEASURES); ``department_id``
        is :meth:`department_id_of` before the effect, ``case`` the case after it."""
        return None, ()

    # who is told what: ``(case, log row) -> [Message]`` (the lifecycle's notifications module), or override messages()
    messages_of: Callable | None = None

    def messages(self, case, entry, before: dict) -> list:
        """Who is told what about this transition (:class:`gridgov.cases.notify.Message` rows)."""
        return self.messages_of(case, entry) if self.messages_of is not None else []

    def batch_messages(self, cases: list, entries: list) -> list[list]:
        """The messages of a sweep's batch, a list per case (override to read what they need for the whole
        batch at once). The sweep does not send them: it counts their audiences into digests."""
        return [self.messages(case, entry, {}) for case, entry in zip(cases, entries, strict=True)]

    def after_transition(self, case, entry, private: dict, before: dict) -> None:
        """Runs inside the transaction, after the log row: sends :meth:`messages`."""
        notify.send(self.messages(case, entry, before))

    def after_commit(self, case, entry) -> None:
        """Runs once the transition's transaction has committed (never after a rollback): for what must
        not happen unless the transition stands — telling an outside system, warming a cache. (Notification
        rows are written inside the transaction and delivered after commit by :mod:`gridgov.core.notify`.)"""

    def after_system_batch(self, cases: list, entries: list) -> None:
        """The batch form of :meth:`after_transition`: who the batch's messages would tell is staged for the
        sweep's digests (:mod:`gridgov.cases.digest`: one notification per audience and sweep, not per case)."""
        from gridgov.cases import digest

        digest.stage(self, cases, entries, self.batch_messages(cases, entries))

    # --- the engine --------------------------------------------------------------------------

    def transition(self, action: str) -> Transition:
        try:
            return self.transitions[action]
        except KeyError:
            raise ValidationFailed(_("未知操作：%(action)s") % {"action": action},
                                   {"action": [_("未知操作")]}) from None

    def _guard_args(self, now) -> tuple:
        return (now or timezone.now(),) if self.guard_with_now else ()

    def check(self, case, action: str, actor, now: datetime | None = None) -> Transition:
        """Raise Conflict (409) when ``case``'s state does not allow ``action``, Forbidden (403) when
        ``actor`` may not take it, Conflict when its guard says no; else return the row."""
        t = self.transition(action)
        if case.status not in t.sources:
            raise Conflict(_("当前状态“%(status)s”下不能执行“%(action)s”")
                           % {"status": case.get_status_display(), "action": t.label}, code="invalid_state")
        if not t.who(actor, case):
            raise Forbidden(_("您无权对该%(noun)s执行“%(action)s”") % {"noun": self.noun, "action": t.label},
                            code="not_permitted")
        if t.guard is not None:
            reason = t.guard(case, *self._guard_args(now))
            if reason:
                raise Conflict(reason, code="guard_failed")
        return t

    def allowed_actions(self, case, actor, now: datetime | None = None) -> list[str]:
        """The human actions (in table order) that ``actor`` may take on ``case`` now."""
        args = self._guard_args(now)
        out = []
        for a in self.human_actions:
            t = self.transitions[a]
            if case.status in t.sources and t.who(actor, case) and (t.guard is None or not t.guard(case, *args)):
                out.append(a)
        return out

    def operations(self) -> tuple:
        """(check, allowed_actions, perform, transition): what a lifecycle's module names for its callers."""
        return self.check, self.allowed_actions, self.perform, self.transition

    def _effect(self, t: Transition) -> Callable | None:
        if not t.effect:
            return None
        return t.effect if callable(t.effect) else self.effects[t.effect]

    def lock(self, pk):
        """The case row, locked for the transaction (``FOR UPDATE OF`` the case's table only: the related
        rows read with it — centers, categories — are not the case's to lock, and may be outer joins)."""
        return self.model.objects.select_related(*self.select_related).select_for_update(of=("self",)).get(pk=pk)

    def perform(self, case, action: str, actor, params: dict | None = None, now: datetime | None = None):
        """Perform ``action`` on ``case`` as ``actor`` (a User, a Citizen, or SYSTEM); return the log row."""
        params = dict(params or {})
        now = now or timezone.now()
        with transaction.atomic():
            case = self.lock(case.pk)
            t = self.check(case, action, actor, now)
            note = (params.get("note") or "").strip()
            params["note"] = note
            if t.needs_note and not note:
                raise ValidationFailed(_("请填写说明"), {"note": [_("此操作需要填写说明")]})
            before = self.snapshot(case)
            share_before, department_before = self.share(case), self.department_id_of(case)
            from_status, deadline = case.status, getattr(case, t.clock)
            if t.concerns is not None:
                department_before, deadline = t.concerns(case, actor)
            effect = self._effect(t)
            data = (effect(case, actor, params, now) or {}) if effect else {}
            private = {k: data.pop(k) for k in [k for k in data if k.startswith("_")]}
            if t.target is not None:
                case.status = t.target
            self._mark_closing(case, from_status, now)
            case.save()
            self.after_save(case, private)
            entry = self._log(case, action, actor, from_status, note, data, now)
            on_time = None if deadline is None else now <= deadline
            department, flows = self.department_flows(action, department_before, case, on_time)
            record(self, case, action, from_status, actor, deadline, now, department, flows)
            tally.apply(self, case.pk, share_before, self.share(case),
                        [(timezone.localdate(now), department, m) for m in flows] if department else ())
            self.after_transition(case, entry, private, before)
            signals.transitioned.send(sender=type(self), lifecycle=self, case=case, entry=entry)
            transaction.on_commit(lambda: self.after_commit(case, entry))
        return entry

    def open(self, case, actor, now: datetime, action: str = "report", data: dict | None = None,
             before: dict | None = None, number_prefix: str = "", fill: Callable[[], None] | None = None):
        """Write a new case (its first status and stage already set by the caller), its first log row
        and record, and run the after-transition hook.

        With ``number_prefix`` the case is numbered here (:func:`gridgov.cases.numbers.next_number`), as late
        as possible: the day's number and the day's rollups are rows every new case of the city writes, and
        their row locks last until commit, so they are written after everything that is the case's own
        (the case row under a provisional number, its first log row, ``fill()`` — its attachments, parties —
        ), and only what must carry the number (the record, the messages) follows them."""
        if number_prefix:
            case.number = numbers.provisional()
        case.save()
        entry = self._log(case, action, actor, "", "", data or {}, now)
        if fill is not None:
            fill()
        # --- from here on, rows shared by every new case: keep this part short
        tally.apply(self, case.pk, None, self.share(case), new=True)
        if number_prefix:
            case.number = numbers.next_number(timezone.localdate(now), number_prefix)
            type(case).objects.filter(pk=case.pk).update(number=case.number)
        record(self, case, action, "", actor, None, now)
        self.after_transition(case, entry, {}, before or {})
        signals.transitioned.send(sender=type(self), lifecycle=self, case=case, entry=entry, opened=True)
        transaction.on_commit(lambda: self.after_commit(case, entry))
        return entry

    def _mark_closing(self, case, from_status: str, now: datetime) -> None:
        """Record at close whether the case met its 办结时限; forget it when the case is reopened."""
        if case.status in self.closed_statuses:
            if from_status not in self.closed_statuses:
                case.closed_on_time = None if case.due_at is None else now <= case.due_at
        elif from_status in self.closed_statuses:
            case.closed_on_time = None

    def _log(self, case, action, actor, from_status, note, data, now):
        return self.log_model.objects.create(
            **{self.case_field: case}, actor=actor_user(actor), actor_label=actor_label(actor), action=action,
            from_status=from_status, to_status=case.status, note=note, data=data, created_at=now,
            **self.log_fields(case, action),
        )

    def perform_system_batch(self, cases: list, action: str, now: datetime, params_of: Callable | None = None,
                             also: dict | None = None) -> list:
        """``perform(case, action, SYSTEM)`` for many locked cases at once, set-based: the effects run in
        memory, then one grouped update of the written fields, one insert of the log rows and one of the records
        (:func:`gridgov.cases.bulk.insert`: one statement each on PostgreSQL), and one call of
        :meth:`after_system_batch`; the log rows returned carry no ids. For the sweep's actions only (no guard, the system as
        actor, the log's note from ``params_of(case)["note"]`` if any); the caller holds the row locks and
        has checked the state. ``also``: column → expression set on the same rows in the same UPDATE (the sweep's
        mark, ``F("deadline")``: SQL reads the row as it was before the statement)."""
        t = self.transition(action)
        effect = self._effect(t)
        # a SetEffect: its expressions for the whole batch in one query, not one a case
        evaluated = (effect.evaluate(self.model, [c.pk for c in cases if c.status in t.sources])
                     if isinstance(effect, setwise.SetEffect) else None)
        rows, logs, records = [], [], []
        delta = tally.Delta()
        recount = t.recount or t.target is not None
        for case in cases:
            if case.status not in t.sources:
                continue
            share_before = self.share(case) if recount or not rows else None
            from_status, deadline = case.status, getattr(case, t.clock)
            params = dict(params_of(case) if params_of else {})
            note = params.setdefault("note", "")
            if evaluated is not None:
                data = effect.apply(case, evaluated[case.pk])
            else:
                data = (effect(case, SYSTEM, params, now) or {}) if effect else {}
            for k in [k for k in data if k.startswith("_")]:
                data.pop(k)
            if t.target is not None:
                case.status = t.target
            self._mark_closing(case, from_status, now)
            if recount:
                delta.change(self.kind, case.pk, share_before, self.share(case))
            elif not rows and share_before != self.share(case):  # the declaration is wrong: count every case
                log.error("%s %s is declared recount=False but changed a case's share", self.kind, action)
                recount = True
                delta.change(self.kind, case.pk, share_before, self.share(case))
            rows.append(case)
            logs.append(self.log_model(**{self.case_field: case}, actor=None, actor_label=actor_label(SYSTEM),
                                       action=action, from_status=from_status, to_status=case.status, note=note,
                                       data=data, created_at=now, **self.log_fields(case, action)))
            records.append(_record_values(self, case, action, from_status, SYSTEM, deadline, now))
        if not rows:
            return []
        fields = list(t.writes) + (["status", "closed_on_time"] if t.target is not None else [])
        if isinstance(effect, setwise.SetEffect):
            fields += [f for f in effect.sets if f not in fields]
        if any(f.name == "updated_at" for f in self.model._meta.concrete_fields):
            written = timezone.now()  # the wall clock, as save() would (``now`` is the sweep's reference time)
            for case in rows:
                case.updated_at = written
            fields.append("updated_at")
        write_grouped(self.model, rows, fields, also)
        bulk.insert(self.log_model, [bulk.row_of(entry) for entry in logs])  # the log rows get no ids here
        bulk.insert(TransitionRecord, records)
        delta.write()
        self.after_system_batch(rows, logs)
        return logs

    # --- the set-based batch (a SetEffect, or no effect) -----------------------------------------------

    def set_based(self, action: str) -> bool:
        """``action`` can be swept by :meth:`perform_system_set`: its effect is SQL (a SetEffect) or none, it keeps
        the status, changes no rollup share (``recount=False``), concerns the case's own department, says what its
        digests are grouped by (``digest_by``), and the lifecycle adds no log columns of its own."""
        t = self.transition(action)
        effect = self._effect(t)
        return ((effect is None or isinstance(effect, setwise.SetEffect)) and t.target is None
                and not t.recount and bool(t.digest_by) and t.concerns is None
                and type(self).log_fields is Lifecycle.log_fields)

    def set_based_share_kept(self, pk, action: str, now: datetime) -> bool:
        """The check of ``recount=False`` on a batch's first case (as :meth:`perform_system_batch` does it): its
        rollup share before and after the effect, in memory. False (and an error logged) when they differ: the
        declaration is wrong, and the batch must count every case (:meth:`perform_system_batch`)."""
        t = self.transition(action)
        case = self.model.objects.select_related(*self.tally_related).get(pk=pk)
        before = self.share(case)
        if before is None:
            return True
        effect = self._effect(t)
        if isinstance(effect, setwise.SetEffect):
            effect(case, SYSTEM, {}, now)
        if before == self.share(case):
            return True
        log.error("%s %s is declared recount=False but changed a case's share", self.kind, action)
        return False

    def perform_system_set(self, ids: list, action: str, now: datetime, order: tuple[str, ...] = ("pk",),
                           also: dict | None = None) -> int:
        """``perform(case, action, SYSTEM)`` for the locked cases ``ids``, in SQL (:meth:`set_based` actions): one
        ``INSERT … SELECT`` of the log rows, one of the statistics records, one ``UPDATE … FROM`` of the cases
        (the effect's fields, ``also`` and ``updated_at``), every value computed by the database from the rows as
        they were; then the batch's share of the digests, the lifecycle's messages asked once per distinct
        ``digest_by`` tuple (:func:`gridgov.cases.digest.stage_set`). Returns the number of cases. The caller
        holds the row locks and has checked the state; ``order`` is the cases' order in the digests' numbers."""
        t = self.transition(action)
        effect = self._effect(t) or setwise.SetEffect()
        cases = self.model._base_manager.filter(one_of("pk", ids))
        to_status = F("status") if t.target is None else Value(t.target)
        log_case = self.log_model._meta.get_field(self.case_field).attname
        logged = setwise.insert_from(self.log_model, cases, {
            log_case: F("pk"), "actor_id": None, "actor_label": actor_label(SYSTEM), "action": action,
            "from_status": F("status"), "to_status": to_status, "note": "", "data": JSONObject(**effect.data),
            "created_at": Value(now)})
        on_time = Case(When(**{f"{t.clock}__isnull": True}, then=Value(None, output_field=BooleanField())),
                       default=ExpressionWrapper(Q(**{f"{t.clock}__gte": now}), output_field=BooleanField()))
        recorded = setwise.insert_from(TransitionRecord, cases, {
            "kind": self.kind, "case_id": F("pk"), "number": F("number"), "region_id": F("region_id"),
            "center_id": F("center_id"), "category": Left(Coalesce(F(self.category_path), Value("")), 32),
            "action": action, "from_status": F("status"), "to_status": to_status, "actor_role": actor_role(SYSTEM),
            "department_id": None, "flows": "", "on_time": on_time, "at": Value(now)})
        values = {**effect.sets, **(also or {})}
        if any(f.name == "updated_at" for f in self.model._meta.concrete_fields):
            values["updated_at"] = Value(timezone.now())  # the wall clock, as save() would
        updated = setwise.update_from(self.model, cases, values) if values else len(ids)
        if not logged == recorded == updated == len(ids):
            raise RuntimeError(f"{self.kind} {action}: {len(ids)} cases, {logged} log rows, {recorded} records, "
                               f"{updated} updated")
        from gridgov.cases import digest

        digest.stage_set(self, t, ids, order)
        return len(ids)


def write_grouped(model, rows: list, fields: list[str], also: dict | None = None) -> None:
    """Write ``fields`` of ``rows``: one ``UPDATE … SET … WHERE id IN (…)`` per distinct tuple of values (a
    sweep's batch writes few: the escalation target is the parent of a handful of centers), instead of
    Django's ``bulk_update``, whose ``CASE WHEN id = … THEN …`` per row and field costs far more to build than
    to run. Values that cannot be grouped (a JSON value), or as many groups as rows: ``bulk_update`` (after
    ``also`` in one UPDATE before it, so that its expressions read the old values in both paths). ``also``: column → expression, the same for every row (set in each UPDATE)."""
    also = also or {}
    attnames = [model._meta.get_field(f).attname for f in fields]
    groups: dict = {}
    try:
        for row in rows:
            groups.setdefault(tuple(getattr(row, a) for a in attnames), []).append(row.pk)
    except TypeError:  # an unhashable value
        groups = {}
    if not groups or len(groups) * 4 > len(rows) + 4:
        if also:  # first: its expressions read the columns as they were, as in the grouped UPDATE below
            model.objects.filter(pk__in=[row.pk for row in rows]).update(**also)
        if fields:
            model.objects.bulk_update(rows, fields)
        return
    for values, ids in groups.items():
        model.objects.filter(pk__in=ids).update(**dict(zip(attnames, values, strict=True)), **also)


# --- the statistics hook ----------------------------------------------------------------------

def _record_values(lc: Lifecycle, case, action, from_status, actor, deadline, now, department=None, flows=()
                   ) -> dict:
    return dict(
        kind=lc.kind, case_id=case.pk, number=case.number, region_id=case.region_id, center_id=case.center_id,
        category=(lc.category_of(case) or "")[:32], action=action, from_status=from_status or "",
        to_status=case.status, actor_role=actor_role(actor), department_id=department,
        flows=",".join(flows) if department else "",
        on_time=None if deadline is None else now <= deadline, at=now,
    )


def _record_row(lc: Lifecycle, case, action, from_status, actor, deadline, now, department=None, flows=()
                ) -> TransitionRecord:
    return TransitionRecord(**_record_values(lc, case, action, from_status, actor, deadline, now, department, flows))


def record(lc: Lifecycle, case, action, from_status, actor, deadline, now, department=None, flows=()
           ) -> TransitionRecord:
    """Write the one statistics record of a transition (called by the engine, never by a lifecycle)."""
    row = _record_row(lc, case, action, from_status, actor, deadline, now, department, flows)
    row.save()
    return row


# --- the registry of lifecycles ---------------------------------------------------------------

_lifecycles: dict[str, Lifecycle] = {}


def register(lc: Lifecycle) -> Lifecycle:
    _lifecycles[lc.kind] = lc
    return lc


def lifecycles() -> Iterable[Lifecycle]:
    return list(_lifecycles.values())


def lifecycle(kind: str) -> Lifecycle:
    return _lifecycles[kind]

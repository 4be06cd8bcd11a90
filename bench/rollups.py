"""The statistics rollups of a generated benchmark base, filled set-based (a benchmark fixture, not a test).

    .venv/bin/python bench/rollups.py                 # rebuild the rollups of bench/out/bench.sqlite3 in SQL
    .venv/bin/python bench/rollups.py --check         # … and prove them equal to the engine's recomputation
    .venv/bin/python bench/rollups.py --python        # the kernel's own rebuild (tally.rebuild), timed
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_bench_stats .venv/bin/python bench/rollups.py --check

bench/generate.py writes events, their log rows and their statistics records directly (for volume), so
the rollups the engine keeps with every transition (:mod:`gridgov.cases.tally`: ``Tally``, ``TallyMix``,
``OpenCase``, ``DeptTally``) must be filled afterwards. The kernel's own way is
``tally.rebuild(lifecycles())``: every case's share recomputed in Python, then upserted — minutes and
gigabytes of memory at 2,000,000 events. :func:`rebuild_sql` writes the same rows with a few
``INSERT … SELECT … GROUP BY`` statements: the event lifecycle's ``tally_counts`` as SQL expressions over
the events table, the department flows as ``LIKE`` tests over the records' ``flows``.

It is the bench's, not the application's: it knows the event lifecycle only (the generator writes no
dispute or petition; it refuses a base that has some). :func:`check` is its proof: on the base at hand,
what the tables hold after :func:`rebuild_sql` equals ``tally.expected(tally.recompute(lifecycles()))``
row for row (``tally.stored()``) — run it on a small base (``generate.py --events 20000``); at 2,000,000
the recomputation alone takes minutes.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

# the SQL form of EventLifecycle.tally_counts (gridgov/events/workflow.py); center level 4 township,
# 3 county, ≤ 2 city — each a 0/1 per event. IN_GRID: closed by the grid (on the spot, no department after)
IN_GRID = "(e.status = 'closed' AND e.resolved_on_spot AND e.lead_department_id IS NULL)"
EVENT_COUNTS = {
    "reported": "1",
    "valid": "CASE WHEN e.status NOT IN ('reported', 'rejected', 'merged') THEN 1 ELSE 0 END",
    "dispatched": "CASE WHEN e.lead_department_id IS NOT NULL OR e.return_count > 0 OR e.rework_count > 0"
                  " OR (e.reopen_count > 0 AND (NOT e.resolved_on_spot OR EXISTS (SELECT 1 FROM"
                  " events_event_involved_departments i WHERE i.event_id = e.id))) THEN 1 ELSE 0 END",
    "closed": "CASE WHEN e.status = 'closed' THEN 1 ELSE 0 END",
    "closed_on_time": "CASE WHEN e.status = 'closed' AND e.closed_on_time THEN 1 ELSE 0 END",
    "reworked": "CASE WHEN e.rework_count > 0 THEN 1 ELSE 0 END",
    "extended": "CASE WHEN e.extension_count > 0 THEN 1 ELSE 0 END",
    "returned": "CASE WHEN e.return_count > 0 THEN 1 ELSE 0 END",
    "rated": "CASE WHEN e.rating <> '' THEN 1 ELSE 0 END",
    "satisfied": "CASE WHEN e.rating IN ('satisfied', 'basically') THEN 1 ELSE 0 END",
    "resolved_grid": f"CASE WHEN {IN_GRID} THEN 1 ELSE 0 END",
    "resolved_township": f"CASE WHEN e.status = 'closed' AND NOT {IN_GRID} AND c.level = 4 THEN 1 ELSE 0 END",
    "resolved_county": f"CASE WHEN e.status = 'closed' AND NOT {IN_GRID} AND c.level = 3 THEN 1 ELSE 0 END",
    "resolved_city": f"CASE WHEN e.status = 'closed' AND NOT {IN_GRID} AND c.level <= 2 THEN 1 ELSE 0 END",
    "succeeded": "0",
    "reply_due": "0",
    "replied_on_time": "0",
}
SHARE_TABLE = "bench_event_share"


def _local_day(column: str, month: bool = False) -> str:
    """SQL for the local (settings.TIME_ZONE) date of a UTC timestamp column, or the first of its month."""
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    if connection.vendor == "postgresql":
        local = f"({column} AT TIME ZONE '{settings.TIME_ZONE}')"
        return f"CAST(date_trunc('month', {local}) AS date)" if month else f"CAST({local} AS date)"
    # SQLite keeps UTC text: shift by the zone's offset, which must not change over the data's years
    zone = ZoneInfo(settings.TIME_ZONE)
    now = timezone.now()
    offsets = {(now - timedelta(days=d)).astimezone(zone).utcoffset() for d in range(-366, 3 * 366)}
    if len(offsets) != 1:
        raise SystemExit(f"{settings.TIME_ZONE} changes its UTC offset: the SQLite rebuild needs a fixed one")
    minutes = int(offsets.pop().total_seconds() // 60)
    return f"date({column}, '{minutes:+d} minutes'{', ' + repr('start of month') if month else ''})"


def _other_cases() -> int:
    from gridgov.cases.engine import lifecycles

    return sum(lc.model.objects.count() for lc in lifecycles() if lc.kind != "event")


def rebuild_sql() -> dict[str, int]:
    """Replace the rollups with their values computed in SQL from the events and their records."""
    from django.db import connection, transaction

    from gridgov.cases.models import DEPT_MEASURES, MIX_MEASURES, TALLY_MEASURES, DeptTally, OpenCase, Tally, TallyMix
    from gridgov.cases.tally import LEVEL_LENGTHS, MIX_LEVELS
    from gridgov.events.models import OPEN_STATUSES

    if _other_cases():
        raise SystemExit("the base has disputes or petitions: the SQL rebuild knows events only; use --python")
    q = connection.ops.quote_name
    tally_t, mix_t, open_t, dept_t = (q(m._meta.db_table) for m in (Tally, TallyMix, OpenCase, DeptTally))
    measures = ", ".join(f"{expr} AS {q(m)}" for m, expr in EVENT_COUNTS.items())
    open_in = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    with transaction.atomic(), connection.cursor() as cur:
        for t in (tally_t, mix_t, open_t, dept_t):
            cur.execute(f"DELETE FROM {t}")
        cur.execute(f"DROP TABLE IF EXISTS {SHARE_TABLE}")
        # one row per event: its place, report day and month, category, source and counts (its "share")
        cur.execute(
            f"CREATE TEMPORARY TABLE {SHARE_TABLE} AS SELECT e.id AS case_id, COALESCE(g.code, r.code) AS code, "
            f"{_local_day('e.created_at')} AS day, {_local_day('e.created_at', month=True)} AS month, "
            f"SUBSTR(k.code, 1, 32) AS category, SUBSTR(e.source, 1, 16) AS source, "
            f"CASE WHEN e.status IN ({open_in}) THEN 1 ELSE 0 END AS is_open, {measures} "
            "FROM events_event e JOIN regions_region r ON r.id = e.region_id "
            "JOIN regions_region c ON c.id = e.center_id JOIN events_category k ON k.id = e.category_id "
            "LEFT JOIN regions_grid g ON g.id = e.grid_id"
        )
        sums = ", ".join(f"SUM({q(m)})" for m in TALLY_MEASURES)
        cols = ", ".join(q(m) for m in TALLY_MEASURES)
        for level, n in LEVEL_LENGTHS.items():
            cur.execute(
                f"INSERT INTO {tally_t} (kind, level, code, day, {cols}) "
                f"SELECT 'event', {level}, SUBSTR(code, 1, {n}), day, {sums} FROM {SHARE_TABLE} "
                f"WHERE LENGTH(code) >= {n} GROUP BY SUBSTR(code, 1, {n}), day"
            )
        mix_sums = ", ".join(f"SUM({q(m)})" for m in MIX_MEASURES)
        mix_cols = ", ".join(q(m) for m in MIX_MEASURES)
        for level in MIX_LEVELS:
            n = LEVEL_LENGTHS[level]
            cur.execute(
                f"INSERT INTO {mix_t} (kind, level, code, month, category, source, {mix_cols}) "
                f"SELECT 'event', {level}, SUBSTR(code, 1, {n}), month, category, source, {mix_sums} "
                f"FROM {SHARE_TABLE} WHERE LENGTH(code) >= {n} "
                f"GROUP BY SUBSTR(code, 1, {n}), month, category, source"
            )
        # a group whose measures are all zero is no row (the engine's upsert skips all-zero deltas)
        cur.execute(f"DELETE FROM {mix_t} WHERE " + " AND ".join(f"{q(m)} = 0" for m in MIX_MEASURES))
        cur.execute(
            f"INSERT INTO {open_t} (kind, case_id, code, day, status, category, deadline, warn_at, due_at) "
            f"SELECT 'event', s.case_id, s.code, s.day, e.status, s.category, e.deadline, e.warn_at, e.due_at "
            f"FROM {SHARE_TABLE} s JOIN events_event e ON e.id = s.case_id WHERE s.is_open = 1"
        )
        flows = ", ".join(
            f"SUM(CASE WHEN (',' || flows || ',') LIKE '%%,{m},%%' THEN 1 ELSE 0 END)" for m in DEPT_MEASURES)
        dept_cols = ", ".join(q(m) for m in DEPT_MEASURES)
        cur.execute(
            f"INSERT INTO {dept_t} (kind, department_id, day, {dept_cols}) "
            f"SELECT kind, department_id, {_local_day('at')}, {flows} FROM cases_transitionrecord "
            f"WHERE department_id IS NOT NULL AND flows <> '' GROUP BY kind, department_id, {_local_day('at')}"
        )
        cur.execute(f"DROP TABLE {SHARE_TABLE}")
    return counts()


def counts() -> dict[str, int]:
    from gridgov.cases.models import DeptTally, OpenCase, Tally, TallyMix

    return {"tally": Tally.objects.count(), "mix": TallyMix.objects.count(), "dept": DeptTally.objects.count(),
            "open": OpenCase.objects.count()}


def rebuild_python() -> dict[str, int]:
    """The kernel's own rebuild (every case's share recomputed in Python, then upserted)."""
    from gridgov.cases import tally
    from gridgov.cases.engine import lifecycles

    return tally.rebuild(lifecycles())


def check() -> dict:
    """Prove the rollups in the tables equal the engine's recomputation; exit non-zero at the first
    difference. Also checks a sample of events' 办结时限 against ``workflow.due_moment``."""
    from gridgov.cases import tally
    from gridgov.cases.engine import lifecycles
    from gridgov.events import workflow
    from gridgov.events.models import Event

    t = time.perf_counter()
    want = tally.expected(tally.recompute(lifecycles()))
    have = tally.stored()
    out = {"recompute_s": round(time.perf_counter() - t, 1)}
    bad = []
    for table in ("tally", "mix", "dept", "open"):
        w, h = want[table], have[table]
        out[table] = len(h)
        missing, extra = set(w) - set(h), set(h) - set(w)
        differ = [k for k in set(w) & set(h) if w[k] != h[k]]
        if missing or extra or differ:
            bad.append(f"{table}: {len(missing)} missing, {len(extra)} extra, {len(differ)} differ; e.g. "
                       f"{next(iter(missing or extra or differ))!r}")
    sample = list(Event.objects.select_related("category").order_by("?")[:2000])
    late = [e.number for e in sample if e.due_at != workflow.due_moment(e, e.created_at)]
    wrong = [e.number for e in sample if e.closed_on_time != (None if e.closed_at is None
                                                               else e.closed_at <= e.due_at)]
    if late or wrong:
        bad.append(f"due_at differs from due_moment for {late[:5]}; closed_on_time wrong for {wrong[:5]}")
    out["due_at_sample"] = len(sample)
    if bad:
        raise SystemExit("rollups differ from the recomputation:\n  " + "\n  ".join(bad))
    return out


def replay(n: int, seed: int = 11) -> dict:
    """Drive ``n`` generated events again through the real engine (``open_event`` and ``workflow.perform``
    at the logged moments, by the logged kind of actor), inside a transaction rolled back at the end, and
    compare what the engine wrote with what the generator wrote: the event's 办结时限, closed-on-time,
    stage and deadline, and every statistics record (action, states, actor role, department, flows,
    on time). Merged events are left out (their target has moved on since)."""
    from django.db import transaction

    from gridgov.accounts.models import Department, User
    from gridgov.cases.engine import Citizen
    from gridgov.cases.models import TransitionRecord
    from gridgov.events import workflow
    from gridgov.events.models import Event, EventLog

    rng = random.Random(seed)
    ids = list(Event.objects.exclude(status="merged").values_list("id", flat=True))
    sample = sorted(rng.sample(ids, min(n, len(ids))))
    ops = {u.region_id: u for u in User.objects.filter(role=User.Role.OPERATOR)}
    liaisons = {u.department_id: u for u in User.objects.filter(role=User.Role.LIAISON)}
    depts = {d.name: d for d in Department.objects.all()}
    rec_fields = ("action", "from_status", "to_status", "actor_role", "department_id", "flows", "on_time", "at")
    ev_fields = ("status", "due_at", "closed_on_time", "closed_at", "stage_started_at", "deadline", "warn_at",
                 "deadline_unit", "lead_department_id", "rating", "rework_count", "resolved_on_spot")
    bad = []
    with transaction.atomic():
        for pk in sample:
            old = Event.objects.select_related("category").get(pk=pk)
            logs = list(EventLog.objects.filter(event_id=pk).order_by("id"))
            reporter = (User.objects.get(pk=old.reporter_id) if old.reporter_id
                        else Citizen(old.reporter_phone))
            ev = Event(number=f"RP{pk:012d}", source=old.source, category=old.category, title=old.title,
                       description=old.description, lng=old.lng, lat=old.lat, address=old.address,
                       grid_id=old.grid_id, region_id=old.region_id, center_id=old.center_id, urgency=old.urgency,
                       people_involved=old.people_involved, reporter_id=old.reporter_id,
                       reporter_name=old.reporter_name, created_at=logs[0].created_at)
            ev.reporter_phone = old.reporter_phone
            workflow.open_event(ev, reporter, logs[0].created_at)
            for log in logs[1:]:
                ev = Event.objects.get(pk=ev.pk)
                params = {"note": log.note}
                if log.action == "dispatch":
                    params["lead_department"] = depts[log.data["lead_department"]]
                    params["assisting_departments"] = [depts[x] for x in log.data["assisting_departments"]]
                if log.action == "rate":
                    params["rating"] = log.data["rating"]
                if log.action in ("sign", "feedback"):
                    actor = liaisons[ev.lead_department_id]
                elif log.action in ("rate", "resolve_on_spot"):
                    actor = reporter
                else:
                    actor = ops[ev.center_id]
                workflow.perform(ev, log.action, actor, params, now=log.created_at)
            ev = Event.objects.get(pk=ev.pk)
            for f in ev_fields:
                if getattr(ev, f) != getattr(old, f):
                    bad.append(f"{old.number} {f}: engine {getattr(ev, f)!r}, generator {getattr(old, f)!r}")
            want = list(TransitionRecord.objects.filter(kind="event", case_id=ev.pk).order_by("id")
                        .values_list(*rec_fields))
            have = list(TransitionRecord.objects.filter(kind="event", case_id=pk).order_by("id")
                        .values_list(*rec_fields))
            if want != have:
                bad.append(f"{old.number} records: engine {want}, generator {have}")
        transaction.set_rollback(True)
    if bad:
        raise SystemExit(f"{len(bad)} differences between the engine and the generator:\n  " + "\n  ".join(bad[:20]))
    return {"replayed": len(sample)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", action="store_true", help="rebuild with the kernel's tally.rebuild instead")
    parser.add_argument("--check", action="store_true", help="then compare with tally.recompute (small bases)")
    parser.add_argument("--no-rebuild", action="store_true", help="only --check what the tables hold")
    parser.add_argument("--replay", type=int, default=0, metavar="N",
                        help="drive N generated events through the real engine and compare (rolled back)")
    args = parser.parse_args()
    url = benchlib.database_url()
    benchlib.setup_django(url)
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    if not args.no_rebuild:
        t = time.perf_counter()
        rows = rebuild_python() if args.python else rebuild_sql()
        print(f"rebuilt ({'tally.rebuild' if args.python else 'SQL'}) in {time.perf_counter() - t:.1f} s: {rows}")
    if args.check:
        print(f"equal to tally.recompute: {check()}")
    if args.replay:
        print(f"the engine writes what the generator wrote: {replay(args.replay)}")


if __name__ == "__main__":
    main()

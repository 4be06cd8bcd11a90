"""The SLA sweep at 200,000 cases (issue 13): one sweep of N overdue events, and the sweep with nothing to do.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_sweep_scale .venv/bin/python bench/sweep_scale.py
    .venv/bin/python bench/sweep_scale.py --cases 200000 --runs 1 --noop-runs 20   # SQLite: bench/out/sweep-scale.sqlite3

A benchmark, not a test. Per fresh run: an empty database (PostgreSQL: dropped and created; SQLite: a new
file), ``migrate``, the test city (gridgov.testing.make_city), one event reported, accepted and dispatched
through the services, then N-1 copies of it inserted set-based (one ``INSERT … SELECT`` over a recursive
counter), ANALYZE; then, with ``now`` two hours past the deadline:

* the floor: ``UPDATE events_event SET escalated_center_id = … WHERE id IN (…)`` of the same N rows, in the
  sweep's batch size, one transaction (then put back, so the sweep sees the rows as they were, and on PostgreSQL
  VACUUM ANALYZE, so that it sees the table as the floor did, without their dead versions);
* one sweep of every lifecycle (``gridgov.cases.sweep.sweep_all``): N escalations, N log rows, N notices, N
  statistics records, one digest per audience; checked: every case escalated once;
* the sweep again, nothing to do but N cases overdue and already escalated: 3 times straight after the sweep,
  (PostgreSQL) 3 times after ANALYZE alone, then after VACUUM ANALYZE; the plans of the two due queries at each
  point (PostgreSQL: EXPLAIN (ANALYZE, BUFFERS));
* the same N cases made not due (deadline a month ahead; PostgreSQL: VACUUM ANALYZE), then the sweep with nothing to do, ``--noop-runs``
  times (median, p95), and the due query's plan (EXPLAIN) printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
LATE = T0 + timedelta(hours=3)
SQLITE = benchlib.OUT_DIR / "sweep-scale.sqlite3"


def fresh_database(url: str) -> None:
    if benchlib.is_sqlite(url):
        path = benchlib.sqlite_path(url)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    name = url.rsplit("/", 1)[1]
    base = url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", base, "-qc", sql], check=True)


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def populate(n: int) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from gridgov.core import notify
    from gridgov.events import services
    from gridgov.events.models import Event
    from gridgov.events.taxonomy import install_default_categories
    from gridgov.testing import make_city

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - t
    t = time.perf_counter()
    city = make_city()
    install_default_categories()
    with notify.muted():
        data = services.EventInput(category="0301", description="路面有大量垃圾未清理", lng=116.005, lat=36.405)
        e = services.create_event(city.worker_a, data, now=T0)[0]
        services.perform_action(city.operator_a, e, "accept", now=T0)
        services.perform_action(city.operator_a, Event.objects.get(pk=e.pk), "dispatch",
                                {"lead_department": "CG", "deadline": (T0 + timedelta(hours=2)).isoformat()}, now=T0)
    e = Event.objects.get(pk=e.pk)
    cols = [f.column for f in Event._meta.concrete_fields if not f.primary_key and not f.generated]
    select = ", ".join("'S' || s.g" if c == "number" else "''" if c == "idempotency_key" else f"e.{c}" for c in cols)
    with connection.cursor() as cur:
        cur.execute(f"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %s) "
                    f"INSERT INTO events_event ({', '.join(cols)}) SELECT {select} FROM s, events_event e WHERE e.id = %s",
                    [n - 1, e.pk])
        cur.execute("ANALYZE")
    return {"migrate_s": round(migrated, 1), "populate_s": round(time.perf_counter() - t, 1),
            "template": e.pk, "county": city.county.pk}


def floor_update(county: int, batch: int) -> float:
    """The same rows' plain UPDATE … WHERE id IN (…), batch by batch in one transaction; then put back."""
    from django.db import connection, transaction

    from gridgov.events.models import Event

    ids = list(Event.objects.order_by("deadline", "pk").values_list("pk", flat=True))
    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        for i in range(0, len(ids), batch):
            chunk = ids[i:i + batch]
            cur.execute(f"UPDATE events_event SET escalated_center_id = %s WHERE id IN ({', '.join(['%s'] * len(chunk))})",
                        [county, *chunk])
    took = time.perf_counter() - t
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE events_event SET escalated_center_id = NULL")
    if connection.vendor == "postgresql":
        # the floor ran on the freshly loaded table: the sweep gets it in the same state, not with the floor's and
        # the put-back's 2 × N dead row versions and index entries (this server runs no autovacuum)
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE events_event")
    return took


def one_run(url: str, n: int, noop_runs: int) -> dict:
    from django.conf import settings
    from django.db import connection

    from gridgov.cases import sweep
    from gridgov.core.models import Notification
    from gridgov.events.models import Event, EventLog, SlaNotice

    out = populate(n)
    batch = sweep.batch_size()
    limit = settings.GRIDGOV["CASE_SWEEP_LIMIT"]  # the due query's LIMIT: a run lists its due cases once
    out["load_before"] = load()
    out["floor_s"] = floor_update(out["county"], batch)
    t = time.perf_counter()
    if os.environ.get("SWEEP_PROFILE"):
        import cProfile
        import pstats

        prof = cProfile.Profile()
        counts = prof.runcall(sweep.sweep_all, LATE)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    elif os.environ.get("SWEEP_QUERIES"):  # the statements' time by kind and table (what the database spent)
        from collections import Counter

        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            counts = sweep.sweep_all(LATE)
        spent, calls = Counter(), Counter()
        for q in ctx.captured_queries:
            words = q["sql"].split()
            key = " ".join(words[:3] if words[0] in ("INSERT", "DELETE") else words[:2] if words[0] == "UPDATE"
                           else words[:1] + [w for w in words if w.startswith('"') and w.endswith('"')][:1])
            spent[key] += float(q["time"])
            calls[key] += 1
        for key, s in spent.most_common(12):
            print(f"statements: {s:.2f} s {calls[key]}x {key[:100]}")
    else:
        counts = sweep.sweep_all(LATE)
    out["sweep_s"] = time.perf_counter() - t
    out["load_after"] = load()
    out["counts"] = counts["event"]
    logs = EventLog.objects.filter(action="sla_escalate")
    out["escalated_once"] = (logs.count() == n == SlaNotice.objects.filter(kind="escalate").count()
                             and logs.values("event").distinct().count() == n)
    out["notifications"] = Notification.objects.filter(kind="sla_escalate").count()
    # nothing to do, but N cases overdue and already escalated (still open): the due query must pass them by;
    # first straight after the sweep (its UPDATE's dead index entries still there), then after VACUUM
    fresh = []
    for _ in range(3):
        t = time.perf_counter()
        assert sweep.sweep_all(LATE)["event"]["escalated"] == 0
        fresh.append(time.perf_counter() - t)
    out["noop_escalated_unvacuumed_s"] = fresh
    out["plan_unvacuumed"] = due_plans(limit)
    if connection.vendor == "postgresql":
        # fresh statistics but the dead index entries still there (what an autoanalyze before the autovacuum gives)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        analyzed = []
        for _ in range(3):
            t = time.perf_counter()
            assert sweep.sweep_all(LATE)["event"]["escalated"] == 0
            analyzed.append(time.perf_counter() - t)
        out["noop_escalated_analyzed_s"] = analyzed
        out["plan_analyzed"] = due_plans(limit)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    after = []
    for _ in range(max(3, noop_runs // 4)):
        t = time.perf_counter()
        assert sweep.sweep_all(LATE)["event"]["escalated"] == 0
        after.append(time.perf_counter() - t)
    out["noop_escalated_s"] = after
    out["plan_escalated"] = due_plans(limit)
    # nothing to do: the same cases, their deadline a month ahead
    Event.objects.update(deadline=LATE + timedelta(days=30), warn_at=LATE + timedelta(days=24))
    with connection.cursor() as cur:
        # PostgreSQL: VACUUM, as autovacuum would soon: the mass UPDATE above leaves N dead index entries at
        # the old deadlines, which an index scan of "deadline <= now" visits until they are cleaned
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    samples = []
    for _ in range(noop_runs):
        t = time.perf_counter()
        counts = sweep.sweep_all(LATE)
        samples.append(time.perf_counter() - t)
        assert counts["event"]["escalated"] == 0, counts
    out["noop_s"] = samples
    from gridgov.cases.engine import lifecycle
    from gridgov.cases.sweep import _due
    lc = lifecycle("event")
    qs = _due(lc, lc.sweeps[0], LATE).order_by("deadline", "pk").values_list("pk", flat=True)[:limit]
    out["plan"] = qs.explain()
    return out


def due_plans(limit: int) -> dict:
    """The events' two due queries (overdue by deadline, near due by warn_at) as the sweep sends them, with
    their plans: PostgreSQL EXPLAIN (ANALYZE, BUFFERS), SQLite EXPLAIN QUERY PLAN."""
    from django.db import connection

    from gridgov.cases import sla
    from gridgov.cases.engine import lifecycle
    from gridgov.cases.sweep import _due

    lc = lifecycle("event")
    plans = {}
    for plan in lc.sweeps[:2]:
        order = ("warn_at", "pk") if plan.state == sla.NEAR_DUE else ("deadline", "pk")
        qs = _due(lc, plan, LATE).order_by(*order).values_list("pk", flat=True)[:limit]
        plans[plan.state] = {"sql": str(qs.query),
                             "plan": qs.explain(analyze=True, buffers=True) if connection.vendor == "postgresql"
                             else qs.explain()}
    return plans


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=1, help="fresh runs of the big sweep (median reported)")
    ap.add_argument("--noop-runs", type=int, default=20)
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE}"
    benchlib.setup_django(url)
    from django.db import connection

    results = []
    for _ in range(args.runs):
        connection.close()
        fresh_database(url)
        results.append(one_run(url, args.cases, args.noop_runs))
        r = results[-1]
        noop = sorted(r["noop_s"])
        print(json.dumps({k: v for k, v in r.items() if k not in ("noop_s", "noop_escalated_s", "noop_escalated_unvacuumed_s",
                                                                   "plan", "plan_escalated", "plan_unvacuumed",
                                                                   "noop_escalated_analyzed_s", "plan_analyzed")}, ensure_ascii=False))
        print(f"{connection.vendor}: {args.cases} cases: sweep {r['sweep_s']:.2f} s ({args.cases / r['sweep_s']:,.0f}/s), "
              f"floor UPDATE {r['floor_s']:.2f} s, ratio {r['sweep_s'] / r['floor_s']:.1f}x; no-op sweep median "
              f"{statistics.median(noop) * 1000:.1f} ms, p95 {benchlib.percentile(noop, 95) * 1000:.1f} ms; "
              f"load {r['load_before']} -> {r['load_after']}")
        print(f"no-op over the {args.cases} escalated cases straight after the sweep (no VACUUM yet): "
              + ", ".join(f"{x * 1000:.1f}" for x in r["noop_escalated_unvacuumed_s"]) + " ms")
        print(f"no-op over the {args.cases} escalated (still overdue) cases: median "
              f"{statistics.median(r['noop_escalated_s']) * 1000:.1f} ms, max {max(r['noop_escalated_s']) * 1000:.1f} ms")
        print(r["plan"])
        if "noop_escalated_analyzed_s" in r:
            print("no-op over the escalated cases after ANALYZE, before VACUUM: "
                  + ", ".join(f"{x * 1000:.1f}" for x in r["noop_escalated_analyzed_s"]) + " ms")
            for state, p in r["plan_analyzed"].items():
                print(f"due query ({state}) over the escalated cases, after ANALYZE, before VACUUM:\n{p['plan']}")
        for state, p in r["plan_unvacuumed"].items():
            print(f"due query ({state}) over the escalated cases, before VACUUM:\n{p['plan']}")
        for state, p in r["plan_escalated"].items():
            print(f"due query ({state}) over the escalated cases:\n{p['sql']}\n{p['plan']}")
    if len(results) > 1:
        print("median sweep s:", statistics.median(r["sweep_s"] for r in results))
    benchlib.OUT_DIR.mkdir(parents=True, exist_ok=True)
    (benchlib.OUT_DIR / f"sweep-scale-{connection.vendor}.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()

"""Benchmarks against the city-scale database made by bench/generate.py.  Benchmarks, not tests.

    .venv/bin/python bench/generate.py --events 200000     # once (SQLite file under bench/out/)
    .venv/bin/python bench/run.py                          # or: make bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_bench .venv/bin/python bench/run.py

The generated database is never modified: the run first copies it (SQLite: the backup API into
``bench/out/run-copy.sqlite3``; PostgreSQL: ``CREATE DATABASE <name>_run TEMPLATE <name>``),
runs everything on the copy and drops the copy at the end (``--keep-copy`` keeps it).  So the
sweep (e) and the 1,000 create_event calls (b) change only the copy and every run starts from
the same data.  "Now" is pinned to the generation time ``as_of`` stored by the generator for the
read benchmarks and the sweep (so results do not drift with the day the run happens); create_event
uses the real clock, as the API does.

Measured (time.perf_counter, warm-ups first, medians and p95):

a. point → grid: ``regions.spatial.locate(lng, lat)`` for 100,000 uniform random points in the
   demo extent, the index build time, and the parts (the freshness stamp query, the STRtree find)
b. ``events.services.create_event`` through the real service, 1,000 events (grid lookup,
   numbering, deadline, event log, notifications)
c. the worklist of a township, a county and the city operator: ``filtered_events(user)[:30]``
   (with the web page's select_related) + ``count()`` + ``counts_by_status(user)``, all states
   and open states only
d. the SLA filter for overdue (and near-due) events city-wide: ``count()``
e. ``sla.sweep()`` over the whole city, repeated until it has nothing left to do
f. ``find_duplicates`` at the busiest generated spot
g. ``Calendar.add_time(start, 30, "working_days")`` — reused Calendar and the module shortcut

Results: a table on stdout and ``bench/out/results.json`` (one entry per database vendor).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

pc = time.perf_counter
OPEN = "reported,accepted,dispatched,handling,handled"


# ------------------------------------------------------------------------------------------------ copy


def make_copy(url: str) -> tuple[str, callable]:
    """A scratch copy of the generated database; returns (its url, a function that drops it)."""
    if benchlib.is_sqlite(url):
        src = benchlib.sqlite_path(url)
        dst = benchlib.OUT_DIR / "run-copy.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(str(dst) + suffix).unlink(missing_ok=True)
        with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
            a.backup(b)

        def drop():
            for suffix in ("", "-wal", "-shm"):
                Path(str(dst) + suffix).unlink(missing_ok=True)

        return f"sqlite:///{dst}", drop
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    name, copy = cfg["NAME"], cfg["NAME"] + "_run"
    params = {"host": cfg["HOST"] or "127.0.0.1", "port": cfg["PORT"] or 5432, "user": cfg["USER"],
              "password": cfg["PASSWORD"] or None, "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**params) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}"')
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')

    def drop():
        from django.db import connections

        connections.close_all()
        with psycopg.connect(**params) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{copy}"')

    return url.rsplit("/", 1)[0] + "/" + copy, drop


# ------------------------------------------------------------------------------------------------ helpers


def repeat(fn, runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t = pc()
        fn()
        out.append(pc() - t)
    return out


def ms(samples):
    return benchlib.summary(samples, 1e3)


def us(samples):
    return benchlib.summary(samples, 1e6)


class QueryLog:
    """Counts (and optionally keeps) the SQL a block runs, via an execute wrapper (no debug cursor)."""

    def __init__(self, keep: bool = False):
        self.n, self.keep, self.statements = 0, keep, []

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        if self.keep:
            self.statements.append((sql, params))
        return execute(sql, params, many, context)

    def __enter__(self):
        from django.db import connection

        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def queries_of(fn) -> int:
    with QueryLog() as log:
        fn()
    return log.n


def machine_info() -> dict:
    from django.db import connection

    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            db_version = "PostgreSQL " + cur.fetchone()[0]
    else:
        db_version = "SQLite " + sqlite3.sqlite_version
    import django

    return {"nproc": os.cpu_count(), "memory": mem, "cpu": cpu, "python": platform.python_version(),
            "django": django.get_version(), "database": db_version, "platform": platform.platform()}


# ------------------------------------------------------------------------------------------------ benchmarks


def bench_locate(points: int) -> dict:
    from gridgov.regions import spatial
    from gridgov.regions.services import DEMO_EXTENT

    builds = []
    for _ in range(3):
        spatial.invalidate()
        t = pc()
        spatial.grid_index()
        builds.append(pc() - t)
    index = spatial.grid_index()
    rng = random.Random(7)
    x0, y0, x1, y1 = DEMO_EXTENT
    pts = [(rng.uniform(x0, x1), rng.uniform(y0, y1)) for _ in range(points)]
    for lng, lat in pts[:1000]:
        spatial.locate(lng, lat)
    per, hits = [], 0
    t_all = pc()
    for lng, lat in pts:
        t = pc()
        g = spatial.locate(lng, lat)
        per.append(pc() - t)
        hits += g is not None
    total = pc() - t_all
    ids = []
    for lng, lat in pts:  # stamp + find, no Grid row
        t = pc()
        spatial.locate_id(lng, lat)
        ids.append(pc() - t)
    find = []
    for lng, lat in pts:
        t = pc()
        index.find(lng, lat)
        find.append(pc() - t)
    stamp = repeat(spatial.current_stamp, 10_000, 100)
    from gridgov.regions.models import Grid

    pks = [int(x) for x in random.Random(8).sample(list(index.ids), 10_000)]
    fetch = []
    for pk in pks:  # the row locate() returns, as it loads it
        t = pc()
        Grid.objects.select_related("community").filter(pk=pk, active=True).first()
        fetch.append(pc() - t)
    return {
        "grids_in_index": int(len(index.ids)),
        "index_build_ms": ms(builds),
        "points": points,
        "hit_rate": hits / points,
        "locate_total_s": total,
        "locate_us": us(per),
        "locate_per_s": points / total,
        "locate_id_us": us(ids),
        "find_only_us": us(find),
        "stamp_query_us": us(stamp),
        "grid_fetch_us": us(fetch),
        "queries_per_locate": queries_of(lambda: spatial.locate(*pts[0])),
    }


def bench_add_time(as_of) -> dict:
    from gridgov.worktime import calendar as workcal

    rng = random.Random(11)
    starts = [as_of - timedelta(minutes=rng.uniform(0, 365 * 1440)) for _ in range(2000)]
    cal = workcal.Calendar()
    for s in starts[:100]:
        cal.add_time(s, 30, "working_days")
    reused = []
    for s in starts:
        t = pc()
        cal.add_time(s, 30, "working_days")
        reused.append(pc() - t)
    shortcut = []
    for s in starts[:500]:
        t = pc()
        workcal.add_time(s, 30, "working_days")
        shortcut.append(pc() - t)
    recent = []
    for i in range(500):  # from "now": 30 working days reach into next year (weekday rule, provisional)
        s = as_of - timedelta(minutes=i)
        t = pc()
        cal.add_time(s, 30, "working_days")
        recent.append(pc() - t)
    return {"reused_calendar_us": us(reused), "module_shortcut_us": us(shortcut), "from_as_of_us": us(recent),
            "queries_module_shortcut": queries_of(lambda: workcal.add_time(starts[0], 30, "working_days"))}


def worklist_users():
    from gridgov.accounts.models import User

    return {
        "township 古楼街道 (371502001)": User.objects.select_related("region").get(username="op_371502001"),
        "county 东昌府区 (371502)": User.objects.select_related("region").get(username="op_371502"),
        "city 聊城市 (3715)": User.objects.select_related("region").get(username="op_city"),
    }


EXTRA_USERS = {"liaison 市城市管理局 (CGJ, extra)": "liaison_CGJ"}


def bench_worklist(runs: int) -> dict:
    from django.db.models import Count

    from gridgov.accounts.models import User
    from gridgov.events import services
    from gridgov.events.models import Event
    from gridgov.regions.models import Region

    related = ("category", "category__parent", "region", "center", "grid", "lead_department")
    users = worklist_users()
    users.update({k: User.objects.select_related("department").get(username=v) for k, v in EXTRA_USERS.items()})
    out = {}
    for label, user in users.items():
        for variant, status in (("all states", ""), ("open states", OPEN)):
            parts = {"page": [], "count": [], "counts_by_status": [], "total": []}
            result = {}

            def once(record=True, user=user, status=status, parts=parts, result=result):
                t0 = pc()
                qs = services.filtered_events(user, status=status)
                page = list(qs.select_related(*related)[:30])
                t1 = pc()
                n = qs.count()
                t2 = pc()
                counts = services.counts_by_status(user)
                t3 = pc()
                if record:
                    parts["page"].append(t1 - t0)
                    parts["count"].append(t2 - t1)
                    parts["counts_by_status"].append(t3 - t2)
                    parts["total"].append(t3 - t0)
                result.update(rows=len(page), matching=n, visible=sum(counts.values()))

            for _ in range(3):
                once(record=False)
            for _ in range(runs):
                once()
            # diagnostics, not the service: the same rows counted without .distinct(), and the status
            # counts with the region scope as "region_id IN (regions under the code)" instead of a LIKE join
            plain = {}

            def count_plain(user=user, status=status, plain=plain):
                qs = Event.objects.visible_to(user)
                if status:
                    qs = qs.filter(status__in=status.split(","))
                plain["n"] = qs.count()

            diag = {"count_without_distinct": ms(repeat(count_plain, max(5, runs // 2), 2)),
                    "count_without_distinct_rows": plain["n"]}
            if user.role == User.Role.OPERATOR and not status:

                def by_status_in(user=user):
                    regions = Region.objects.filter(code__startswith=user.region.code).values("id")
                    return dict(Event.objects.filter(region_id__in=regions).values("status")
                                .annotate(n=Count("id")).order_by().values_list("status", "n"))

                diag["counts_by_status_region_in"] = ms(repeat(by_status_in, max(5, runs // 2), 2))
            out[f"{label} · {variant}"] = {
                "rows": result["rows"], "matching": result["matching"], "visible": result["visible"],
                "queries": queries_of(lambda once=once: once(record=False)),
                **{k: ms(v) for k, v in parts.items()}, "diagnostics": diag,
            }
    return out


def explain_worklist() -> dict:
    """Query plans of the worklist queries exactly as the service runs them (for the findings).
    SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN (ANALYZE, BUFFERS)."""
    from django.db import connection

    from gridgov.events import services

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    users = worklist_users()
    plans = {}
    for label in ("township 古楼街道 (371502001)", "city 聊城市 (3715)"):
        user = users[label]
        with QueryLog(keep=True) as log:
            qs = services.filtered_events(user)
            list(qs[:30])
            qs.count()
            services.counts_by_status(user)
        for name, (sql, params) in zip(("page", "count", "counts_by_status"), log.statements, strict=False):
            try:
                with connection.cursor() as cur:
                    cur.execute(prefix + sql, params)
                    plan = "\n".join(" ".join(str(c) for c in row) for row in cur.fetchall())
            except Exception as exc:  # an explain failing must not lose the run
                plan = f"explain failed: {exc}"
            plans[f"{label} · {name}"] = {"sql": sql[:400] + ("…" if len(sql) > 400 else ""), "plan": plan}
    return plans


def bench_sla_filter(as_of, runs: int) -> dict:
    from gridgov.events import services, sla
    from gridgov.events.models import Event

    city = worklist_users()["city 聊城市 (3715)"]
    out = {}
    for state in (sla.OVERDUE, sla.NEAR_DUE):
        n = {}

        def plain(state=state, n=n):
            n["plain"] = Event.objects.filter(sla.sla_q(state, as_of)).count()

        def worklist(state=state, n=n):
            n["worklist"] = services.filtered_events(city, sla_state=state, now=as_of).count()

        out[state] = {
            "count": ms(repeat(plain, runs, 3)), "rows": n["plain"],
            "worklist_count": ms(repeat(worklist, runs, 3)), "worklist_rows": n["worklist"],
        }
    return out


def bench_duplicates(meta: dict, as_of, runs: int) -> dict:
    from gridgov.accounts.models import User
    from gridgov.events import services
    from gridgov.events.models import Category

    spot = meta["hotspots"][0]
    cat = Category.objects.get(code=spot["category"])
    op = User.objects.select_related("region").get(username=f"op_{spot['grid'][:9]}")
    found = {}

    def anyone():
        found["anyone"] = len(services.find_duplicates(cat, spot["lng"], spot["lat"], now=as_of))

    def operator():
        found["operator"] = len(services.find_duplicates(cat, spot["lng"], spot["lat"], user=op, now=as_of))

    return {"spot": spot, "no_user": ms(repeat(anyone, runs, 5)), "found": found.get("anyone"),
            "as_township_operator": ms(repeat(operator, runs, 5)), "found_operator": found.get("operator")}


def bench_sweep(as_of, max_sweeps: int = 10) -> dict:
    from django_tasks_db.models import DBTaskResult

    from gridgov.core.models import Notification
    from gridgov.events import sla
    from gridgov.events.models import Event, EventLog, SlaNotice

    def rows():
        return {"sla_notices": SlaNotice.objects.count(), "event_logs": EventLog.objects.count(),
                "notifications": Notification.objects.count(), "task_rows": DBTaskResult.objects.count()}

    due_before = {s: Event.objects.filter(sla.sla_q(s, as_of)).count() for s in (sla.OVERDUE, sla.NEAR_DUE)}
    sweeps = []
    for _ in range(max_sweeps):
        before = rows()
        with QueryLog() as log:
            t = pc()
            counts = sla.sweep(now=as_of)
            elapsed = pc() - t
        after = rows()
        touched = counts["escalated"] + counts["reminded"]
        sweeps.append({"seconds": elapsed, **counts, "touched": touched, "queries": log.n,
                       "ms_per_touched": elapsed * 1e3 / touched if touched else None,
                       "rows_written": {k: after[k] - before[k] for k in after}})
        if touched == 0:
            break
    return {"due_at_as_of": due_before, "sweeps": sweeps}


def bench_create(n: int) -> dict:
    from gridgov.accounts.models import User
    from gridgov.events import services
    from gridgov.events.models import Category
    from gridgov.events.workflow import Citizen
    from gridgov.regions.models import Grid

    rng = random.Random(13)
    grids = list(Grid.objects.filter(kind=Grid.Kind.GENERAL, code__gt="371502001002").values_list(
        "code", "boundary"))  # skip the first community (its grid 001 has the school hole)
    cats = list(Category.objects.filter(parent__isnull=False, active=True).values_list("code", flat=True))
    users = {u.username: u for u in User.objects.filter(username__startswith="op_").select_related("region")}

    def make(i):
        code, boundary = rng.choice(grids)
        ring = boundary["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        lng, lat = round(rng.uniform(min(xs), max(xs)), 6), round(rng.uniform(min(ys), max(ys)), 6)
        roll = rng.random()
        if roll < 0.45:
            actor = User.objects.get(username=f"gw_{code}")
            source = "grid_patrol"
        elif roll < 0.75:
            actor = Citizen(f"139{rng.randint(10000000, 99999999)}")
            source = "citizen"
        else:
            actor = users[f"op_{code[:9]}"]
            source = "hotline"
        data = services.EventInput(category=rng.choice(cats), description="基准测试上报：现场情况需核实处理",
                                   lng=lng, lat=lat, address="基准测试地址", source=source,
                                   reporter_phone=actor.phone if isinstance(actor, Citizen) else "")
        return actor, data

    work = [make(i) for i in range(n + 20)]
    for actor, data in work[:20]:
        services.create_event(actor, data)
    per = []
    t_all = pc()
    for actor, data in work[20:]:
        t = pc()
        services.create_event(actor, data)
        per.append(pc() - t)
    total = pc() - t_all
    extra = make(0)
    return {"events": n, "total_s": total, "per_event_ms": ms(per), "events_per_s": n / total,
            "queries_per_create": queries_of(lambda: services.create_event(*extra))}


# ------------------------------------------------------------------------------------------------ report


def fmt(stat: dict, unit: str) -> str:
    return f"{stat['median']:.3g} / {stat['p95']:.3g} {unit}"


def table(r: dict) -> list[tuple[str, str]]:
    b = r["benchmarks"]
    rows = []
    if "locate" in b:
        a = b["locate"]
        rows += [
            ("a. grid index build (15k grids)", fmt(a["index_build_ms"], "ms")),
            (f"a. locate() × {a['points']:,} (hit {a['hit_rate']:.1%})",
             f"{a['locate_us']['median']:.0f} / {a['locate_us']['p95']:.0f} µs; {a['locate_per_s']:,.0f}/s"),
            ("a. locate_id() (stamp + find, no Grid row)", fmt(a["locate_id_us"], "µs")),
            ("a.   of which STRtree find", fmt(a["find_only_us"], "µs")),
            ("a.   of which freshness stamp query", fmt(a["stamp_query_us"], "µs")),
            ("a.   of which loading the Grid row", fmt(a["grid_fetch_us"], "µs")),
        ]
    if "create_event" in b:
        c = b["create_event"]
        rows.append((f"b. create_event × {c['events']:,} ({c['queries_per_create']} queries each)",
                     fmt(c["per_event_ms"], "ms") + f"; {c['events_per_s']:.0f}/s"))
    for label, w in b.get("worklist", {}).items():
        rows.append((f"c. worklist {label} ({w['matching']:,} rows)",
                     f"{fmt(w['total'], 'ms')} [page {w['page']['median']:.3g}, count {w['count']['median']:.3g}, "
                     f"by status {w['counts_by_status']['median']:.3g}]"))
    for state, d in b.get("sla_filter", {}).items():
        rows.append((f"d. SLA {state} city-wide count ({d['rows']:,})", fmt(d["count"], "ms")))
        rows.append((f"d. SLA {state} via filtered_events(city op)", fmt(d["worklist_count"], "ms")))
    if "sweep" in b:
        for i, s in enumerate(b["sweep"]["sweeps"], 1):
            rows.append((f"e. sla.sweep() #{i}: {s['escalated']:,} escalated + {s['reminded']:,} reminded",
                         f"{s['seconds']:.2f} s" + (f" ({s['ms_per_touched']:.2f} ms/row)" if s["touched"] else "")))
    if "duplicates" in b:
        d = b["duplicates"]
        rows.append((f"f. find_duplicates busy spot ({d['found']} found)", fmt(d["no_user"], "ms")))
        rows.append(("f. find_duplicates as township operator", fmt(d["as_township_operator"], "ms")))
    if "add_time" in b:
        g = b["add_time"]
        rows.append(("g. add_time 30 working days (reused Calendar)", fmt(g["reused_calendar_us"], "µs")))
        rows.append(("g. add_time 30 working days (module shortcut)", fmt(g["module_shortcut_us"], "µs")))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="gridgov benchmarks (see the module docstring)")
    parser.add_argument("--points", type=int, default=100_000, help="random points for (a)")
    parser.add_argument("--runs", type=int, default=50, help="timed runs for (c), (d), (f)")
    parser.add_argument("--creates", type=int, default=1000, help="create_event calls for (b)")
    parser.add_argument("--only", default="a,b,c,d,e,f,g", help="comma-separated subset of a..g")
    parser.add_argument("--keep-copy", action="store_true", help="keep the scratch copy of the database")
    args = parser.parse_args()
    only = set(args.only.split(","))

    url = benchlib.database_url()
    if benchlib.is_sqlite(url) and not benchlib.sqlite_path(url).exists():
        print(f"{benchlib.sqlite_path(url)} is missing: running bench/generate.py first (default size)", flush=True)
        subprocess.run([sys.executable, str(Path(__file__).with_name("generate.py"))], check=True)
    t = pc()
    copy_url, drop = make_copy(url)
    copy_s = pc() - t
    benchlib.setup_django(copy_url)
    from django.db import connection
    from django.utils.dateparse import parse_datetime

    meta = benchlib.read_meta()
    if not meta:
        drop()
        sys.exit(f"{url} has no bench_meta table: run bench/generate.py first")
    as_of = parse_datetime(meta["as_of"])
    print(f"{connection.vendor}: {meta['events']:,} events, {meta['event_logs']:,} log rows, {meta['grids']:,} grids; "
          f"as_of {meta['as_of']}; copy made in {copy_s:.1f} s", flush=True)
    results = {
        "database": connection.vendor, "source": url.split("@")[-1], "run_at": datetime.now().isoformat(timespec="seconds"),
        "machine": machine_info(), "as_of": meta["as_of"],
        "data": {k: meta[k] for k in ("events", "event_logs", "grids", "status_counts", "totals", "generation_s",
                                      "timings_s")},
        "benchmarks": {},
    }
    b = results["benchmarks"]
    steps = [
        ("a", "locate", lambda: bench_locate(args.points)),
        ("g", "add_time", lambda: bench_add_time(as_of)),
        ("c", "worklist", lambda: bench_worklist(args.runs)),
        ("c", "worklist_plans", explain_worklist),
        ("d", "sla_filter", lambda: bench_sla_filter(as_of, args.runs)),
        ("f", "duplicates", lambda: bench_duplicates(meta, as_of, args.runs)),
        ("e", "sweep", lambda: bench_sweep(as_of)),
        ("b", "create_event", lambda: bench_create(args.creates)),
    ]
    try:
        for letter, name, fn in steps:
            if letter not in only:
                continue
            t = pc()
            print(f"· {letter}. {name} …", flush=True)
            b[name] = fn()
            print(f"  {name}: {pc() - t:.1f} s", flush=True)
    finally:
        if not args.keep_copy:
            drop()

    rows = table(results)
    width = max(len(r[0]) for r in rows) + 2
    print(f"\n{results['machine']['database']} · {meta['events']:,} events · median / p95")
    for label, value in rows:
        print(f"{label:<{width}}{value}")
    out = benchlib.OUT_DIR / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(out.read_text()) if out.exists() else {}
    existing[connection.vendor] = results
    out.write_text(json.dumps(existing, ensure_ascii=False, indent=2, default=str))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()

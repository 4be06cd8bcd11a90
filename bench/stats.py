"""Statistics at city scale (issue 10): the rollup readers against the raw GROUP BYs they replace.
A benchmark, not a test.

    .venv/bin/python bench/generate.py --events 2000000 --grids 20000    # once; fills the rollups at the end
    .venv/bin/python bench/stats.py [--runs 50] [--before-runs 20]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_bench_stats .venv/bin/python bench/stats.py

On the base bench/generate.py made (default ``bench/out/bench.sqlite3``, or ``DATABASE_URL``), in one
process, "now" pinned to the generation time ``as_of``, the month the last whole month before it and the
year the one it falls in. Each figure is timed with ``time.perf_counter`` over ``--runs`` rounds after
``--warmup`` rounds; the measures take turns within a round (round-robin), so a change of the machine's
load falls on all of them alike. Medians and p95 in milliseconds.

floor     ``SELECT 1`` through the Django connection; ``GET /api/v1/me`` through the test Client as the
          admin (a request's own cost, for the figures timed through the Client)
a. the city's summary, month and year: ``queries.counts_by("event", 3, "3715", period)`` +
   ``open_now("event", 3, "3715")`` + ``kpis_of`` for each county ("by county"); and the same with
   the city's own counts and the category and source mix (``mix``) — "full", what the five raw
   queries of (d) answer
b. the city's map: the map endpoint of gridgov/stats/api_summary.py through the test Client as the
   admin when it exists (``--map-url``), else what it reads: ``counts_by`` at the county level for the
   month + ``open_now``
c. a township's map (the busiest township): its communities (level 5) and its grids (level 6) —
   ``counts_by`` + ``open_now`` under its code (and through the endpoint when it exists)
   cold: before the rounds, each map endpoint once from an empty shape cache (``shapes.invalidate()``):
   what the first request of a process, or the first after the grids changed, pays to build the outlines
d. the "before": the five GROUP BYs over the events table that the same summary needs without the
   rollups — by county × status; by county the closed on time, 应结案 and the other KPI counts; open,
   overdue and near due now by county; by category; by source — at the same size. Their figures are
   checked against (a)'s (reported, closed, closed on time, 应结案, open, overdue by county; the mix).
w. the write cost: ``--writes`` events created through ``services.create_event`` and driven through
   accept → dispatch → sign → feedback → verify_pass with ``workflow.perform``, inside a transaction
   rolled back at the end (the base is left as it was); the time inside ``tally.apply`` (the rollup
   upkeep: one upsert per rollup table) and inside the lifecycle's ``share`` (what a case counts for,
   taken before and after) as a share of each perform.

Results: a markdown table on stdout and ``bench/out/stats-<vendor>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

pc = time.perf_counter
CITY = benchlib.CITY
DEFAULT_MAP_URL = "/api/v1/stats/map?code={code}&period=month&value={month}"
DEFAULT_SUMMARY_URL = "/api/v1/stats/summary?code={code}&period={period}&value={value}"


def ms(samples: list[float]) -> dict:
    return benchlib.summary(samples, 1e3)


def machine() -> dict:
    import django
    from django.db import connection

    mem = next((f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB" for line in
                Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "")
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "")
    with connection.cursor() as cur:
        cur.execute("SHOW server_version" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        db = ("PostgreSQL " if connection.vendor == "postgresql" else "SQLite ") + cur.fetchone()[0]
    return {"nproc": os.cpu_count(), "memory": mem, "cpu": cpu, "python": platform.python_version(),
            "django": django.get_version(), "database": db, "load_before": os.getloadavg()}


def sizes() -> dict:
    from gridgov.cases.models import DeptTally, OpenCase, Tally, TallyMix, TransitionRecord
    from gridgov.events.models import Event
    from gridgov.regions.models import Grid

    return {"events": Event.objects.count(), "grids": Grid.objects.count(),
            "records": TransitionRecord.objects.count(), "tally": Tally.objects.count(),
            "tally_mix": TallyMix.objects.count(), "open_cases": OpenCase.objects.count(),
            "dept_tally": DeptTally.objects.count()}


# ------------------------------------------------------------------------------------------------ after


def summary(p, now, full: bool) -> dict:
    """(a): the counties' counts and KPIs for ``p`` (and, full, the city's own, and the mix)."""
    from gridgov.stats import queries
    from gridgov.stats.kpis import kpis_of

    by = queries.counts_by("event", 3, CITY, p, now)
    opn = queries.open_now("event", 3, CITY, now)
    out = {"counties": {code: {"counts": c, "kpis": kpis_of(c, "event"), "now": opn.get(code, {})}
                        for code, c in by.items()}}
    if full:
        city = queries.counts("event", CITY, p, now)
        out["city"] = {"counts": city, "kpis": kpis_of(city, "event")}
        out["category"] = queries.mix("event", CITY, p, "category")
        out["source"] = queries.mix("event", CITY, p, "source")
    return out


def map_direct(code: str, level: int, p, now) -> dict:
    """What a map of ``code``'s children reads: their counts for the period and their open cases now."""
    from gridgov.stats import queries

    return {"counts": queries.counts_by("event", level, code, p, now), "now": queries.open_now("event", level, code, now)}


# ------------------------------------------------------------------------------------------------ before


def before(p, now) -> dict:
    """(d): the same summary from the events table, five GROUP BYs (no rollups)."""
    from django.db.models import Count, Q
    from django.db.models.functions import Substr
    from django.utils import timezone

    from gridgov.events.models import OPEN_STATUSES, Event

    start = timezone.make_aware(datetime.combine(p.start, datetime.min.time()))
    end = timezone.make_aware(datetime.combine(p.end + timedelta(days=1), datetime.min.time()))
    moment = p.moment(now)
    base = Event.objects.filter(created_at__gte=start, created_at__lt=end, region__code__startswith=CITY)
    county = Substr("region__code", 1, 6)
    closed = Q(status="closed")
    in_grid = closed & Q(resolved_on_spot=True, lead_department__isnull=True)  # EventLifecycle.tally_counts
    by_status = list(base.annotate(node=county).values("node", "status").annotate(n=Count("id")))
    kpi_counts = list(base.annotate(node=county).values("node").annotate(
        closed_on_time=Count("id", filter=closed & Q(closed_on_time=True)),
        open_due=Count("id", filter=Q(status__in=OPEN_STATUSES, due_at__lt=moment)),
        dispatched=Count("id", filter=Q(lead_department__isnull=False) | Q(return_count__gt=0) | Q(rework_count__gt=0)
                         | Q(reopen_count__gt=0, resolved_on_spot=False)),  # (+ a reopened on-the-spot case
        # that had a department: none in the generated data)
        reworked=Count("id", filter=Q(rework_count__gt=0)), extended=Count("id", filter=Q(extension_count__gt=0)),
        returned=Count("id", filter=Q(return_count__gt=0)), rated=Count("id", filter=~Q(rating="")),
        satisfied=Count("id", filter=Q(rating__in=("satisfied", "basically"))),
        resolved_grid=Count("id", filter=in_grid),
        resolved_township=Count("id", filter=closed & ~in_grid & Q(center__level=4)),
        resolved_county=Count("id", filter=closed & ~in_grid & Q(center__level=3)),
        resolved_city=Count("id", filter=closed & ~in_grid & Q(center__level__lte=2)),
    ))
    open_now = list(Event.objects.filter(status__in=OPEN_STATUSES, region__code__startswith=CITY)
                    .annotate(node=county).values("node").annotate(
                        open=Count("id"), overdue=Count("id", filter=Q(deadline__lt=now)),
                        near_due=Count("id", filter=Q(warn_at__lte=now, deadline__gte=now))))
    by_category = list(base.values("category__code").annotate(n=Count("id")))
    by_source = list(base.values("source").annotate(n=Count("id")))
    return {"by_status": by_status, "kpi_counts": kpi_counts, "open_now": open_now, "by_category": by_category,
            "by_source": by_source}


def compare(after: dict, raw: dict) -> list[str]:
    """Where (a) and (d) disagree (an empty list: the same figures)."""
    from gridgov.events.models import OPEN_STATUSES

    got: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for r in raw["by_status"]:
        g = got[r["node"]]
        g["reported"] += r["n"]
        g["closed"] += r["n"] if r["status"] == "closed" else 0
        g["open"] += r["n"] if r["status"] in OPEN_STATUSES else 0
    for r in raw["kpi_counts"]:
        got[r["node"]].update({k: v for k, v in r.items() if k != "node"})
    for r in raw["open_now"]:
        got[r["node"]]["overdue_now"] = r["overdue"]
    diffs = []
    for code, c in after["counties"].items():
        g = got.get(code, {})
        want = {m: c["counts"][m] for m in ("reported", "closed", "closed_on_time", "open", "open_due", "dispatched",
                                             "reworked", "rated", "satisfied", "resolved_grid", "resolved_township")}
        want["overdue_now"] = c["now"].get("overdue", 0)
        for m, v in want.items():
            if g.get(m, 0) != v:
                diffs.append(f"{code} {m}: rollups {v}, events {g.get(m, 0)}")
    mix_c = {r["key"]: r["reported"] for r in after["category"]}
    if mix_c != {r["category__code"]: r["n"] for r in raw["by_category"]}:
        diffs.append("category mix differs")
    if {r["key"]: r["reported"] for r in after["source"]} != {r["source"]: r["n"] for r in raw["by_source"]}:
        diffs.append("source mix differs")
    return diffs


# ------------------------------------------------------------------------------------------------ the runs


def rounds(measures: dict, runs: int, warmup: int, only_some: dict[str, int]) -> tuple[dict, dict]:
    """Time each measure ``runs`` times (``only_some[name]`` for the slow ones), taking turns: wall-clock
    seconds, and this process's CPU seconds (on a loaded machine the wall clock includes waiting for a
    core; on SQLite the CPU time is all the work, on PostgreSQL the server's share is not in it)."""
    wall: dict[str, list[float]] = {name: [] for name in measures}
    cpu: dict[str, list[float]] = {name: [] for name in measures}
    for r in range(warmup + runs):
        for name, fn in measures.items():
            if r >= warmup + only_some.get(name, runs):
                continue
            t, c = pc(), time.process_time()
            fn()
            dt, dc = pc() - t, time.process_time() - c
            if r >= warmup:
                wall[name].append(dt)
                cpu[name].append(dc)
    return wall, cpu


def writes(n: int, seed: int = 7) -> dict:
    """(w): perform() with the time inside the rollup upkeep, in a transaction rolled back at the end."""
    from django.db import connection, transaction

    from gridgov.accounts.models import Department, User
    from gridgov.cases import engine
    from gridgov.events import services, workflow
    from gridgov.events.models import Category, Event
    from gridgov.regions.models import Grid

    rng = random.Random(seed)
    lc = workflow.LIFECYCLE
    spent = {"apply": 0.0, "share": 0.0, "apply_statements": 0}
    real_apply, real_share = engine.tally.apply, lc.share
    counting = {"on": False}

    def timed_apply(*a, **kw):
        counting["on"] = True
        t = pc()
        try:
            return real_apply(*a, **kw)
        finally:
            spent["apply"] += pc() - t
            counting["on"] = False

    def timed_share(case):
        t = pc()
        try:
            return real_share(case)
        finally:
            spent["share"] += pc() - t

    def count_statements(execute, sql, params, many, context):
        if counting["on"]:
            spent["apply_statements"] += 1
        return execute(sql, params, many, context)

    grids = list(Grid.objects.filter(kind=Grid.Kind.GENERAL, code__gt="371502001002").values_list("code", "boundary"))
    cats = list(Category.objects.filter(parent__isnull=False, active=True).select_related("default_department"))
    ops = {u.username: u for u in User.objects.filter(username__startswith="op_")}
    liaisons = {u.department_id: u for u in User.objects.filter(role=User.Role.LIAISON)}
    fallback = Department.objects.get(code="CGJ")
    steps = ("accept", "dispatch", "sign", "feedback", "verify_pass")
    per: dict[str, list] = {a: [] for a in ("create_event", *steps)}
    share_of: dict[str, list] = {a: [] for a in per}
    engine.tally.apply, lc.share = timed_apply, timed_share
    try:
        with transaction.atomic(), connection.execute_wrapper(count_statements):
            for _ in range(n):
                code, boundary = rng.choice(grids)
                ring = boundary["coordinates"][0]
                xs, ys = [p[0] for p in ring], [p[1] for p in ring]
                cat = rng.choice(cats)
                op = ops[f"op_{code[:9]}"]
                data = services.EventInput(
                    category=cat.code, description="基准测试上报：现场情况需核实处理", address="基准测试地址",
                    lng=round(rng.uniform(min(xs), max(xs)), 6), lat=round(rng.uniform(min(ys), max(ys)), 6),
                    source="hotline")
                before = dict(spent)
                t = pc()
                event, _created = services.create_event(op, data)
                per["create_event"].append(pc() - t)
                share_of["create_event"].append((spent["apply"] - before["apply"], spent["share"] - before["share"]))
                event = Event.objects.get(pk=event.pk)
                lead = cat.default_department or fallback
                center_op = ops[f"op_{Event.objects.filter(pk=event.pk).values_list('center__code', flat=True)[0]}"]
                for action in steps:
                    actor = liaisons[lead.pk] if action in ("sign", "feedback") else center_op
                    params = {"lead_department": lead, "assisting_departments": []} if action == "dispatch" else {}
                    if action == "feedback":
                        params["note"] = "已处置完毕"
                    before = dict(spent)
                    t = pc()
                    workflow.perform(event, action, actor, params)
                    per[action].append(pc() - t)
                    share_of[action].append((spent["apply"] - before["apply"], spent["share"] - before["share"]))
            transaction.set_rollback(True)
    finally:
        engine.tally.apply, lc.share = real_apply, real_share
    out = {}
    for action, samples in per.items():
        total = sum(samples)
        apply_s = sum(a for a, _s in share_of[action])
        share_s = sum(s for _a, s in share_of[action])
        out[action] = {"ms": ms(samples), "apply_pct": 100 * apply_s / total, "share_pct": 100 * share_s / total,
                       "apply_ms": 1e3 * apply_s / len(samples)}
    transitions = [s for a in steps for s in per[a]]
    t_all = sum(transitions)
    a_all = sum(a for act in steps for a, _s in share_of[act])
    s_all = sum(s for act in steps for _a, s in share_of[act])
    out["all_transitions"] = {"n": len(transitions), "ms": ms(transitions), "apply_pct": 100 * a_all / t_all,
                              "share_pct": 100 * s_all / t_all, "apply_ms": 1e3 * a_all / len(transitions),
                              "apply_statements_per_call": spent["apply_statements"] / (len(transitions) + n)}
    return out


def busiest_township(p) -> str:
    from django.db.models import Sum

    from gridgov.cases.models import Tally

    return (Tally.objects.filter(kind="event", level=4, day__gte=p.start, day__lte=p.end).values("code")
            .annotate(n=Sum("reported")).order_by("-n", "code")[0]["code"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--before-runs", type=int, default=20, help="runs of the slow raw GROUP BYs (d)")
    parser.add_argument("--writes", type=int, default=60, help="events driven through 5 transitions for (w); 0: skip")
    parser.add_argument("--map-url", default=DEFAULT_MAP_URL, help="the map endpoint, {code} and {month} filled in")
    parser.add_argument("--summary-url", default=DEFAULT_SUMMARY_URL,
                        help="the summary endpoint, {code}, {period} and {value} filled in")
    parser.add_argument("--township", default="", help="the township of (c) (default: the busiest)")
    args = parser.parse_args()

    url = benchlib.database_url()
    benchlib.setup_django(url)
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from gridgov.accounts.models import User
    from gridgov.stats import queries

    meta = benchlib.read_meta()
    if "as_of" not in meta:
        sys.exit(f"{url}: no bench_meta — make the base with bench/generate.py first")
    now = datetime.fromisoformat(meta["as_of"])
    today = timezone.localdate(now)
    last_month = today.replace(day=1) - timedelta(days=1)
    month = queries.period("month", last_month.strftime("%Y-%m"))
    year = queries.period("year", str((today - timedelta(days=1)).year))
    township = args.township or busiest_township(month)
    info = {"database": connection.vendor, "source": url.split("@")[-1], "run_at": datetime.now().isoformat("T", "seconds"),
            "as_of": meta["as_of"], "month": month.param, "year": year.param, "township": township,
            "machine": machine(), "sizes": sizes(), "argv": sys.argv[1:]}
    print(f"{info['database']} {info['source']}: {info['sizes']}; month {month.param}, year {year.param}, "
          f"township {township}; load {info['machine']['load_before']}", flush=True)

    admin = User.objects.get(username="admin")
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    map_url = args.map_url.format(code=CITY, month=month.param)
    town_url = args.map_url.format(code=township, month=month.param)
    # cold: the first map request of a process (or the first after the grids changed) builds the outlines
    # and centres of gridgov/stats/shapes.py; each URL once, from an empty cache
    from gridgov.stats import shapes

    cold = {}
    for name, u in (("township", town_url), ("city", map_url)):
        shapes.invalidate()
        t = pc()
        map_status = client.get(u).status_code
        cold[name] = round((pc() - t) * 1e3, 1)
    info["cold_map_ms"] = cold
    print(f"cold map requests (empty shape cache), ms: {cold}", flush=True)
    if map_status != 200:
        print(f"map endpoint {map_url}: HTTP {map_status} — timing what it reads instead", flush=True)

    def select1():
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()

    def get(u):
        r = client.get(u)
        assert r.status_code == 200, (u, r.status_code)

    measures = {
        "floor: SELECT 1": select1,
        "floor: GET /api/v1/me (Client)": lambda: get("/api/v1/me"),
        "a. city summary by county, month": lambda: summary(month, now, False),
        "a. city summary by county, year": lambda: summary(year, now, False),
        "a. city summary full (+ city, mix), month": lambda: summary(month, now, True),
        "a. city summary full (+ city, mix), year": lambda: summary(year, now, True),
        "b. city map (counts_by level 3 + open_now), month": lambda: map_direct(CITY, 3, month, now),
        "c. township map: communities (level 5), month": lambda: map_direct(township, 5, month, now),
        "c. township map: grids (level 6), month": lambda: map_direct(township, 6, month, now),
        "d. before: five GROUP BYs over events, month": lambda: before(month, now),
        "d. before: five GROUP BYs over events, year": lambda: before(year, now),
    }
    if map_status == 200:
        measures["b. city map endpoint (Client), month"] = lambda: get(map_url)
        measures["c. township map endpoint (Client), month"] = lambda: get(town_url)
    for p in (month, year):
        u = args.summary_url.format(code=CITY, period=p.kind, value=p.param)
        status = client.get(u).status_code
        if status == 200:
            measures[f"a. city summary endpoint (Client), {p.kind}"] = lambda u=u: get(u)
        else:
            print(f"summary endpoint {u}: HTTP {status} — not timed", flush=True)
    slow = {k: args.before_runs for k in measures if k.startswith("d.")}

    checks = {}
    for label, p in (("month", month), ("year", year)):
        diffs = compare(summary(p, now, True), before(p, now))
        checks[label] = diffs or "same figures"
        print(f"(a) vs (d), {label}: {checks[label] if diffs else 'the same figures'}", flush=True)

    t = pc()
    samples, cpu_samples = rounds(measures, args.runs, args.warmup, slow)
    info["timing_s"] = round(pc() - t, 1)
    results = {name: ms(s) for name, s in samples.items()}
    cpu = {name: ms(s) for name, s in cpu_samples.items()}
    info["load_after"] = os.getloadavg()
    w = writes(args.writes) if args.writes else None

    print()
    print(f"| {info['database']}, {info['sizes']['events']:,} events, {info['sizes']['grids']:,} grids "
          f"| median ms | p95 ms | CPU median ms | runs |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['median']:.2f} | {r['p95']:.2f} | {cpu[name]['median']:.2f} | {r['n']} |")
    if w:
        print()
        print("| write: perform() | median ms | p95 ms | in tally.apply | in share() | apply ms/call |")
        print("|---|---:|---:|---:|---:|---:|")
        for action, r in w.items():
            print(f"| {action} ({r['ms']['n']}) | {r['ms']['median']:.2f} | {r['ms']['p95']:.2f} "
                  f"| {r['apply_pct']:.1f} % | {r['share_pct']:.1f} % | {r['apply_ms']:.2f} |")
        print(f"statements in tally.apply per call: {w['all_transitions']['apply_statements_per_call']:.2f}")
    print(f"cold map requests (empty shape cache), ms: {cold}")
    print(f"load (1, 5, 15 min) before {info['machine']['load_before']}, after {info['load_after']}")
    info.update(results=results, cpu=cpu, writes=w, checks=checks)
    out = benchlib.OUT_DIR / f"stats-{info['database']}-{info['sizes']['events']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(info, indent=1, ensure_ascii=False, default=str))
    print(f"written: {out.relative_to(benchlib.BASE_DIR)}")


if __name__ == "__main__":
    main()

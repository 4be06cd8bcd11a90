"""Page timings at city scale (issue 13, "Pages"): the worklists, the department inbox and the event page,
through Django's test Client as logged-in users, with a floor measured in the same run. A benchmark, not a
test (nothing here is collected by pytest).

    .venv/bin/python bench/pages.py bench/out/city.sqlite3
    .venv/bin/python bench/pages.py postgres://postgres@127.0.0.1:5432/bench_pages_2m

Users: the township operator of 古楼街道 (``op_371502001``), the county operator of 东昌府区 (``op_371502``),
the city operator (``op_city``) and the liaison of 市城市管理局 (``liaison_CGJ``) — those ``bench/generate.py``
makes; any that is missing is made for the run. Everything runs inside one transaction that is rolled back
at the end (sessions, users made for the run), so the database is left as it was: a base may be shared.

Pages: each operator's worklist with all states and with the open states; the API's event list for each of the
four users; the liaison's inbox (each tab);
the event page of an open event at the busiest spot (the most open events of one category in one grid: the
longest duplicate list) as the city operator and as its township's operator, and of a closed event. Floor: ``GET /api/v1/me`` in the same
run, interleaved with the pages. Each URL: ``--warmup`` unrecorded requests, then ``--runs`` recorded ones,
round-robin over the URLs so that load from elsewhere falls on all of them alike. Reported: median and
p95 in ms, the ratio of the median to the floor's median, the statement count of one request, the status.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import OUT_DIR, setup_django  # noqa: E402

OPEN = "reported,accepted,dispatched,handling,handled"
USERS = {
    "township 古楼街道": ("op_371502001", "operator", "371502001", None),
    "county 东昌府区": ("op_371502", "operator", "371502", None),
    "city 聊城市": ("op_city", "operator", "3715", None),
    "liaison 市城市管理局": ("liaison_CGJ", "liaison", None, "CGJ"),
}


def _url(arg: str) -> str:
    return arg if "://" in arg else f"sqlite:///{Path(arg).resolve()}"


def _user(username, role, region_code, dept_code):
    from gridgov.accounts.models import Department, User
    from gridgov.regions.models import Region

    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create(
            username=username, role=role,
            region=Region.objects.get(code=region_code) if region_code else None,
            department=Department.objects.filter(code=dept_code).first() if dept_code else None,
        )
    return user


def _pick_events(city_op):
    from django.db.models import Count

    from gridgov.events.models import OPEN_STATUSES, Event

    busiest = (Event.objects.filter(status__in=("reported", "accepted"), lng__isnull=False, grid__isnull=False)
               .values("category_id", "grid_id").annotate(n=Count("id")).order_by("-n").first())
    picked = {}
    if busiest:
        e = (Event.objects.filter(status__in=("reported", "accepted"), category_id=busiest["category_id"],
                                  grid_id=busiest["grid_id"]).order_by("-created_at").first())
        picked[f"event page, open, busiest spot ({busiest['n']} open there)"] = e.number
        # the same page as the operator of the event's township center: the one who may merge, so the page
        # also runs the duplicates query and shows the (bounded) list
        picked["@township"] = (e.number, e.region.code[:9])
    closed = Event.objects.filter(status="closed").order_by("-created_at").values_list("number", flat=True).first()
    if closed:
        picked["event page, closed"] = closed
    handling = Event.objects.filter(status__in=OPEN_STATUSES).exclude(status__in=("reported", "accepted")) \
        .order_by("deadline").values_list("number", flat=True).first()
    if handling:
        picked["event page, in a department's hands"] = handling
    return picked


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("database", help="a SQLite file or a postgres:// URL")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--out", default=str(OUT_DIR / "pages.json"))
    args = ap.parse_args()
    url = _url(args.database)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    setup_django(url)

    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gridgov.events.models import Event

    results = {}
    with transaction.atomic():
        clients, targets = {}, []
        for label, spec in USERS.items():
            c = Client()
            c.force_login(_user(*spec))
            clients[label] = c
        floor_client = clients["city 聊城市"]
        targets.append(("floor: GET /api/v1/me", floor_client, "/api/v1/me"))
        for label in ("township 古楼街道", "county 东昌府区", "city 聊城市"):
            targets.append((f"worklist {label}, all states", clients[label], "/events/"))
            targets.append((f"worklist {label}, open", clients[label], f"/events/?status={OPEN}"))
        # the API's list (a mobile client's or another system's worklist), with its capped counts
        for label in ("township 古楼街道", "county 东昌府区", "city 聊城市", "liaison 市城市管理局"):
            targets.append((f"API list {label}", clients[label], "/api/v1/events"))
        for tab in ("pending", "handling", "done"):
            targets.append((f"inbox 市城市管理局, {tab}", clients["liaison 市城市管理局"], f"/inbox/?tab={tab}"))
        city_op = _user(*USERS["city 聊城市"])
        for label, number in _pick_events(city_op).items():
            if label == "@township":
                number, code = number
                own = Client()
                own.force_login(_user(f"op_{code}", "operator", code, None))
                targets.append(("event page, busiest spot, as its township's operator", own, f"/events/{number}/"))
                continue
            targets.append((label, floor_client, f"/events/{number}/"))
        times = {t[0]: [] for t in targets}
        info = {}
        for label, client, path in targets:
            for _ in range(args.warmup):
                r = client.get(path)
            with CaptureQueriesContext(connection) as ctx:
                r = client.get(path)
            info[label] = {"path": path, "status": r.status_code, "queries": len(ctx.captured_queries)}
        for _ in range(args.runs):
            for label, client, path in targets:
                t0 = time.perf_counter()
                client.get(path)
                times[label].append((time.perf_counter() - t0) * 1000)
        floor = statistics.median(times["floor: GET /api/v1/me"])
        for label, _c, _p in targets:
            xs = sorted(times[label])
            med = statistics.median(xs)
            p95 = xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]
            results[label] = {**info[label], "median_ms": round(med, 1), "p95_ms": round(p95, 1),
                              "x_floor": round(med / floor, 1)}
        events = Event.objects.count()
        transaction.set_rollback(True)

    load = os.getloadavg()
    out = {"database": connection.vendor, "url": url.split("@")[-1], "events": events, "runs": args.runs,
           "warmup": args.warmup, "loadavg_after": [round(x, 2) for x in load], "pages": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1))
    print(f"{connection.vendor}, {events:,} events, {args.runs} runs after {args.warmup} warm-ups, "
          f"load after {out['loadavg_after']}")
    print(f"{'page':<62} {'median':>8} {'p95':>8} {'×floor':>7} {'q':>4} {'st':>4}")
    for label, r in results.items():
        print(f"{label:<62} {r['median_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['x_floor']:>7.1f} "
              f"{r['queries']:>4} {r['status']:>4}")


if __name__ == "__main__":
    main()

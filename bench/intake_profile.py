"""One create end to end, in-process: the WSGI handler gunicorn calls, with bench/intake.py's settings and body.

    .venv/bin/python bench/intake_profile.py --database-url postgres://postgres@127.0.0.1:5432/bench_x [-n 300]
        [--profile cprofile|none] [--top 40]

A tool for finding where a create's time goes, not a benchmark (no HTTP, one thread, the profiler's own
overhead included when on). It WRITES events into the database it is given (use a copy of a bench base).
Prints: creates, wall and CPU time a create, statements a create and the time spent inside them (the database
round trips, measured by a connection execute wrapper), then the profile's top functions by own and cumulative
time. The first ``--warmup`` creates (default 20) build the grid index and the caches and are not counted.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(BASE_DIR), str(BASE_DIR / "bench")]


# the parts of a create, by the function that does each (file suffix, function name): cumulative time under the
# profiler; nested parts are inside the ones above them (the rollups inside "the case's rows", etc.)
PARTS = [
    ("the whole request (WSGI handler)", "django/core/handlers/wsgi.py", "__call__"),
    ("  the view under ninja (parse, auth, view, answer)", "ninja/operation.py", "run"),
    ("    token lookup", "gridgov/accounts/models.py", "lookup"),
    ("    the API view", "gridgov/events/api.py", "create_event"),
    ("      services.create_event", "gridgov/events/services.py", "create_event"),
    ("        checks (category)", "gridgov/events/services.py", "_validate"),
    ("        point -> grid, community", "gridgov/events/services.py", "locate"),
    ("        center", "gridgov/events/services.py", "center_for"),
    ("        open_event (deadlines + the case's rows)", "gridgov/events/workflow.py", "open_event"),
    ("          working-time deadline (due_moment)", "gridgov/events/workflow.py", "due_moment"),
    ("          the kernel's open", "gridgov/cases/engine.py", "open"),
    ("            model saves (event, log row, record)", "django/db/models/base.py", "save"),
    ("            rollups (tally.apply)", "gridgov/cases/tally.py", "apply"),
    ("            number", "gridgov/cases/numbers.py", "next_number"),
    ("            statistics record", "gridgov/cases/engine.py", "record"),
    ("            messages (cases.notify.send)", "gridgov/cases/notify.py", "send"),
    ("            outbox (interop stage)", "gridgov/interop/outbound.py", "stage"),
    ("      the answer (api.detail)", "gridgov/events/api.py", "detail"),
    ("  commit", "django/db/backends/base/base.py", "commit"),
    ("  all statements (execute wrapper)", "bench/intake_profile.py", "wrapper"),
]


def parts(stats, n: int) -> None:
    found = {}
    for (filename, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        for label, suffix, name in PARTS:
            if func == name and filename.endswith(suffix):
                found[label] = found.get(label, 0.0) + ct
    total = found.get(PARTS[0][0]) or 1.0
    print("cumulative time a create under the profiler (ms, share of the whole request):")
    for label, _s, _n in PARTS:
        if label in found:
            print(f"  {label:58s} {found[label] / n * 1000:7.2f} ms  {found[label] / total:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("-n", type=int, default=300, help="creates measured (default 300)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--profile", choices=("cprofile", "none"), default="cprofile")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--threads", type=int, default=1,
                        help="creates at once from this many threads, as gthread runs them (--profile none only)")
    parser.add_argument("--sql", action="store_true", help="print one create's statements with their times")
    args = parser.parse_args()

    import intake  # bench/intake.py: the same settings and body

    prep = intake.prepare(args.database_url)
    os.environ.update(intake._env(args.database_url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "gridgov.settings"
    from django.db import connection

    from gridgov.wsgi import application

    body = json.dumps({"category": prep["category"], "description": "路面有大量垃圾未清理，影响通行",
                       "lng": prep["lng"], "lat": prep["lat"], "address": "压测地址"}, ensure_ascii=False).encode()
    state = {"n": 0, "db": 0.0, "statements": 0}

    def wrapper(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            state["db"] += time.perf_counter() - t
            state["statements"] += 1

    def one(i: int) -> None:
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/events", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8310", "HTTP_HOST": "127.0.0.1:8310", "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Bearer {prep['token']}", "HTTP_IDEMPOTENCY_KEY": f"prof-{time.time_ns()}-{i}",
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        status = []
        out = application(environ, lambda s, h, exc_info=None: status.append(s))
        b"".join(out)
        if hasattr(out, "close"):
            out.close()
        if not status[0].startswith("201"):
            raise SystemExit(f"create answered {status[0]}: {b''.join(out)[:500]!r}")

    for i in range(args.warmup):
        one(i)
    if args.sql:
        seen = []

        def show(execute, sql, params, many, context):
            t = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                seen.append((time.perf_counter() - t, sql))

        with connection.execute_wrapper(show):
            one(-1)
        for seconds, sql in seen:
            print(f"{seconds * 1000:7.2f} ms  {sql[:230]}")
    with connection.execute_wrapper(wrapper):
        prof = cProfile.Profile() if args.profile == "cprofile" else None
        wall, cpu = time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        if args.threads > 1:
            import threading

            from django.db import connections

            def worker(start: int) -> None:
                for i in range(start, args.n, args.threads):
                    one(args.warmup + i)
                connections.close_all()

            with connection.execute_wrapper(wrapper):
                pass
            threads = [threading.Thread(target=worker, args=(t,)) for t in range(args.threads)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            for i in range(args.n):
                one(args.warmup + i)
        if prof:
            prof.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = args.n
    print(json.dumps({"creates": n, "wall_ms_per_create": round(wall / n * 1000, 2),
                      "cpu_ms_per_create": round(cpu / n * 1000, 2),
                      "statements_per_create": round(state["statements"] / n, 2),
                      "in_statements_ms_per_create": round(state["db"] / n * 1000, 2),
                      "profiler": args.profile}))
    if prof:
        stats = pstats.Stats(prof)
        print(f"function calls a create (cProfile): {stats.total_calls / n:,.0f}")
        parts(stats, n)
        stats.sort_stats(args.sort).print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top * 2)


if __name__ == "__main__":
    main()

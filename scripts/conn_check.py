"""Count the PostgreSQL connections a running demo server holds before, during and after a burst of requests.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_h5demo \\
        .venv/bin/python scripts/conn_check.py --url http://127.0.0.1:8000 --requests 1500 --clients 8

It issues an API token for a demo user (default op_gulou, revoked at the end), sends GET requests to a few API
endpoints and pages from ``--clients`` threads (127.0.0.1 only), samples ``pg_stat_activity`` for the
database every 0.1 s from its own connection (not counted), and prints one JSON line:
before / max during / after (``--settle`` seconds after the last response) and the status codes seen.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")

PATHS = ["/api/v1/events", "/api/v1/petitions", "/api/v1/disputes?limit=5", "/api/v1/petitions/backlog",
         "/accounts/login/", "/citizen/track/"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--requests", type=int, default=1500)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--user", default="op_gulou")
    ap.add_argument("--settle", type=float, default=5.0)
    args = ap.parse_args()
    if urlparse(args.url).hostname not in ("127.0.0.1", "localhost"):
        ap.error("only a local server (127.0.0.1) is checked")

    import django

    django.setup()
    import psycopg
    from django.db import connection

    from gridgov.accounts.models import ApiToken, User

    token, raw = ApiToken.issue(User.objects.get(username=args.user), name="conn_check")
    dbname = connection.settings_dict["NAME"]
    connection.close()  # the script's own Django connection is not part of the count

    s = connection.settings_dict
    probe = psycopg.connect(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"],
                            password=s["PASSWORD"] or None, dbname=dbname, autocommit=True)

    def count() -> int:
        return probe.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                             [dbname]).fetchone()[0]

    before = count()
    peak, stop = [before], threading.Event()

    def sample():
        while not stop.is_set():
            peak.append(count())
            time.sleep(0.1)

    codes: Counter = Counter()
    lock = threading.Lock()
    left = [args.requests]

    def client():
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
                n = left[0]
            req = urllib.request.Request(args.url + PATHS[n % len(PATHS)],
                                         headers={"Authorization": f"Bearer {raw}"})
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:
                    resp.read()
                    code = resp.status
            except urllib.error.HTTPError as exc:
                code = exc.code
            except OSError as exc:
                code = type(exc).__name__
            with lock:
                codes[code] += 1

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(args.clients)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started
    during = max(peak)
    time.sleep(args.settle)
    stop.set()
    sampler.join()
    after = count()
    token.delete()
    print(json.dumps({"database": dbname, "requests": args.requests, "clients": args.clients,
                      "seconds": round(elapsed, 1), "before": before, "max_during": during, "after": after,
                      "status": {str(k): v for k, v in sorted(codes.items(), key=str)}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

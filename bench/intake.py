"""Event intake over HTTP: POST /api/v1/events through gunicorn, against a bare-Django floor in the same run.

    .venv/bin/python bench/intake.py --database-url sqlite:////path/base.sqlite3 [--duration 20] [--port 8310]
    .venv/bin/python bench/intake.py --database-url postgres://postgres@127.0.0.1:5432/bench_x [--connections 8]

A benchmark, not a test; it WRITES events into the database it is given (use a copy of a base made by
bench/generate.py).  What it does:

1. issues an API token for a grid worker of the base and picks a point inside that worker's grid;
2. the floor: gunicorn (same workers, threads and settings as below) serving bench/intake_floor.py — a bare
   Django view that INSERTs one row into a scratch table ``bench_intake_floor`` of the same database —
   driven for ``--duration`` seconds;
3. gridgov itself: gunicorn ``gridgov.wsgi`` as ``make serve`` starts it (scripts/processes.sh start_web:
   gthread, WEB_WORKERS=2 × WEB_THREADS=4) with production settings (GRIDGOV_ENV=production, DEBUG off, fresh
   keys; plain HTTP on 127.0.0.1, so the TLS redirect is off as behind a proxy), driven the same way with a
   unique ``Idempotency-Key`` on every request;
4. the load generator is wrk (``/usr/bin/wrk``, a Lua script for the keys and the percentiles) on the same
   machine; it prints creates/s (201 answers only: a replay, 200, is counted apart), median / p95 / p99 latency and the ratio to the floor;
5. and the CPU time a 2xx answer cost during the measured seconds (Linux /proc): the web server's processes
   (``app``), the PostgreSQL server processes of the bench's database (``db``; not the server's WAL writer and
   other background processes) and wrk — figures that other load on the machine changes far less than the rate.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PY = str(BASE_DIR / ".venv" / "bin" / "python")

# Every request carries an Idempotency-Key no other request of any run has: RUN (a fresh random token per wrk run,
# put in by drive()), the thread's number and a counter. The thread's number is a global that setup() gives each
# thread's own Lua state (a `local` at the top would be a separate 0 in every thread: until 2026-12-03 it was,
# every thread sent the same keys, and about half the answers were replays, 200, counted as creates).
# ``ok`` counts 201 (created) only; ``replayed`` the other 2xx.
LUA = r"""
local counter = 0
local n = 0
local threads = {}
function setup(thread)
  n = n + 1
  thread:set("thread_no", n)
  table.insert(threads, thread)
end
function request()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = "bench-RUN-" .. thread_no .. "-" .. counter
  return wrk.format("POST", nil, nil, BODY)
end
ok = 0
replayed = 0
bad = 0
function response(status, headers, body)
  if status == 201 then ok = ok + 1 elseif status >= 200 and status < 300 then replayed = replayed + 1
  else bad = bad + 1 end
end
function done(summary, latency, requests)
  local good, again, failed = 0, 0, 0
  for _, t in ipairs(threads) do
    good = good + t:get("ok")
    again = again + t:get("replayed")
    failed = failed + t:get("bad")
  end
  io.write(string.format('RESULT {"requests": %d, "ok": %d, "replayed": %d, "bad": %d, "duration_us": %d, ' ..
    '"errors": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n', summary.requests, good, again, failed,
    summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _env(url: str) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": url, "GRIDGOV_ENV": "production", "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "GRIDGOV_SSL_REDIRECT": "0", "GRIDGOV_SECURE_COOKIES": "0",
        "GRIDGOV_FIELD_KEY": os.environ.get("GRIDGOV_FIELD_KEY") or _fernet_key(),
        "GRIDGOV_HASH_KEY": os.environ.get("GRIDGOV_HASH_KEY") or secrets.token_hex(32),
    })
    return env


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def prepare(url: str) -> dict:
    """A token for a grid worker and a point inside their grid (run in a child with the real settings)."""
    code = r"""
import json
from shapely.geometry import shape
from gridgov.accounts.models import ApiToken, User
from gridgov.events.models import Category
from gridgov.regions.models import GridStaff
staff = GridStaff.objects.select_related("grid", "user").filter(user__role=User.Role.GRID_WORKER,
    user__is_active=True, grid__active=True).order_by("grid__code").first()
point = shape(staff.grid.boundary).representative_point()
_t, raw = ApiToken.issue(staff.user, name="bench/intake.py", ttl_days=1)
cat = Category.objects.filter(active=True, parent__isnull=False).order_by("code").first()
print("PREP " + json.dumps({"token": raw, "lng": point.x, "lat": point.y, "category": cat.code,
                            "grid": staff.grid.code}))
"""
    out = subprocess.run([PY, "manage.py", "shell", "-c", code], cwd=BASE_DIR, env=_env(url), check=True,
                         capture_output=True, text=True).stdout
    return json.loads(next(line[5:] for line in out.splitlines() if line.startswith("PREP ")))


def count_events(url: str) -> int:
    code = "from gridgov.events.models import Event; print('COUNT', Event.objects.count())"
    out = subprocess.run([PY, "manage.py", "shell", "-c", code], cwd=BASE_DIR, env=_env(url), check=True,
                         capture_output=True, text=True).stdout
    return int(next(line.split()[1] for line in out.splitlines() if line.startswith("COUNT ")))


def start_gunicorn(app: str, url: str, port: int, workers: int, threads: int, log: Path,
                   worker_class: str = "gthread") -> subprocess.Popen:
    env = _env(url)
    env["PYTHONPATH"] = f"{BASE_DIR}:{BASE_DIR / 'bench'}"
    cmd = [PY, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--worker-class", worker_class,
           "--workers", str(workers), "--threads", str(threads), "--timeout", "120", "--graceful-timeout", "10",
           "--error-logfile", str(log)]
    proc = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return proc
        except Exception:
            time.sleep(0.5)
    stop(proc)
    raise SystemExit(f"gunicorn {app} did not answer on port {port}; see {log}")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_of(pids) -> float:
    """CPU seconds (user + system) the processes ``pids`` have used so far (Linux /proc; gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def _group(pgid: int) -> list[int]:
    """The processes of a process group (gunicorn's master and workers: it runs in a session of its own)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[2]) == pgid:
                        out.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return out


def _db_backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving the bench's database (the workers' persistent connections); [] on
    SQLite or when the server runs elsewhere."""
    if not url.startswith("postgres"):
        return []
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                            "AND pid <> pg_backend_pid()").fetchall()
    return [r[0] for r in rows]


def cpu_split(proc: subprocess.Popen, url: str, run) -> dict:
    """``run()``'s result, with the CPU the web server's processes, the database's server processes for this
    database and the load generator used during it (ms a 2xx answer): what a request costs whatever else runs."""
    app, db = _group(proc.pid), _db_backends(url)
    app0, db0 = _cpu_of(app), _cpu_of(db)
    import resource

    wrk0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run()
    wrk1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    ok = max(result["ok"], 1)
    result["cpu_ms_app"] = round((_cpu_of(app) - app0) / ok * 1000, 2)
    result["cpu_ms_db"] = round((_cpu_of(db) - db0) / ok * 1000, 2) if db else None
    result["cpu_ms_wrk"] = round((wrk1.ru_utime + wrk1.ru_stime - wrk0.ru_utime - wrk0.ru_stime) / ok * 1000, 2)
    return result


def drive(port: int, path: str, body: dict, token: str, duration: int, connections: int, threads: int) -> dict:
    lua = LUA.replace("BODY", json.dumps(json.dumps(body, ensure_ascii=False), ensure_ascii=False)).replace(
        "RUN", secrets.token_hex(8))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
           "-H", "Content-Type: application/json", "-H", f"Authorization: Bearer {token}", "-s", f.name,
           f"http://127.0.0.1:{port}{path}"]
    run = subprocess.run(cmd, capture_output=True, text=True)
    os.unlink(f.name)
    lines = [line[7:] for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    if run.returncode or not lines:
        raise SystemExit(f"wrk failed ({run.returncode}): {run.stdout}\n{run.stderr}")
    r = json.loads(lines[0])
    seconds = r["duration_us"] / 1e6
    return {"ok_per_s": round(r["ok"] / seconds, 1), "requests": r["requests"], "ok": r["ok"],
            "replayed": r["replayed"], "bad": r["bad"],
            "socket_errors": r["errors"], "p50_ms": r["p50_us"] / 1000, "p95_ms": r["p95_us"] / 1000,
            "p99_ms": r["p99_us"] / 1000, "seconds": round(seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a COPY of a bench base: events are written into it")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per server (default 20)")
    parser.add_argument("--warmup", type=int, default=60,
                        help="seconds of load before measuring: each worker builds its grid index first (default 60)")
    parser.add_argument("--port", type=int, default=8310)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (default 4)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--worker-class", default="gthread",
                        help="gunicorn worker class for both servers (default gthread, as make serve; sync ignores "
                             "--threads)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt-get install wrk)")
    url = args.database_url
    log_dir = BASE_DIR / "bench" / "out"
    log_dir.mkdir(parents=True, exist_ok=True)
    before = count_events(url)
    prep = prepare(url)
    body = {"category": prep["category"], "description": "路面有大量垃圾未清理，影响通行", "lng": prep["lng"],
            "lat": prep["lat"], "address": "压测地址"}
    results = {}
    for name, app, path in (("floor", "intake_floor:application", "/floor"),
                            ("gridgov", "gridgov.wsgi:application", "/api/v1/events")):
        proc = start_gunicorn(app, url, args.port, args.workers, args.threads, log_dir / f"intake-{name}.log",
                              args.worker_class)
        try:
            if args.warmup:
                drive(args.port, path, body, prep["token"], args.warmup, args.connections, 2)
            results[name] = cpu_split(proc, url, lambda path=path: drive(args.port, path, body, prep["token"],
                                                                         args.duration, args.connections, 2))
        finally:
            stop(proc)
        print(f"{name:8s} {json.dumps(results[name])}", flush=True)
    after = count_events(url)
    g, f = results["gridgov"], results["floor"]
    print(json.dumps({"database": url.split("@")[-1], "events_before": before, "events_after": after,
                      "grid": prep["grid"], "worker_class": args.worker_class, "workers": args.workers,
                      "threads": args.threads,
                      "connections": args.connections, "creates_per_s": g["ok_per_s"], "p50_ms": g["p50_ms"],
                      "p95_ms": g["p95_ms"], "p99_ms": g["p99_ms"], "floor_per_s": f["ok_per_s"],
                      "ratio_to_floor": round(g["ok_per_s"] / f["ok_per_s"], 3) if f["ok_per_s"] else None,
                      "cpu_ms_a_create": {"app": g["cpu_ms_app"], "db": g["cpu_ms_db"], "wrk": g["cpu_ms_wrk"]},
                      "cpu_ms_a_floor_request": {"app": f["cpu_ms_app"], "db": f["cpu_ms_db"], "wrk": f["cpu_ms_wrk"]},
                      "replayed": g["replayed"], "non_2xx": g["bad"], "socket_errors": g["socket_errors"]}, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())

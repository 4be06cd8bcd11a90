#!/bin/sh
# `make serve`: one production box — gunicorn, the task workers, the sweeps and the report makers against
# PostgreSQL and Redis (docs/operations.md "One production box", docs/scaling.md for more than one).
# Needs the production environment: GRIDGOV_ENV=production, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL=postgres://…,
# REDIS_URL=redis://…, GRIDGOV_FIELD_KEY and GRIDGOV_HASH_KEY (docs/operations.md "Production settings").
# Sizes: WEB_WORKERS (default: 2 × cores + 1), WEB_THREADS (4), TASK_WORKERS (2). Probes: /healthz, /readyz.
set -eu
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
LOG_DIR=${LOG_DIR:-var/log}
case "${DATABASE_URL:-}" in
    postgres://*|postgresql://*) ;;
    *) echo "serve: DATABASE_URL must name a PostgreSQL database (postgres://…); the embedded SQLite is for the demo" >&2; exit 2 ;;
esac
case "${REDIS_URL:-}" in
    redis://*|rediss://*) ;;
    *) echo "serve: REDIS_URL must name a Redis server (redis://…): rate limits and caches are shared by all workers" >&2; exit 2 ;;
esac
export GRIDGOV_ENV=${GRIDGOV_ENV:-production}
mkdir -p "$LOG_DIR"
. scripts/processes.sh
"$PY" manage.py check --deploy
"$PY" manage.py migrate --noinput
"$PY" manage.py collectstatic --noinput >/dev/null
WEB_WORKERS=${WEB_WORKERS:-$(( $(nproc) * 2 + 1 ))}
TASK_WORKERS=${TASK_WORKERS:-2}
pids=""
start_background
trap 'kill $pids 2>/dev/null || true' EXIT INT TERM
echo "serve: $TASK_WORKERS task workers, the sweeps and the report makers running (logs in $LOG_DIR)"
echo "serve: gunicorn on $HOST:$PORT, $WEB_WORKERS workers × ${WEB_THREADS:-4} threads (probes: /healthz, /readyz)"
start_web
wait "$web"

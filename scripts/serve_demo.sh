#!/bin/sh
# Serve the demo with the processes a real installation runs beside the web server (docs/operations.md):
# the task worker, the sweeps and the report makers (scripts/processes.sh). Their output goes to var/*.log;
# they stop when the web server stops.
set -eu
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
LOG_DIR=var
mkdir -p "$LOG_DIR"
. scripts/processes.sh
# refuse a port that is taken before starting anything (else the address printed would be someone else's)
"$PY" scripts/demo_address.py free "$HOST" "$PORT" || exit 1
pids=""
TASK_WORKERS=1 start_background
trap 'kill $pids 2>/dev/null || true' EXIT INT TERM
echo "demo: task worker, sweeps, webhook deliveries and reports running (logs in var/worker.log, var/sweeps.log, var/deliveries.log, var/reports.log)"
# (`manage.py runserver` starts a thread per request; it is for development and keeps no connection open.)
# Static files are served by WhiteNoise; requests are logged to var/access.log.
WEB_WORKERS=${WEB_WORKERS:-2}
WEB_THREADS=${WEB_THREADS:-4}
echo "demo: starting the web server on $HOST:$PORT (gunicorn, $WEB_WORKERS workers × $WEB_THREADS threads; Ctrl-C stops everything)"
start_web
# the address to open, printed only once the server answers there (scripts/demo_address.py)
"$PY" scripts/demo_address.py wait "$HOST" "$PORT" "$web" || exit 1
wait "$web"

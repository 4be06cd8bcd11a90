#!/bin/sh
# Serve the demo with the processes a real installation runs beside the web server (docs/operations.md):
# the task worker (delivers notifications) and the sweeps (SLA reminders and escalation of events, disputes and petitions; overdue visits).
# Their output goes to var/*.log; they stop when the web server stops.
set -eu
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
mkdir -p var
"$PY" manage.py db_worker >>var/worker.log 2>&1 &
pids=$!
"$PY" manage.py sla_sweep --loop --interval 60 >>var/sweeps.log 2>&1 &
pids="$pids $!"
"$PY" manage.py visit_sweep --loop --interval 3600 >>var/sweeps.log 2>&1 &
pids="$pids $!"
"$PY" manage.py dispute_sweep --loop --interval 300 >>var/sweeps.log 2>&1 &
pids="$pids $!"
"$PY" manage.py petition_sweep --loop --interval 300 >>var/sweeps.log 2>&1 &
pids="$pids $!"
trap 'kill $pids 2>/dev/null || true' EXIT INT TERM
echo "demo: task worker and sweeps running (logs in var/worker.log, var/sweeps.log)"
"$PY" manage.py runserver "$HOST:$PORT"

#!/bin/sh
# Serve the demo with the processes a real installation runs beside the web server (docs/operations.md):
# the task worker (delivers notifications) and the sweeps (SLA reminders and escalation of events, disputes and petitions; overdue visits).
# Their output goes to var/*.log; they stop when the web server stops.
set -eu
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
mkdir -p var
# refuse a port that is taken before starting anything (else the address printed would be someone else's)
"$PY" scripts/demo_address.py free "$HOST" "$PORT" || exit 1
"$PY" manage.py db_worker >>var/worker.log 2>&1 &
pids=$!
# one sweep for every lifecycle on the case kernel (events, disputes, petitions), and the visits' own
"$PY" manage.py case_sweep --loop --interval 60 >>var/sweeps.log 2>&1 &
pids="$pids $!"
"$PY" manage.py visit_sweep --loop --interval 3600 >>var/sweeps.log 2>&1 &
pids="$pids $!"
# the early-warning rules (gridgov/warnings): new conditions raise warnings, lasting ones update theirs
"$PY" manage.py warning_sweep --loop --interval 600 >>var/sweeps.log 2>&1 &
pids="$pids $!"
# the weekly and monthly reports (通报) of every center: checked hourly, made once when a week or month has ended
"$PY" manage.py stats_reports --loop --interval 3600 >>var/reports.log 2>&1 &
pids="$pids $!"
# the drafts of the monthly analysis reports (一分析三报告) of every center: checked hourly, drafted once a month
"$PY" manage.py analysis_reports --loop --interval 3600 >>var/reports.log 2>&1 &
pids="$pids $!"
trap 'kill $pids 2>/dev/null || true' EXIT INT TERM
echo "demo: task worker, sweeps and reports running (logs in var/worker.log, var/sweeps.log, var/reports.log)"
# The web server is gunicorn with a fixed pool: WEB_WORKERS processes × WEB_THREADS threads, each thread keeping
# at most one database connection (persistent for CONN_MAX_AGE), so with PostgreSQL the demo holds at most
# WEB_WORKERS × WEB_THREADS connections for the web plus one per worker/sweep above, however many requests come.
# (`manage.py runserver` starts a thread per request; it is for development and keeps no connection open.)
# Static files are served by WhiteNoise; requests are logged to var/access.log.
WEB_WORKERS=${WEB_WORKERS:-2}
WEB_THREADS=${WEB_THREADS:-4}
echo "demo: starting the web server on $HOST:$PORT (gunicorn, $WEB_WORKERS workers × $WEB_THREADS threads; Ctrl-C stops everything)"
"$PY" -m gunicorn gridgov.wsgi:application --bind "$HOST:$PORT" --worker-class gthread \
    --workers "$WEB_WORKERS" --threads "$WEB_THREADS" --timeout 120 --graceful-timeout 10 \
    --access-logfile var/access.log --error-logfile - &
web=$!
pids="$pids $web"
# the address to open, printed only once the server answers there (scripts/demo_address.py)
"$PY" scripts/demo_address.py wait "$HOST" "$PORT" "$web" || exit 1
wait "$web"

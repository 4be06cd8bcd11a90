# Sourced by scripts/serve_demo.sh (the demo) and scripts/serve.sh (`make serve`, production):
# the processes a gridgov installation runs beside its web servers, started in the background.
# start_background: TASK_WORKERS task workers (deliver notifications), one sweep for every lifecycle on the case
# kernel, the visits' sweep, the early-warning rules, the departments' webhook retries (interop_deliver), the weekly/monthly reports (通报) and the monthly analysis
# drafts (一分析三报告); logs under $LOG_DIR; their pids are added to $pids.
# start_web: gunicorn with WEB_WORKERS processes × WEB_THREADS threads on $HOST:$PORT; its pid is $web.

start_background() {
    i=0
    while [ "$i" -lt "${TASK_WORKERS:-1}" ]; do
        "$PY" manage.py db_worker >>"$LOG_DIR/worker.log" 2>&1 &
        pids="$pids $!"
        i=$((i + 1))
    done
    "$PY" manage.py case_sweep --loop --interval "${SWEEP_INTERVAL:-60}" >>"$LOG_DIR/sweeps.log" 2>&1 &
    pids="$pids $!"
    "$PY" manage.py visit_sweep --loop --interval 3600 >>"$LOG_DIR/sweeps.log" 2>&1 &
    pids="$pids $!"
    "$PY" manage.py warning_sweep --loop --interval 600 >>"$LOG_DIR/sweeps.log" 2>&1 &
    pids="$pids $!"
    "$PY" manage.py interop_deliver --loop --interval "${DELIVER_INTERVAL:-15}" >>"$LOG_DIR/deliveries.log" 2>&1 &
    pids="$pids $!"
    "$PY" manage.py stats_reports --loop --interval 3600 >>"$LOG_DIR/reports.log" 2>&1 &
    pids="$pids $!"
    "$PY" manage.py analysis_reports --loop --interval 3600 >>"$LOG_DIR/reports.log" 2>&1 &
    pids="$pids $!"
}

# Each gunicorn thread keeps at most one database connection (persistent for GRIDGOV_CONN_MAX_AGE), so the web
# holds at most WEB_WORKERS × WEB_THREADS connections however many requests come (docs/operations.md).
start_web() {
    "$PY" -m gunicorn gridgov.wsgi:application --bind "$HOST:$PORT" --worker-class gthread \
        --workers "${WEB_WORKERS:-2}" --threads "${WEB_THREADS:-4}" --timeout 120 --graceful-timeout 10 \
        --access-logfile "$LOG_DIR/access.log" --error-logfile - &
    web=$!
    pids="$pids $web"
}

"""Many processes at once on one PostgreSQL database, as `make serve` runs them on one box or several:
two app servers (gunicorn), two task workers (db_worker) and two SLA sweeps, under a bounded load of
event reports where every report is sent twice (once to each server, at the same moment, with the same
Idempotency-Key), while the sweeps race to escalate overdue cases. Afterwards nothing is lost and nothing
is doubled: events, their logs, the escalations, the notifications and their deliveries.

PostgreSQL only: SQLite is the single-box demo database, not one several servers share."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Max
from django.utils import timezone

from gridgov.accounts.models import ApiToken
from gridgov.core.models import Notification
from gridgov.events import services
from gridgov.events.models import Event, EventLog, SlaNotice
from gridgov.events.taxonomy import install_default_categories
from gridgov.testing import make_city

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
                       reason="several servers share one PostgreSQL database; SQLite is the one-box demo database"),
]

REPORTS = 120  # distinct reports over HTTP, each sent twice
OVERDUE = 30  # cases past their deadline when the sweeps start
POINT = (116.005, 36.405)  # grid A1 of the test city


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    d = connection.settings_dict
    auth = d["USER"] + (f":{d['PASSWORD']}" if d.get("PASSWORD") else "")
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


def _redis_url() -> str:
    with socket.socket() as s:
        s.settimeout(1)
        return "redis://127.0.0.1:6379/15" if s.connect_ex(("127.0.0.1", 6379)) == 0 else ""


def _wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0


def _readiness(ports) -> str:
    out = []
    for port in ports:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
                out.append(resp.read().decode())
        except urllib.error.HTTPError as exc:
            out.append(exc.read().decode())
        except (urllib.error.URLError, OSError) as exc:
            out.append(str(exc))
    return "\n".join(out)


def _post(url: str, token: str, key: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture
def processes(tmp_path):
    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": _redis_url(), "DEBUG": "0",
           "GRIDGOV_DATA_DIR": str(tmp_path), "GRIDGOV_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
           "GRIDGOV_NOTIFY_BACKENDS": "file", "GRIDGOV_NOTIFY_FILE": str(tmp_path / "delivered.jsonl"),
           "GRIDGOV_CONN_MAX_AGE": "0"}
    py, base = sys.executable, settings.BASE_DIR
    started: list[subprocess.Popen] = []

    def start(*args: str, name: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 — closed with the process
        p = subprocess.Popen([py, *args], cwd=base, env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        started.append(p)
        return p

    ports = [_free_port(), _free_port()]
    for i, port in enumerate(ports):
        start("-m", "gunicorn", "gridgov.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1",
              "--worker-class", "gthread", "--threads", "4", "--timeout", "120", name=f"web{i}")
    for i in range(2):
        start("manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay", "--worker-id", f"w{i}",
              name=f"worker{i}")
    yield SimpleProcs(ports, tmp_path, start, started)
    for p in started:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in started:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


class SimpleProcs:
    def __init__(self, ports, tmp, start, started):
        self.ports, self.tmp, self.start, self.started = ports, tmp, start, started

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.started)

    def logs(self) -> str:
        return "\n".join(f"--- {f.name}\n{f.read_text()[-2000:]}" for f in sorted(self.tmp.glob("*.log")))


def test_two_servers_two_workers_and_two_sweeps_lose_nothing_and_double_nothing(processes):
    from django_tasks_db.models import DBTaskResult

    c = make_city()
    install_default_categories()
    past = timezone.now() - timedelta(days=10)
    overdue = [services.create_event(c.worker_a, services.EventInput(
        category="0301", description=f"逾期未受理的垃圾堆放 {i}", lng=POINT[0], lat=POINT[1]), now=past)[0]
        for i in range(OVERDUE)]
    _t, token = ApiToken.issue(c.operator_a)
    before = Notification.objects.aggregate(m=Max("pk"))["m"] or 0

    _wait_until(lambda: all(_get(f"http://127.0.0.1:{p}/readyz") == 200 for p in processes.ports), 90,
                f"both app servers ready\n{processes.logs()}\n{_readiness(processes.ports)}")
    for i in range(2):  # the sweeps start racing while the reports come in
        processes.start("manage.py", "case_sweep", "--loop", "--interval", "1", name=f"sweep{i}")

    def send(job):
        i, port = job
        return i, _post(f"http://127.0.0.1:{port}/api/v1/events", token, f"mp-{i}", {
            "category": "0301", "description": f"多进程测试上报的事件 第{i}件", "lng": POINT[0], "lat": POINT[1]})

    jobs = [(i, port) for i in range(REPORTS) for port in processes.ports]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(send, jobs))

    # every request answered, both answers of a report name the same event, exactly one of them created it
    by_report: dict[int, list] = {}
    for i, (status, body) in answers:
        assert status in (200, 201), (status, body)
        by_report.setdefault(i, []).append((status, body["number"]))
    for i, pair in by_report.items():
        assert len({number for _s, number in pair}) == 1, (i, pair)
        assert sorted(s for s, _n in pair) == [200, 201], (i, pair)

    # the sweeps escalate every overdue case; the workers deliver every notification
    _wait_until(lambda: SlaNotice.objects.filter(event__in=overdue, kind="escalate").count() >= OVERDUE, 120,
                f"the sweeps to escalate the overdue cases\n{processes.logs()}")
    time.sleep(3)  # a second round of both sweeps finds nothing more to do
    _wait_until(lambda: not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists(), 120,
                f"the task workers to drain the queue\n{processes.logs()}")
    assert processes.alive(), processes.logs()
    assert not DBTaskResult.objects.filter(status="FAILED").exists(), processes.logs()

    created = Event.objects.filter(idempotency_key__startswith="mp-")
    assert created.count() == REPORTS  # 0 lost, 0 duplicated
    assert set(created.values_list("number", flat=True)) == {pair[0][1] for pair in by_report.values()}
    assert Event.objects.values("number").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    # each new event has exactly one report log; each overdue one exactly one escalation
    report_logs = Counter(EventLog.objects.filter(event__in=created, action="report").values_list("event", flat=True))
    assert len(report_logs) == REPORTS and set(report_logs.values()) == {1}
    escalations = Counter(EventLog.objects.filter(event__in=overdue, action="sla_escalate")
                          .values_list("event", flat=True))
    assert len(escalations) == OVERDUE and set(escalations.values()) == {1}
    assert SlaNotice.objects.filter(event__in=overdue, kind="escalate").count() == OVERDUE

    # notifications: made once, each delivered exactly once (the workers claim each task once). The sweeps'
    # notices are counted above by their SlaNotice/log rows (how they are grouped into messages may change).
    made = Notification.objects.filter(pk__gt=before)
    assert made.exists()
    dupes = (made.exclude(kind__startswith="sla_").values("recipient", "kind", "subject", "link")
             .annotate(n=Count("id")).filter(n__gt=1))
    assert not dupes.exists(), list(dupes)
    lines = Path(processes.tmp / "delivered.jsonl").read_text().splitlines()
    delivered = Counter(json.loads(line)["id"] for line in lines)
    assert set(delivered) == set(made.values_list("pk", flat=True))
    assert set(delivered.values()) == {1}
    assert not made.exclude(delivered__file="ok").exists()

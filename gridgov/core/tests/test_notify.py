"""The notification backends: what each one actually sends."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from gridgov.core import notify
from gridgov.core.models import Notification


def test_file_backend_appends_one_json_line_per_notification(city, settings, tmp_path):
    out = tmp_path / "notes.jsonl"
    settings.GRIDGOV = {**settings.GRIDGOV, "NOTIFY_BACKENDS": "file", "NOTIFY_FILE": str(out)}
    created = notify.notify([city.operator_a, city.operator_a, city.liaison_cg], "dispatch", "新派遣：SJ1", "请处理",
                            "/events/SJ1/")
    assert len(created) == 2  # the same recipient twice is told once
    for n in created:
        notify.deliver(n.pk)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["recipient"] for x in lines] == ["op_a", "liaison_cg"]
    assert lines[0]["subject"] == "新派遣：SJ1" and lines[0]["link"] == "/events/SJ1/"
    assert Notification.objects.get(pk=created[0].pk).delivered == {"file": "ok"}


@pytest.fixture
def webhook_server():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Content-Type"], json.loads(body)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms", received
    server.shutdown()


def test_webhook_backend_posts_the_notification_as_json(city, settings, webhook_server):
    url, received = webhook_server
    settings.GRIDGOV = {**settings.GRIDGOV, "NOTIFY_BACKENDS": "webhook", "NOTIFY_WEBHOOK_URL": url}
    [n] = notify.notify([], "verify_pass", "您反映的问题已办结，请评价：SJ2", "已清理", phone="13800001234")
    assert notify.deliver(n.pk) == {"webhook": "ok"}
    ctype, payload = received[0]
    assert ctype.startswith("application/json")
    assert payload["phone"] == "13800001234" and payload["subject"].endswith("SJ2") and payload["kind"] == "verify_pass"


def test_a_failing_gateway_is_recorded_and_the_notification_kept(city, settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "NOTIFY_BACKENDS": "webhook,file",
                        "NOTIFY_WEBHOOK_URL": "http://127.0.0.1:9/unreachable"}
    [n] = notify.notify([city.worker_a], "x", "主题")
    result = notify.deliver(n.pk)
    assert result["webhook"].startswith("error") and result["file"] == "ok"
    assert Notification.objects.filter(pk=n.pk).exists()


def test_with_the_database_queue_the_delivery_task_is_written_in_the_notifications_transaction(
        city, settings, django_capture_on_commit_callbacks):
    """The task row goes with the notification rows: committed together, rolled back together."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        [n] = notify.notify([city.worker_a], "x", "主题")
        [row] = DBTaskResult.objects.all()
        assert row.args_kwargs == {"args": [n.pk], "kwargs": {}}
        assert row.task_path.endswith("deliver_notification")
    assert callbacks == []  # nothing left for after the commit
    with transaction.atomic():
        notify.notify([city.worker_a, city.worker_b], "x", "主题")
        assert DBTaskResult.objects.count() == 2
        transaction.set_rollback(True)
    assert DBTaskResult.objects.count() == 1 and Notification.objects.count() == 1


def test_muted_creates_nothing(city):
    with notify.muted():
        assert notify.notify([city.worker_a], "x", "主题") == []
    assert not Notification.objects.exists()


def test_a_dispatch_notifies_the_lead_and_summons_the_assisting_department(city, report):
    from gridgov.events import services

    e = report()
    services.perform_action(city.operator_a, e, "accept")
    services.perform_action(city.operator_a, e, "dispatch", {"lead_department": "CG", "assisting_departments": ["ZJ"]})
    assert Notification.objects.filter(recipient=city.liaison_cg, kind="dispatch").count() == 1
    assert Notification.objects.filter(recipient=city.liaison_zj, kind="summon").count() == 1

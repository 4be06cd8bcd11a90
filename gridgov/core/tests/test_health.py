"""/healthz and /readyz (gridgov/core/health.py): answered for any Host, over plain HTTP, with no secrets."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.core import health
from gridgov.core.tasks import deliver_notification

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.mark.django_db
def test_liveness_answers_for_an_unknown_host_without_touching_the_database(client, django_assert_num_queries, settings):
    settings.SECURE_SSL_REDIRECT = True  # a probe over plain HTTP is not redirected
    with django_assert_num_queries(0):
        resp = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}
    assert resp["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readiness_checks_database_cache_and_queue(client, settings):
    settings.TASKS = DB_TASKS
    resp = client.get("/readyz", HTTP_HOST="10.1.2.3")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "queue"}
    assert all(c["ok"] for c in body["checks"].values())
    assert body["checks"]["queue"]["waiting"] == 0


@pytest.mark.django_db
def test_readiness_fails_when_the_oldest_waiting_task_is_too_old(client, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    settings.GRIDGOV = {**settings.GRIDGOV, "READY_MAX_QUEUE_AGE_S": 600}
    deliver_notification.enqueue(1)
    deliver_notification.enqueue(2)
    assert client.get("/readyz").status_code == 200  # just enqueued: the workers have time
    DBTaskResult.objects.filter(pk=DBTaskResult.objects.order_by("enqueued_at").first().pk).update(
        enqueued_at=timezone.now() - timedelta(minutes=11))
    resp = client.get("/readyz")
    assert resp.status_code == 503
    queue = resp.json()["checks"]["queue"]
    assert queue["ok"] is False and queue["waiting"] == 2 and queue["oldest_waiting_s"] >= 660


@pytest.mark.django_db
def test_readiness_fails_without_a_leak_when_the_database_does_not_answer(client, monkeypatch):
    def broken(alias):
        def check():
            raise RuntimeError("connection refused to db.internal:5432 password=secret")
        return check

    monkeypatch.setattr(health, "_database", broken)
    resp = client.get("/readyz")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "unavailable" and body["checks"]["database"]["ok"] is False
    assert "secret" not in resp.content.decode() and "db.internal" not in resp.content.decode()


@pytest.mark.django_db
def test_readiness_fails_when_the_cache_loses_what_was_written(client, monkeypatch):
    monkeypatch.setattr(health.cache, "get", lambda key, default=None: None)
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["checks"]["cache"]["ok"] is False


def test_probes_take_only_get_and_head(client):
    resp = client.post("/healthz")
    assert resp.status_code == 405 and resp["Allow"] == "GET, HEAD"
    assert client.head("/healthz").status_code == 200

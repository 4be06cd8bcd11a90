"""Pluggable notification delivery: console, file (JSON lines) and webhook backends.

A notification is first a row (the in-app inbox); delivery to the configured
backends happens after the transaction commits, through the task queue.  An SMS
or messaging gateway is reached with the webhook backend.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
import urllib.request
from collections.abc import Iterable
from urllib.parse import urlparse

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from gridgov.core.crypto import mask_phone
from gridgov.core.models import Notification

log = logging.getLogger("gridgov.notify")

_muted: contextvars.ContextVar[bool] = contextvars.ContextVar("gridgov_notify_muted", default=False)


@contextlib.contextmanager
def muted():
    """Create no notifications inside the block (loading history, e.g. the demo city)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def _payload(n: Notification) -> dict:
    return {
        "id": n.pk,
        "kind": n.kind,
        "recipient": n.recipient.username if n.recipient_id else None,
        "phone": n.phone or None,
        "subject": n.subject,
        "body": n.body,
        "link": n.link,
        "created_at": n.created_at.isoformat(),
    }


class ConsoleBackend:
    name = "console"

    def send(self, n: Notification) -> None:
        # a console is a log: the citizen's number masked (the webhook / file backends carry it for the SMS gateway)
        print(f"[通知] {n.recipient or mask_phone(n.phone)}: {n.subject} {n.link}", file=sys.stderr)


class FileBackend:
    name = "file"

    def send(self, n: Notification) -> None:
        with open(settings.GRIDGOV["NOTIFY_FILE"], "a", encoding="utf-8") as fh:
            fh.write(json.dumps(_payload(n), ensure_ascii=False) + "\n")


class WebhookBackend:
    """POSTs the notification as JSON to GRIDGOV_NOTIFY_WEBHOOK_URL (e.g. an SMS gateway adapter)."""

    name = "webhook"

    def send(self, n: Notification) -> None:
        url = settings.GRIDGOV["NOTIFY_WEBHOOK_URL"]
        if not url or urlparse(url).scheme not in ("http", "https"):
            raise ValueError("GRIDGOV_NOTIFY_WEBHOOK_URL is not an http(s) URL")
        body = json.dumps(_payload(n), ensure_ascii=False).encode()
        req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json; charset=utf-8"})
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - configured by the operator
            if resp.status >= 300:
                raise RuntimeError(f"webhook answered {resp.status}")


BACKENDS = {b.name: b for b in (ConsoleBackend, FileBackend, WebhookBackend)}


def configured_backends() -> list:
    names = [n.strip() for n in settings.GRIDGOV["NOTIFY_BACKENDS"].split(",") if n.strip()]
    return [BACKENDS[n]() for n in names if n in BACKENDS]


def deliver(notification_id: int) -> dict:
    n = Notification.objects.select_related("recipient").get(pk=notification_id)
    result = {}
    for backend in configured_backends():
        try:
            backend.send(n)
            result[backend.name] = "ok"
        except Exception as exc:  # a gateway failing must not lose the notification row
            log.warning("notification %s via %s failed: %s", n.pk, backend.name, exc)
            result[backend.name] = f"error: {exc}"
    Notification.objects.filter(pk=n.pk).update(delivered=result)
    return result


def is_muted() -> bool:
    return _muted.get()


def save_all(rows: list[Notification]) -> list[Notification]:
    """Insert the notification rows in one statement and deliver them after the transaction commits
    (one delivery task for the lot). Nothing is written inside :func:`muted`."""
    from gridgov.core.tasks import deliver_notification, deliver_notifications

    if _muted.get() or not rows:
        return []
    if connection.features.can_return_rows_from_bulk_insert:
        created = Notification.objects.bulk_create(rows)
    else:  # an SQLite before 3.35 gives no ids back from a bulk insert: one insert a row
        created = [Notification.objects.create(**{f.attname: getattr(r, f.attname) for f in r._meta.concrete_fields
                                                  if f.attname != "id"}) for r in rows]
    ids = [n.pk for n in created]
    if len(ids) == 1:
        enqueue_at_commit(deliver_notification, ids[0])
    else:
        enqueue_at_commit(deliver_notifications, ids)
    return created


def enqueue_at_commit(task, *args) -> None:
    """Queue ``task(*args)`` to run once the current transaction commits.

    With the database queue (django-tasks-db) in this database, the task's row is written now, inside the
    transaction: workers see it at the commit — when ``on_commit`` would have written it — and never if the
    transaction is rolled back; it saves the separate transaction (and its WAL flush) that an INSERT after the
    commit costs. Any other queue is given the task after the commit."""
    if _queue_in_this_database(task) and connection.in_atomic_block:
        task.enqueue(*args)
    else:
        transaction.on_commit(lambda: task.enqueue(*args))


def _queue_in_this_database(task) -> bool:
    from django.db import router
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    return isinstance(task.get_backend(), DatabaseBackend) and router.db_for_write(DBTaskResult) == connection.alias


def notify(recipients: Iterable, kind: str, subject: str, body: str = "", link: str = "", phone: str = "") -> list:
    """Create one notification per recipient (deduplicated) and deliver after commit."""
    if _muted.get():
        return []
    now = timezone.now()
    rows = []
    seen = set()
    for user in recipients:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(Notification(recipient=user, kind=kind, subject=subject, body=body, link=link, created_at=now))
    if phone:
        rows.append(Notification(phone=phone, kind=kind, subject=subject, body=body, link=link, created_at=now))
    return save_all(rows)

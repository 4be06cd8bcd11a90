"""Outbound webhooks: the outbox staged inside each transition, sent after commit, retried by the sweep.

* :func:`stage` (a receiver of ``cases.signals.transitioned``) writes one :class:`Delivery` per active
  subscription of each department the transition concerns, in the transition's transaction: a rollback
  stages nothing, a commit never loses one. After commit a task sends them at once.
* :func:`deliver_due` (``manage.py interop_deliver [--loop]``) sends what is due. A row is *claimed* with a
  conditional UPDATE that moves its ``next_attempt_at`` a lease ahead, so two workers never send it at the same
  time; a worker that dies mid-send leaves it to be sent again after the lease (the receiver de-duplicates by
  the delivery id). A failure waits 1, 2, 4 … minutes (capped at an hour); after ``MAX_ATTEMPTS`` the row is
  dead and waits for an administrator's :func:`replay`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gridgov.interop.models import CLEARING_ACTIONS, Delivery, Subscription

log = logging.getLogger("gridgov.interop")

TIMEOUT_S = 10
MAX_ATTEMPTS = 10  # waits 1+2+4+8+16+32+60+60+60 min: about four hours before a row is dead
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
CLAIM_LEASE = timedelta(minutes=2)  # > TIMEOUT_S: a claimed row is nobody else's while it is being sent
BATCH = 100

SIGNATURE_HEADER = "X-Gridgov-Signature"
TIMESTAMP_HEADER = "X-Gridgov-Timestamp"
DELIVERY_HEADER = "X-Gridgov-Delivery"


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1 min, 2, 4 … capped at an hour."""
    return min(FIRST_DELAY * (2 ** max(attempts - 1, 0)), MAX_DELAY)


# --- staging (inside the transition) --------------------------------------------------------------------

def recipients(event, action: str, opened: bool = False) -> dict[int, str]:
    """department pk → its part ("lead", "assisting", "involved") for this transition, read after it.
    ``opened``: the event is being created in this transaction, so no department has been called to it or
    worked on it yet (those rows are written by later transitions): only its lead, if it was given one."""
    found: dict[int, str] = {}
    if not opened:
        if action in CLEARING_ACTIONS:  # the case names no department now: tell those who worked on it
            for pk in event.involved_departments.values_list("pk", flat=True):
                found[pk] = "involved"
        for pk in event.assisting_departments.values_list("pk", flat=True):
            found[pk] = "assisting"
    if event.lead_department_id:
        found[event.lead_department_id] = "lead"
    return found


def stage(sender, lifecycle, case, entry, opened: bool = False, **kwargs) -> None:
    if getattr(lifecycle, "kind", "") != "event":
        return
    parts = recipients(case, entry.action, opened)
    if not parts:
        return
    subs = [s for s in Subscription.objects.filter(department_id__in=parts, active=True)
            .select_related("department") if entry.action in s.wanted_actions()]
    if not subs:
        return
    rows = []
    for sub in subs:
        row = Delivery(subscription=sub, event=case, log_id=entry.pk, action=entry.action,
                       created_at=entry.created_at, next_attempt_at=entry.created_at)
        row.payload = payload(row, case, entry, sub.department, parts[sub.department_id])
        rows.append(row)
    Delivery.objects.bulk_create(rows)
    ids = list(Delivery.objects.filter(log_id=entry.pk, subscription__in=subs).values_list("pk", flat=True))
    transaction.on_commit(lambda: _enqueue(ids))


def _enqueue(ids: list[int]) -> None:
    from gridgov.interop.tasks import deliver_now

    try:
        deliver_now.enqueue(ids)
    except Exception as exc:  # the queue down: the sweep sends them
        log.warning("interop: could not enqueue deliveries %s: %s", ids, exc)


def site_url() -> str:
    return (getattr(settings, "GRIDGOV_SITE_URL", "") or "").rstrip("/")


def payload(row: Delivery, event, entry, department, part: str) -> dict:
    """What a department's system is told: what its liaison reads on the case page, without the reporter
    (no name, no phone)."""
    from gridgov.events.workflow import TRANSITIONS

    t = TRANSITIONS.get(entry.action)
    return {
        "id": str(row.uuid),
        "action": entry.action,
        "action_label": str(t.label) if t else entry.action,
        "occurred_at": entry.created_at.isoformat(),
        "note": entry.note,
        "department": {"code": department.code, "name": department.name, "part": part},
        "case": {
            "number": event.number,
            "title": event.title,
            "category": {"code": event.category.code, "name": event.category.name},
            "status": event.status,
            "status_label": str(event.get_status_display()),
            "urgency": event.urgency,
            "deadline": event.deadline.isoformat() if event.deadline else None,
            "description": event.description,
            "location": {"lng": event.lng, "lat": event.lat, "address": event.address,
                         "region": event.region.code, "grid": event.grid.code if event.grid_id else None},
            "lead_department": event.lead_department.code if event.lead_department_id else None,
            "supervision": event.supervision,
            "link": f"{site_url()}/events/{event.number}/",
        },
    }


# --- sending --------------------------------------------------------------------------------------------

def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + HMAC-SHA256 over ``timestamp + "." + body`` with the subscription's secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def encode(row: Delivery) -> bytes:
    return json.dumps(row.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def send(row: Delivery, now: datetime) -> None:
    """POST the row; raise on anything but a 2xx answer."""
    body = encode(row)
    timestamp = str(int(now.timestamp()))
    req = urllib.request.Request(row.subscription.url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "gridgov-interop/1",
        DELIVERY_HEADER: str(row.uuid),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(row.subscription.secret, timestamp, body),
    })
    with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:  # noqa: S310 - a URL the administrator set
        if not 200 <= resp.status < 300:
            raise RuntimeError(f"HTTP {resp.status}")


def _claim(row_id: int, seen_next: datetime, now: datetime) -> bool:
    """Take the row for this worker: one conditional UPDATE (no other worker has moved it since we read it)."""
    return Delivery.objects.filter(pk=row_id, state=Delivery.State.PENDING, next_attempt_at=seen_next).update(
        next_attempt_at=now + CLAIM_LEASE, attempts=F("attempts") + 1) == 1


def _attempt(row: Delivery, now: datetime) -> str:
    """Send a claimed row and record the outcome; returns the new state."""
    row.refresh_from_db(fields=["attempts"])
    try:
        send(row, now)
    except Exception as exc:  # any failure is recorded on the row, never raised to the sweep
        error = _describe(exc)
        if row.attempts >= MAX_ATTEMPTS:
            Delivery.objects.filter(pk=row.pk).update(state=Delivery.State.DEAD, last_error=error)
            log.warning("interop: delivery %s is dead after %s attempts: %s", row.uuid, row.attempts, error)
            return Delivery.State.DEAD
        Delivery.objects.filter(pk=row.pk).update(next_attempt_at=now + backoff(row.attempts), last_error=error)
        return "retry"
    Delivery.objects.filter(pk=row.pk).update(state=Delivery.State.DELIVERED, delivered_at=now, last_error="")
    return Delivery.State.DELIVERED


def _describe(exc: Exception) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, urllib.error.URLError):
        return f"{type(exc.reason).__name__}: {exc.reason}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


def deliver_due(now: datetime | None = None, limit: int = BATCH, ids: list[int] | None = None) -> dict:
    """Send the pending rows due at ``now`` (or, with ``ids``, those of them that are due); counts by outcome."""
    now = now or timezone.now()
    due = Delivery.objects.filter(state=Delivery.State.PENDING, next_attempt_at__lte=now)
    if ids is not None:
        due = due.filter(pk__in=ids)
    counts = {"delivered": 0, "retry": 0, "dead": 0, "skipped": 0}
    for row in due.select_related("subscription").order_by("next_attempt_at", "pk")[:limit]:
        if not _claim(row.pk, row.next_attempt_at, now):
            counts["skipped"] += 1  # another worker got there first
            continue
        counts[_attempt(row, now)] += 1
    return counts


def replay(rows) -> int:
    """Put dead (or any undelivered) rows back to pending, due now, with a fresh count of attempts."""
    return Delivery.objects.filter(pk__in=[r.pk for r in rows]).exclude(state=Delivery.State.DELIVERED).update(
        state=Delivery.State.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error="")

"""SLA state, derived at read time, and the sweep that reminds and escalates.

State of the current stage's deadline:
  正常 normal · 即将超期 near_due (≥ NEAR_DUE_RATIO of the allowed time used) · 已超期 overdue.
``Event.warn_at`` is the fixed moment the ratio is reached (set with the deadline
by the workflow), so the state is a comparison with now — in Python and in SQL.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core import sla as core_sla
from gridgov.core.errors import DomainError
from gridgov.core.sla import LABELS, NEAR_DUE, NORMAL, OVERDUE  # noqa: F401  (re-exported for pages and API)
from gridgov.events import workflow
from gridgov.events.models import OPEN_STATUSES, Event, SlaNotice

STAGE_LABELS = {
    "reported": _("受理派遣时限"), "accepted": _("受理派遣时限"),
    "dispatched": _("办理时限"), "handling": _("办理时限"), "handled": _("核查时限"),
}


def stage_label(event: Event) -> str:
    """What the current deadline is for: the center's accept-and-dispatch, the department's
    handling, or the center's verification."""
    return str(STAGE_LABELS.get(event.status, _("时限")))


def sla_state(event: Event, now: datetime | None = None) -> str | None:
    return core_sla.state(event.deadline, event.warn_at, event.status in OPEN_STATUSES, now)


def sla_q(state: str, now: datetime | None = None) -> Q:
    """The same derivation as a filter."""
    return core_sla.q(state, Q(status__in=OPEN_STATUSES), now)


def _claim(event: Event, kind: str) -> bool:
    """Record the notice; False when another sweep already did (the unique constraint decides)."""
    try:
        with transaction.atomic():
            SlaNotice.objects.create(event=event, kind=kind, deadline=event.deadline)
        return True
    except IntegrityError:
        return False


def sweep(now: datetime | None = None, limit: int = 5000) -> dict:
    """Remind near-due cases and escalate overdue ones, exactly once per case, kind and deadline.

    Safe to run twice or in several processes at once: a notice is claimed by inserting a
    row under a unique constraint inside the same transaction as its log entry.
    """
    now = now or timezone.now()
    counts = {"reminded": 0, "escalated": 0}
    plan = [
        (SlaNotice.Kind.ESCALATE, "sla_escalate", sla_q(OVERDUE, now), "escalated"),
        (SlaNotice.Kind.REMIND, "sla_remind", sla_q(NEAR_DUE, now), "reminded"),
    ]
    for kind, action, q, key in plan:
        due = (
            Event.objects.filter(q)
            .exclude(Exists(SlaNotice.objects.filter(event=OuterRef("pk"), kind=kind, deadline=OuterRef("deadline"))))
            .order_by("deadline")
            .values_list("pk", flat=True)[:limit]
        )
        for pk in list(due):
            with transaction.atomic():
                event = Event.objects.select_for_update().get(pk=pk)
                if sla_state(event, now) not in ((OVERDUE,) if kind == SlaNotice.Kind.ESCALATE else (NEAR_DUE,)):
                    continue
                if not _claim(event, kind):
                    continue
                try:
                    workflow.perform(event, action, workflow.SYSTEM, now=now)
                except DomainError:
                    # the state moved on between the query and the lock; roll the claim back
                    transaction.set_rollback(True)
                    continue
                counts[key] += 1
    return counts


"""SLA state, derived at read time (gridgov.cases.sla), and the sweep that reminds and escalates.

State of the current stage's deadline:
  正常 normal · 即将超期 near_due (≥ NEAR_DUE_RATIO of the allowed time used) · 已超期 overdue.
``Event.warn_at`` is the fixed moment the ratio is reached (set with the deadline
by the workflow), so the state is a comparison with now — in Python and in SQL.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.cases import sla as core_sla
from gridgov.cases.sla import LABELS, NEAR_DUE, NORMAL, OVERDUE  # noqa: F401  (re-exported for pages and API)
from gridgov.cases.sweep import sweep_lifecycle
from gridgov.events import workflow
from gridgov.events.models import OPEN_STATUSES, Event

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


def sweep(now: datetime | None = None, limit: int | None = None) -> dict:
    """Remind near-due cases and escalate overdue ones, exactly once per case, kind and deadline
    (the kernel's set-based sweep engine, :mod:`gridgov.cases.sweep`)."""
    counts = sweep_lifecycle(workflow.LIFECYCLE, now, limit)
    return {"reminded": counts["reminded"], "escalated": counts["escalated"]}

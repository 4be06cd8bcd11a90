"""The mediation deadline's SLA state, derived at read time (gridgov.cases.sla), and the dispute sweep.

The deadline runs while the case waits for or is in mediation (``RUNNING_STATUSES``). The sweep reports
overdue cases and reminds near-due ones through the kernel's set-based engine (the plans are declared on
:class:`gridgov.disputes.workflow.DisputeLifecycle`), and reminds of the 司法确认 window of 人民调解
agreements — each exactly once per case and deadline (a :class:`DisputeNotice` under a unique constraint,
inserted in the same transaction as the log rows).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from gridgov.cases import sla as core_sla
from gridgov.cases.sweep import sweep_lifecycle
from gridgov.disputes import workflow
from gridgov.disputes.models import RUNNING_STATUSES, Dispute


def sla_state(d: Dispute, now=None) -> str | None:
    return core_sla.state(d.deadline, d.warn_at, d.status in RUNNING_STATUSES, now)


def sla_q(state: str, now=None) -> Q:
    """The same derivation as a filter."""
    return core_sla.q(state, Q(status__in=RUNNING_STATUSES), now)


def sweep(now: datetime | None = None, limit: int | None = None) -> dict:
    """Report overdue cases, remind near-due ones, and remind of the judicial-confirmation window."""
    counts = sweep_lifecycle(workflow.LIFECYCLE, now, limit)
    return {"reminded": counts["reminded"], "overdue": counts["overdue"], "confirm": counts["confirm"]}

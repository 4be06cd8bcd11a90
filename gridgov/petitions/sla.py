"""Petition deadlines derived at read time (gridgov.cases.sla), the 七日内回复率, backlog, and the sweep.

Two clocks run on a petition:
  * the current stage's deadline (``deadline``/``warn_at``): acceptance 15 days, handling 60 days
    (+ at most one extension of ≤ 30), review / recheck 30 days;
  * for letters, the procedural reply (``ack_due_at``/``ack_warn_at``, 7 days) until ``acked_at``.
The sweep is the kernel's (:mod:`gridgov.cases.sweep`), on the four plans the lifecycle declares
(:class:`gridgov.petitions.workflow.PetitionLifecycle`): each (petition, kind, deadline) is claimed by
inserting a :class:`~gridgov.petitions.models.PetitionNotice` under a unique constraint in the same
transaction as its log row — exactly once, however many run at once.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases import sla as core_sla
from gridgov.cases.sla import LABELS, NEAR_DUE, NORMAL, OVERDUE  # noqa: F401  (re-exported)
from gridgov.cases.sweep import sweep_lifecycle
from gridgov.petitions import limits, workflow
from gridgov.petitions.models import Petition, Status, open_q

STAGE_LABELS = {
    Status.REGISTERED: _("受理期限"), Status.TRANSFERRED: _("受理期限（转送部门）"), Status.HANDLING: _("办理期限"),
    Status.REVIEWING: _("复查期限"), Status.RECHECKING: _("复核期限"),
}


def stage_label(p: Petition) -> str:
    return str(STAGE_LABELS.get(p.status, _("期限")))


def sla_state(p: Petition, now: datetime | None = None) -> str | None:
    return core_sla.state(p.deadline, p.warn_at, p.is_open, now)


def sla_q(state: str, now: datetime | None = None) -> Q:
    return core_sla.q(state, open_q(), now)


def ack_state(p: Petition, now: datetime | None = None) -> str | None:
    """The 7-day reply of a letter: None once replied (or for channels that owe none)."""
    return core_sla.state(p.ack_due_at, p.ack_warn_at, p.acked_at is None, now)


def backlog_q(now: datetime | None = None) -> Q:
    """积案: open and past its current deadline, or repeated PETITION_BACKLOG_REPEATS times or more."""
    return open_q() & (sla_q(OVERDUE, now) | Q(repeat_count__gte=limits.get("PETITION_BACKLOG_REPEATS")))


def is_backlog(p: Petition, now: datetime | None = None) -> bool:
    return p.is_open and (sla_state(p, now) == OVERDUE
                          or p.repeat_count >= limits.get("PETITION_BACKLOG_REPEATS"))


# --- 七日内回复率 -----------------------------------------------------------------------------------

def reply_rate(qs, now: datetime | None = None) -> dict:
    """七日内回复率 of the letters in ``qs`` (already scoped and filtered by region and period).

    Counted are letters whose reply is *decided*: replied, or past the 7 days. A letter still
    inside its 7 days without a reply is ``pending`` and left out of the rate.
    rate = replied within 7 days / counted (None when nothing is counted).
    """
    now = now or timezone.now()
    letters = qs.filter(ack_due_at__isnull=False)
    in_time = late = unreplied = pending = 0
    for acked_at, due in letters.values_list("acked_at", "ack_due_at"):
        if acked_at is not None:
            if acked_at <= due:
                in_time += 1
            else:
                late += 1
        elif due <= now:
            unreplied += 1
        else:
            pending += 1
    counted = in_time + late + unreplied
    return {
        "letters": in_time + late + unreplied + pending, "counted": counted, "in_time": in_time, "late": late,
        "unreplied": unreplied, "pending": pending,
        "rate": round(in_time / counted, 4) if counted else None,
    }


# --- the sweep --------------------------------------------------------------------------------

COUNTS = ("reminded", "escalated", "ack_reminded", "ack_overdue")  # the keys, in the order they are reported


def sweep(now: datetime | None = None, limit: int | None = None) -> dict:
    """Remind near-due petitions and escalate overdue ones — the stage deadline and the letters'
    7-day reply — exactly once per petition, kind and deadline. Safe to run twice or concurrently."""
    counts = sweep_lifecycle(workflow.LIFECYCLE, now, limit)
    return {key: counts[key] for key in COUNTS}

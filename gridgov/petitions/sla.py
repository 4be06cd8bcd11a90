"""Petition deadlines derived at read time (gridgov.cases.sla), the 七日内回复率, backlog, and the sweep.

Two clocks run on a petition:
  * the current stage's deadline (``deadline``/``warn_at``): acceptance 15 days, handling 60 days
    (+ at most one extension of ≤ 30), review / recheck 30 days;
  * for letters, the procedural reply (``ack_due_at``/``ack_warn_at``, 7 days) until ``acked_at``.
The sweep claims each (petition, kind, deadline) by inserting a :class:`PetitionNotice` under a
unique constraint in the same transaction as its log row: exactly once, however many run at once.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases import sla as core_sla
from gridgov.core.errors import DomainError
from gridgov.cases.sla import LABELS, NEAR_DUE, NORMAL, OVERDUE  # noqa: F401  (re-exported)
from gridgov.petitions import limits, workflow
from gridgov.petitions.models import Petition, PetitionNotice, Status, open_q

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


def ack_q(state: str, now: datetime | None = None) -> Q:
    now = now or timezone.now()
    base = Q(ack_due_at__isnull=False, acked_at__isnull=True)
    if state == OVERDUE:
        return base & Q(ack_due_at__lte=now)
    if state == NEAR_DUE:
        return base & Q(ack_due_at__gt=now, ack_warn_at__lte=now)
    raise ValueError(state)


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

def _claim(p: Petition, kind: str, deadline: datetime) -> bool:
    try:
        with transaction.atomic():
            PetitionNotice.objects.create(petition=p, kind=kind, deadline=deadline)
        return True
    except IntegrityError:
        return False


def sweep(now: datetime | None = None, limit: int = 5000) -> dict:
    """Remind near-due petitions and escalate overdue ones — the stage deadline and the letters'
    7-day reply — exactly once per petition, kind and deadline. Safe to run twice or concurrently."""
    now = now or timezone.now()
    counts = {"reminded": 0, "escalated": 0, "ack_reminded": 0, "ack_overdue": 0}
    K = PetitionNotice.Kind
    plan = [
        (K.ESCALATE, "sla_escalate", sla_q(OVERDUE, now), "deadline", lambda p: sla_state(p, now) == OVERDUE,
         "escalated"),
        (K.REMIND, "sla_remind", sla_q(NEAR_DUE, now), "deadline", lambda p: sla_state(p, now) == NEAR_DUE,
         "reminded"),
        (K.ACK_OVERDUE, "ack_overdue", ack_q(OVERDUE, now), "ack_due_at", lambda p: ack_state(p, now) == OVERDUE,
         "ack_overdue"),
        (K.ACK_REMIND, "ack_remind", ack_q(NEAR_DUE, now), "ack_due_at", lambda p: ack_state(p, now) == NEAR_DUE,
         "ack_reminded"),
    ]
    for kind, action, q, field, still, key in plan:
        due = (
            Petition.objects.filter(q)
            .exclude(Exists(PetitionNotice.objects.filter(petition=OuterRef("pk"), kind=kind,
                                                          deadline=OuterRef(field))))
            .order_by(field)
            .values_list("pk", flat=True)[:limit]
        )
        for pk in list(due):
            with transaction.atomic():
                p = Petition.objects.select_for_update().select_related("center", "region").get(pk=pk)
                if not still(p) or not _claim(p, kind, getattr(p, field)):
                    continue
                try:
                    workflow.perform(p, action, workflow.SYSTEM, {"_deadline": getattr(p, field)}, now=now)
                except DomainError:
                    transaction.set_rollback(True)
                    continue
                counts[key] += 1
    return counts


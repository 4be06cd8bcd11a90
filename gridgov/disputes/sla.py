"""The mediation deadline's SLA state, derived at read time (gridgov.cases.sla), and the dispute sweep.

The deadline runs while the case waits for or is in mediation (``RUNNING_STATUSES``). The sweep reports
overdue cases and reminds near-due ones through the kernel's set-based engine (the plans are declared on
:class:`gridgov.disputes.workflow.DisputeLifecycle`), and reminds of the 司法确认 window of 人民调解
agreements — each exactly once per case and deadline (a :class:`DisputeNotice` under a unique constraint,
inserted in the same transaction as the log rows).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from gridgov.cases import sla as core_sla
from gridgov.cases.sweep import BATCH, sweep_lifecycle
from gridgov.disputes import workflow
from gridgov.disputes.models import RUNNING_STATUSES, Channel, Dispute, DisputeNotice

CONFIRM_STATUSES = workflow.TRANSITIONS["confirm_remind"].sources


def sla_state(d: Dispute, now=None) -> str | None:
    return core_sla.state(d.deadline, d.warn_at, d.status in RUNNING_STATUSES, now)


def sla_q(state: str, now=None) -> Q:
    """The same derivation as a filter."""
    return core_sla.q(state, Q(status__in=RUNNING_STATUSES), now)


def sweep(now: datetime | None = None, limit: int = 5000) -> dict:
    """Report overdue cases, remind near-due ones, and remind of the judicial-confirmation window."""
    now = now or timezone.now()
    counts = sweep_lifecycle(workflow.LIFECYCLE, now, limit)
    return {"reminded": counts["reminded"], "overdue": counts["overdue"], "confirm": sweep_confirm(now, limit)}


# --- the 司法确认 reminder ----------------------------------------------------------------------


def confirm_deadline(last_day) -> datetime:
    """The end of the last day to apply: the notice's deadline."""
    return timezone.make_aware(datetime.combine(last_day, datetime.max.time().replace(microsecond=0)))


def _confirm_due(now: datetime):
    """人民调解 cases with an agreement whose confirmation window ends within DISPUTE_CONFIRM_REMIND_DAYS
    and has not passed, never reminded of it."""
    days = settings.GRIDGOV["DISPUTE_CONFIRM_DAYS"]
    remind = settings.GRIDGOV["DISPUTE_CONFIRM_REMIND_DAYS"]
    today = timezone.localdate(now)
    return Dispute.objects.filter(
        channel=Channel.PEOPLE, status__in=CONFIRM_STATUSES,
        agreement__signed_on__gt=today - timedelta(days=days + 1),
        agreement__signed_on__lte=today - timedelta(days=days - remind),
    ).exclude(notices__kind=DisputeNotice.Kind.CONFIRM)


def _confirm_batch(now: datetime, size: int) -> tuple[int, int]:
    """One batch in one transaction, like the kernel's: select, lock (skipping rows others hold), re-check,
    insert the notices in one statement (the unique constraint has the last word), then the system action
    on the lot. Returns (cases selected, cases reminded)."""
    due = _confirm_due(now)
    today = timezone.localdate(now)
    with transaction.atomic():
        ids = list(due.order_by("agreement__signed_on", "pk").values_list("pk", flat=True)[:size])
        if not ids:
            return 0, 0
        locked = (due.filter(pk__in=ids).select_related(*workflow.LIFECYCLE.select_related, "agreement")
                  .order_by("agreement__signed_on", "pk").select_for_update(skip_locked=True, of=("self",)))
        cases = [d for d in locked if d.agreement.confirmation_last_day >= today]
        if not cases:
            return len(ids), 0
        DisputeNotice.objects.bulk_create([
            DisputeNotice(dispute=d, kind=DisputeNotice.Kind.CONFIRM,
                          deadline=confirm_deadline(d.agreement.confirmation_last_day), created_at=now)
            for d in cases])
        entries = workflow.LIFECYCLE.perform_system_batch(cases, "confirm_remind", now)
        return len(ids), len(entries)


def sweep_confirm(now: datetime, limit: int = 5000, batch: int = BATCH) -> int:
    reminded = seen = retries = 0
    while seen < limit:
        try:
            selected, done = _confirm_batch(now, min(batch, limit - seen))
        except IntegrityError:
            # another sweep reminded some of these between our query and our insert: take the batch again
            retries += 1
            if retries > 5:
                raise
            continue
        if selected == 0:
            break
        seen += selected
        reminded += done
        if done == 0:
            break  # held by someone else (or moved on): the next run takes them
    return reminded

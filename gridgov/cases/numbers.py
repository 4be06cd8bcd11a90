"""The one number sequencer: prefix + YYYYMMDD + a 5-digit sequence of the day (SJ2026112300017).

Each lifecycle has its prefix (SJ 事件, JF 纠纷, XF 信访 …); the counter of a (prefix, day) is one row
locked for the increment, so numbers are unique and gap-free under concurrent intake.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from gridgov.cases.models import DailySequence


def next_number(day, prefix: str = "SJ") -> str:
    with transaction.atomic():
        seq, _created = DailySequence.objects.select_for_update().get_or_create(prefix=prefix, day=day)
        DailySequence.objects.filter(pk=seq.pk).update(last=F("last") + 1)
        seq.refresh_from_db(fields=["last"])
    return f"{prefix}{day:%Y%m%d}{seq.last:05d}"

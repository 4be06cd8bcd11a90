"""What the warnings app tells other domains, through ``gridgov.core.providers`` slots.

Registered from ``WarningsConfig.ready()``. Slot filled here:

``analysis.warnings`` — ``(code, start, end)`` → ``{"opened", "open_now", "by_level", "by_rule", "rule_labels",
    "top"}`` for the region ``code``'s subtree: ``opened`` the warnings first raised in [start, end] (days, local
    time), ``by_level``/``by_rule`` the same warnings counted, ``open_now`` how many are open now, ``top`` at most
    10 of them, highest level first (then the latest), each ``{"number", "title", "level", "rule", "code",
    "status", "status_label", "explanation", "link"}``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from gridgov.cases import warnrules
from gridgov.core import providers

TOP = 10


def _moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def warnings_summary(code: str, start: date, end: date) -> dict:
    from gridgov.warnings.models import OPEN_STATUSES, Warning

    here = Warning.objects.filter(region__code__startswith=code)
    period = here.filter(first_seen__gte=_moment(start), first_seen__lt=_moment(end + timedelta(days=1)))
    by_level = {k: 0 for k in warnrules.LEVELS}
    for row in period.values("level").annotate(n=Count("id")):
        by_level[row["level"]] = row["n"]
    by_rule = {row["rule"]: row["n"] for row in period.values("rule").annotate(n=Count("id")).order_by("rule")}
    labels = {s.key: str(s.label) for s in warnrules.rules()}
    from gridgov.warnings.services import LEVEL_RANK

    rows = (period.annotate(_rank=LEVEL_RANK).order_by("-_rank", "-first_seen", "number")
            .only("number", "title", "level", "rule", "code", "status", "explanation", "first_seen")[:TOP])
    return {
        "opened": sum(by_level.values()),
        "open_now": here.filter(status__in=OPEN_STATUSES).count(),
        "by_level": by_level,
        "by_rule": by_rule,
        "rule_labels": {k: labels.get(k, k) for k in sorted(set(labels) | set(by_rule))},
        "top": [{"number": w.number, "title": w.title, "level": w.level, "rule": w.rule, "code": w.code,
                 "status": w.status, "status_label": str(w.get_status_display()), "explanation": w.explanation,
                 "link": reverse("warnings:detail", args=[w.number])} for w in rows],
    }


def register() -> None:
    providers.provide("analysis.warnings", warnings_summary)

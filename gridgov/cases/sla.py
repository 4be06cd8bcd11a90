"""SLA state of any case with a deadline, derived at read time (every lifecycle on the case kernel).

A case stage has ``deadline`` and ``warn_at`` (the fixed moment NEAR_DUE_RATIO of the allowed time
is used, computed once with the deadline by :func:`warn_moment`), so the state is a comparison
with now — in Python (:func:`state`) and in SQL (:func:`q`). Nothing here is stored.

  正常 normal · 即将超期 near_due · 已超期 overdue · None when the case has no running deadline.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.worktime import calendar as workcal

NORMAL, NEAR_DUE, OVERDUE = "normal", "near_due", "overdue"
STATES = (NORMAL, NEAR_DUE, OVERDUE)
LABELS = {NORMAL: _("正常"), NEAR_DUE: _("即将超期"), OVERDUE: _("已超期")}


def warn_moment(start: datetime, deadline: datetime, unit: str) -> datetime:
    """The moment NEAR_DUE_RATIO of the allowed time (natural or working) is used."""
    ratio = settings.GRIDGOV["NEAR_DUE_RATIO"]
    if unit == workcal.NATURAL_HOURS:
        return start + (deadline - start) * ratio
    total = workcal.working_seconds_between(start, deadline)
    return workcal.add_working_seconds(start, int(total * ratio)).at


def state(deadline: datetime | None, warn_at: datetime | None, running: bool, now: datetime | None = None
          ) -> str | None:
    """``running``: the case is open and its current stage has this deadline."""
    if deadline is None or not running:
        return None
    now = now or timezone.now()
    if now >= deadline:
        return OVERDUE
    if warn_at is not None and now >= warn_at:
        return NEAR_DUE
    return NORMAL


def q(which: str, running: Q, now: datetime | None = None, prefix: str = "", deadline: str = "deadline",
      warn_at: str = "warn_at") -> Q:
    """The same derivation as a filter; ``running`` selects the open cases, ``prefix`` the relation path,
    ``deadline``/``warn_at`` the pair of fields (a case may run a second clock, e.g. a letter's reply)."""
    now = now or timezone.now()
    d, w = f"{prefix}{deadline}", f"{prefix}{warn_at}"
    base = running & Q(**{f"{d}__isnull": False})
    if which == OVERDUE:
        return base & Q(**{f"{d}__lte": now})
    if which == NEAR_DUE:
        return base & Q(**{f"{d}__gt": now, f"{w}__lte": now})
    if which == NORMAL:
        return base & Q(**{f"{d}__gt": now}) & (Q(**{f"{w}__isnull": True}) | Q(**{f"{w}__gt": now}))
    raise ValueError(which)

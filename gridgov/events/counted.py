"""The worklist filters that show the cases behind a statistic: the report period, and what a case counts
for (``measure``) — the same rules as the rollups' :meth:`EventLifecycle.tally_counts`, as filters.

A number on the command center links to ``/events/?region=…&reported_from=…&reported_to=…&measure=…``;
the list it opens holds exactly the cases the number counted (``gridgov/events/tests/test_counted.py``
checks each measure against ``tally_counts`` case by case).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.events.models import OPEN_STATUSES, Rating, Status
from gridgov.regions.models import Region

S = Status
MIN_YEAR, MAX_YEAR = 1900, 2200

# measure → label (the worklist's 统计口径 select); every key is a filter below
MEASURE_LABELS = {
    "valid": gettext_lazy("立案"),
    "dispatched": gettext_lazy("已派遣"),
    "closed": gettext_lazy("已结案"),
    "closed_on_time": gettext_lazy("按期结案"),
    "closed_late": gettext_lazy("逾期结案"),
    "due": gettext_lazy("应结案"),
    "reworked": gettext_lazy("返工"),
    "extended": gettext_lazy("延期"),
    "returned": gettext_lazy("退回"),
    "rated": gettext_lazy("已评价"),
    "satisfied": gettext_lazy("满意(含基本满意)"),
    "resolved_grid": gettext_lazy("网格内解决"),
    "resolved_township": gettext_lazy("乡镇(街道)解决"),
    "resolved_county": gettext_lazy("县(区)解决"),
    "resolved_city": gettext_lazy("市级解决"),
    "resolved_local": gettext_lazy("就地化解"),
    "resolved_any": gettext_lazy("各层级化解"),
    "open": gettext_lazy("在办"),
}


def measure_q(measure: str, moment: datetime) -> Q:
    """The events ``measure`` counts; ``moment``: when 应结案 (due) is judged (the period's end, or now)."""
    closed = Q(status=S.CLOSED)
    by_center = closed & Q(resolved_on_spot=False)
    level = Region.Level
    if measure == "valid":
        return ~Q(status__in=(S.REPORTED, S.REJECTED, S.MERGED))
    if measure == "dispatched":
        return (Q(lead_department__isnull=False) | Q(return_count__gt=0)
                | (Q(reopen_count__gt=0) & Q(resolved_on_spot=False)))
    if measure == "closed":
        return closed
    if measure == "closed_on_time":
        return closed & Q(closed_on_time=True)
    if measure == "closed_late":
        return closed & ~Q(closed_on_time=True)
    if measure == "due":
        return closed | Q(status__in=OPEN_STATUSES, due_at__lt=moment)
    if measure == "reworked":
        return Q(rework_count__gt=0)
    if measure == "extended":
        return Q(extension_count__gt=0)
    if measure == "returned":
        return Q(return_count__gt=0)
    if measure == "rated":  # the reporter's rating, else a 回访's (gridgov/events/followup.py)
        return ~Q(rating="") | ~Q(followup_rating="")
    if measure == "satisfied":
        return rating_q(Rating.SATISFIED) | rating_q(Rating.BASICALLY)
    if measure == "resolved_grid":
        return closed & Q(resolved_on_spot=True)
    if measure == "resolved_township":
        return by_center & Q(center__level=level.TOWNSHIP)
    if measure == "resolved_county":
        return by_center & Q(center__level=level.COUNTY)
    if measure == "resolved_city":
        return by_center & Q(center__level__lte=level.CITY)
    if measure == "resolved_local":
        return measure_q("resolved_grid", moment) | measure_q("resolved_township", moment)
    if measure == "resolved_any":
        return closed & (Q(resolved_on_spot=True) | Q(center__level__lte=level.TOWNSHIP))
    if measure == "open":
        return Q(status__in=OPEN_STATUSES)
    raise KeyError(measure)


# the worklist's 评价 filter: the rating a case counts with (the reporter's, else the latest 回访's), the closed
# cases nobody has rated yet (those a 回访 should reach), and the 不满意待处理 list
UNRATED, PENDING = "unrated", "unsatisfied_pending"
RATING_FILTERS = {
    **dict(Rating.choices),
    UNRATED: gettext_lazy("未评价"),
    PENDING: gettext_lazy("不满意待处理"),
}


def rating_q(value: str) -> Q:
    """The events the worklist's 评价 filter ``value`` (a key of :data:`RATING_FILTERS`) keeps."""
    if value == UNRATED:
        return Q(status=S.CLOSED, rating="", followup_rating="")
    if value == PENDING:
        return Q(status=S.CLOSED, dissatisfaction_pending=True)
    if value in Rating.values:
        return Q(rating=value) | Q(rating="", followup_rating=value)
    raise KeyError(value)


def parse_day(value: str, field: str, errors: dict) -> date | None:
    """``YYYY-MM-DD`` (years 1900–2200), or None with a field error."""
    try:
        d = date.fromisoformat(value)
    except ValueError:
        d = None
    if d is None or not MIN_YEAR <= d.year <= MAX_YEAR:
        errors[field] = [_("日期格式无效，例如 2026-11-01")]
        return None
    return d


def day_start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def period_filters(reported_from: str, reported_to: str, measure: str, now: datetime | None,
                   errors: dict) -> Q:
    """The report-day range (local days, both ends included) and the measure, as one filter; field errors
    go into ``errors``."""
    now = now or timezone.now()
    q = Q()
    start = parse_day(reported_from, "reported_from", errors) if reported_from else None
    end = parse_day(reported_to, "reported_to", errors) if reported_to else None
    if start and end and start > end:
        errors["reported_to"] = [_("结束日期不能早于开始日期")]
    if start:
        q &= Q(created_at__gte=day_start(start))
    if end:
        q &= Q(created_at__lt=day_start(end + timedelta(days=1)))
    if measure:
        if measure not in MEASURE_LABELS:
            errors["measure"] = [_("统计口径无效")]
        else:
            moment = min(now, day_start(end + timedelta(days=1))) if end else now
            q &= measure_q(measure, moment)
    return q

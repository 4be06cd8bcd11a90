"""Key persons (重点人员) for the evaluation: 动态掌控率 by region, grid or worker, and visits made on time.

The rule is the registry's (:func:`gridgov.registry.services.visits.visit_status`): a key person under
management on day D is *in hand* (掌控) when their last visit up to D — or, never visited, their listing
date — is no more than their interval (category and risk level) before D. Here it is two GROUP BYs for all
the nodes at once: each (category, risk level) has its interval, so "recent enough" is a comparison with a
threshold computed per row by a CASE over the (few) categories.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db.models import Case, Count, DateField, DateTimeField, F, Q, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from gridgov.cases.tally import LEVEL_LENGTHS
from gridgov.regions.models import Grid, Region
from gridgov.registry.models import KeyCategory, KeyPerson, RiskLevel, Visit


def _midnight(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, datetime.min.time()))


def intervals() -> dict[tuple[int, str], int]:
    """Days between visits for every (category id, risk level)."""
    return {(c.pk, r): c.interval_days(r) for c in KeyCategory.objects.all() for r in RiskLevel.values}


def _threshold(prefix: str, on: date, days: dict, at: bool):
    """The earliest last visit (a local day, or its midnight) that keeps a key person in hand on ``on``,
    per row: a CASE over the (category, risk level) pairs, whose intervals differ."""
    def value(n: int):
        d = on - timedelta(days=n)
        return Value(_midnight(d)) if at else Value(d)

    whens = [When(**{f"{prefix}category_id": c, f"{prefix}risk_level": r}, then=value(n)) for (c, r), n in days.items()]
    return Case(*whens, default=value(30), output_field=DateTimeField() if at else DateField())


def _active_q(prefix: str, on: date) -> Q:
    return Q(**{f"{prefix}since__lte": on}) & (Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gt": on}))


def _in_hand(scope, key, on: date) -> dict:
    """``{key: (in hand, under management)}``. Two GROUP BYs, plain joins (no subquery per person):

    1. the persons under management, and those listed within their interval (in hand by the listing date);
    2. among the others, those with a visit between their threshold and the end of ``on`` (counted once).

    ``scope(prefix)`` gives the filter and ``key(prefix)`` the grouping expression, relative to the key
    person (prefix "") or to a visit (prefix "key_person__"). The one difference from
    ``visit_status``: a visit recorded before the listing date does not undo a recent listing.
    """
    days = intervals()
    longest = max(days.values(), default=30)
    end = _midnight(on + timedelta(days=1))
    people = (KeyPerson.objects.filter(_active_q("", on), scope("")).alias(thr_date=_threshold("", on, days, False))
              .annotate(g=key("")).order_by().values("g")
              .annotate(total=Count("pk"), fresh=Count("pk", filter=Q(since__gte=F("thr_date")))))
    visited = (Visit.objects.filter(_active_q("key_person__", on), scope("key_person__"),
                                    visited_at__gte=_midnight(on - timedelta(days=longest)), visited_at__lt=end)
               .alias(thr_date=_threshold("key_person__", on, days, False),
                      thr_at=_threshold("key_person__", on, days, True))
               .filter(key_person__since__lt=F("thr_date"), visited_at__gte=F("thr_at"))
               .annotate(g=key("key_person__")).order_by().values("g")
               .annotate(n=Count("key_person_id", distinct=True)))
    seen = {r["g"]: r["n"] for r in visited}
    return {r["g"]: (r["fresh"] + seen.get(r["g"], 0), r["total"]) for r in people if r["g"]}


CACHE_PAST_SECONDS = 3600  # a past day's figures change only with a back-dated visit or listing
CACHE_TODAY_SECONDS = 60


def control_by_node(level: int, prefix: str, on: date) -> dict[str, tuple[int, int]]:
    """``{node code: (in hand, under management)}`` for the nodes of ``level`` under ``prefix`` on ``on``
    (a key person belongs to their resident record's region, or grid at level 6). Grouped by the
    resident's region (or grid) id — a few thousand groups, no join to the regions for every person — and
    summed up to the nodes here. Cached briefly: the map and the rankings ask for the same day again and
    again (an hour for a past day, a minute for today)."""
    key = f"gridgov:eval:control:{level}:{prefix}:{on.isoformat()}"
    found = cache.get(key)
    if found is None:
        found = _control_by_node(level, prefix, on)
        past = on < timezone.localdate()
        cache.set(key, found, CACHE_PAST_SECONDS if past else CACHE_TODAY_SECONDS)
    return found


def _control_by_node(level: int, prefix: str, on: date) -> dict[str, tuple[int, int]]:
    model, field = (Grid, "resident__grid_id") if level == 6 else (Region, "resident__region_id")
    under = model.objects.filter(code__startswith=prefix)
    n = LEVEL_LENGTHS[level]
    ids = {pk: code[:n] for pk, code in under.values_list("pk", "code") if len(code) >= n}
    wanted = under.values("pk")
    by_id = _in_hand(lambda p: Q(**{f"{p}{field}__in": wanted}), lambda p: F(f"{p}{field}"), on)
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for pk, (covered, total) in by_id.items():
        if pk not in ids:  # a community above the level asked for (its grid-less residents at level 6)
            continue
        node = out[ids[pk]]
        node[0] += covered
        node[1] += total
    return {code: (v[0], v[1]) for code, v in out.items()}


def control_by_worker(workers, on: date) -> dict[int, tuple[int, int]]:
    """``{worker id: (in hand, under management)}`` for the key persons each worker is responsible for."""
    return _in_hand(lambda p: Q(**{f"{p}worker__in": workers}), lambda p: F(f"{p}worker_id"), on)


def visits_on_time(workers, start: datetime, end: datetime) -> dict[int, tuple[int, int]]:
    """``{worker id: (visits, visits on time)}`` for the visits the workers (a User queryset) made in
    [start, end).

    A visit is on time when it was made by the person's due date then: the previous visit (by anyone) or,
    for the first, the listing date, plus the interval. Reads the visits of the persons concerned from one
    longest interval before ``start`` on (an earlier previous visit makes the visit late whatever it was).
    """
    days = intervals()
    longest = max(days.values(), default=30)
    persons = Visit.objects.filter(worker__in=workers, visited_at__gte=start, visited_at__lt=end).values("key_person_id")
    rows = (Visit.objects.filter(key_person_id__in=persons, visited_at__gte=start - timedelta(days=longest + 1),
                                 visited_at__lt=end)
            .order_by("key_person_id", "visited_at", "id")
            .values_list("key_person_id", "worker_id", TruncDate("visited_at"), "key_person__category_id",
                         "key_person__risk_level", "key_person__since"))
    worker_ids = set(workers.values_list("pk", flat=True))
    first_day = timezone.localdate(start)
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    last: dict[int, date] = {}
    for kp, worker, day, cat, risk, since in rows:
        if day >= first_day and worker in worker_ids:
            due = last.get(kp, since) + timedelta(days=days.get((cat, risk), 30))
            counts = out[worker]
            counts[0] += 1
            counts[1] += day <= due
        last[kp] = day
    return {w: (v[0], v[1]) for w, v in out.items()}

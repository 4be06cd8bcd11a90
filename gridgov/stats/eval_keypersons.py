"""Key persons (重点人员) for the evaluation: 动态掌控率 by region, grid or worker, and visits made on time.

The rule is the registry's (:func:`gridgov.registry.services.visits.visit_status`): a key person under
management on day D is *in hand* (掌控) when their last visit up to D — or, never visited, their listing
date — is no more than their interval (category and risk level) before D. Here it is one GROUP BY for all
the nodes at once: each (category, risk level) has its interval, so "the last visit is recent enough" is a
comparison with a threshold computed per row by a CASE over the (few) categories.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Case, Count, DateField, DateTimeField, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Substr
from django.utils import timezone

from gridgov.cases.tally import LEVEL_LENGTHS
from gridgov.registry.models import KeyCategory, KeyPerson, RiskLevel, Visit


def _midnight(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, datetime.min.time()))


def intervals() -> dict[tuple[int, str], int]:
    """Days between visits for every (category id, risk level)."""
    return {(c.pk, r): c.interval_days(r) for c in KeyCategory.objects.all() for r in RiskLevel.values}


def _in_hand_q(on: date) -> tuple[dict, Q]:
    """The annotations and the condition "in hand on ``on``" for a KeyPerson queryset."""
    days = intervals()
    when_date = [When(category_id=c, risk_level=r, then=Value(on - timedelta(days=n))) for (c, r), n in days.items()]
    when_at = [When(category_id=c, risk_level=r, then=Value(_midnight(on - timedelta(days=n))))
               for (c, r), n in days.items()]
    annotations = {
        "thr_date": Case(*when_date, default=Value(on - timedelta(days=30)), output_field=DateField()),
        "thr_at": Case(*when_at, default=Value(_midnight(on - timedelta(days=30))), output_field=DateTimeField()),
    }
    end = _midnight(on + timedelta(days=1))
    recent = Exists(Visit.objects.filter(key_person=OuterRef("pk"), visited_at__gte=OuterRef("thr_at"),
                                         visited_at__lt=end))
    ever = Exists(Visit.objects.filter(key_person=OuterRef("pk"), visited_at__lt=end))
    return annotations, Q(recent) | (~Q(ever) & Q(since__gte=F("thr_date")))


def control_by_node(level: int, prefix: str, on: date) -> dict[str, tuple[int, int]]:
    """``{node code: (in hand, under management)}`` for the nodes of ``level`` under ``prefix`` on ``on``
    (a key person belongs to their resident record's region, or grid at level 6)."""
    n = LEVEL_LENGTHS[level]
    qs = KeyPerson.objects.active(on)
    if level == 6:
        qs = qs.filter(resident__grid__code__startswith=prefix).annotate(node=F("resident__grid__code"))
    else:
        qs = qs.filter(resident__region__code__startswith=prefix).annotate(node=Substr("resident__region__code", 1, n))
    return _grouped(qs, "node", on)


def control_by_worker(workers: Subquery, on: date) -> dict[int, tuple[int, int]]:
    """``{worker id: (in hand, under management)}`` for the key persons each worker is responsible for."""
    return _grouped(KeyPerson.objects.active(on).filter(worker__in=workers), "worker_id", on)


def _grouped(qs, key: str, on: date) -> dict:
    annotations, in_hand = _in_hand_q(on)
    rows = (qs.annotate(**annotations).order_by().values(key)
            .annotate(total=Count("pk"), covered=Count("pk", filter=in_hand)))
    return {r[key]: (r["covered"], r["total"]) for r in rows if r[key]}


def visits_on_time(workers: Subquery, start: datetime, end: datetime) -> dict[int, tuple[int, int]]:
    """``{worker id: (visits, visits on time)}`` for the visits the workers made in [start, end).

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
            .values_list("key_person_id", "worker_id", "visited_at", "key_person__category_id",
                         "key_person__risk_level", "key_person__since"))
    worker_ids = set(workers.values_list("pk", flat=True)) if hasattr(workers, "values_list") else None
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    last: dict[int, date] = {}
    for kp, worker, at, cat, risk, since in rows:
        day = timezone.localdate(at)
        if at >= start and (worker_ids is None or worker in worker_ids):
            due = last.get(kp, since) + timedelta(days=days.get((cat, risk), 30))
            counts = out[worker]
            counts[0] += 1
            counts[1] += day <= due
        last[kp] = day
    return {w: (v[0], v[1]) for w, v in out.items()}

"""Rule ``repeat_place`` (同一地点反复发生): ≥ k events of one category within R metres in the last D days.

The events of the window with a point are bucketed by category into cells R metres wide; each event's
neighbours are looked for in its own and the eight surrounding cells only (never all pairs over the city).
The densest event seeds a cluster of its neighbours, those are taken out, and so on. Key: the category and
the cell of the cluster's earliest event, so the warning stays the same while the cluster lasts.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.warnrules import Param, Signal, rule
from gridgov.warnings.rulekit import level_by_multiple, place_code

M_PER_DEG = 111_320.0


def _dist(a, b) -> float:
    from gridgov.events.services import distance_m

    return distance_m(a[2], a[3], b[2], b[3])


def clusters(points: list[tuple], radius: float, k: int) -> list[list[tuple]]:
    """Clusters of ≥ k ``points`` ``(id, created_at, lng, lat, …)`` within ``radius`` metres of a seed."""
    if len(points) < k:
        return []
    lat0 = sum(p[3] for p in points) / len(points)
    dlat = radius / M_PER_DEG
    dlng = radius / (M_PER_DEG * max(math.cos(math.radians(lat0)), 0.01))
    cells = defaultdict(list)
    for p in points:
        cells[(math.floor(p[2] / dlng), math.floor(p[3] / dlat))].append(p)
    near = {}
    for (cx, cy), members in cells.items():
        around = [q for dx in (-1, 0, 1) for dy in (-1, 0, 1) for q in cells.get((cx + dx, cy + dy), ())]
        for p in members:
            near[p[0]] = [q for q in around if _dist(p, q) <= radius]
    used, out = set(), []
    for p in sorted(points, key=lambda p: (-len(near[p[0]]), p[0])):
        if p[0] in used:
            continue
        group = [q for q in near[p[0]] if q[0] not in used]
        if len(group) >= k:
            used.update(q[0] for q in group)
            out.append(group)
    return out


@rule("repeat_place", gettext_lazy("同一地点反复发生"),
      gettext_lazy("同一类别的事件在 R 米范围内、D 日内达到 k 起"),
      params=(Param("min_cases", gettext_lazy("起数阈值 k"), 3, int, 2, 100),
              Param("radius_m", gettext_lazy("半径 R(米)"), 200, int, 10, 1000),
              Param("days", gettext_lazy("时间窗 D(日)"), 14, int, 1, 60)))
def repeat_place(now: datetime, params: dict):
    from gridgov.events.models import OPEN_STATUSES, Event, Status

    k, radius, days = params["min_cases"], params["radius_m"], params["days"]
    rows = (Event.objects.filter(created_at__gte=now - timedelta(days=days), created_at__lte=now,
                                 lng__isnull=False, lat__isnull=False)
            .exclude(status__in=(Status.REJECTED, Status.MERGED))
            .values_list("id", "created_at", "lng", "lat", "category__code", "category__name", "grid__code",
                         "region__code", "status", "number"))
    by_category = defaultdict(list)
    for r in rows:
        by_category[r[4]].append(r)
    # a cluster that shares a case with an open warning of this rule is that warning's condition: it keeps the
    # warning's key even when its earliest case has left the window (the cell in the key would move)
    from gridgov.warnings.models import OPEN_STATUSES as WARNING_OPEN
    from gridgov.warnings.models import WarningCase

    open_key_of = dict(WarningCase.objects.filter(kind="event", warning__rule="repeat_place",
                                                  warning__status__in=WARNING_OPEN)
                       .order_by("warning__first_seen", "warning_id").values_list("case_id", "warning__key"))
    keys = set()
    for code, points in sorted(by_category.items()):
        for group in clusters(points, radius, k):
            first = min(group, key=lambda q: (q[1], q[0]))
            seed = max(group, key=lambda q: sum(1 for x in group if _dist(q, x) <= radius))
            n = len(group)
            open_n = sum(1 for q in group if q[8] in OPEN_STATUSES)
            lng = sum(q[2] for q in group) / n
            lat = sum(q[3] for q in group) / n
            dlat = radius / M_PER_DEG
            dlng = radius / (M_PER_DEG * max(math.cos(math.radians(first[3])), 0.01))
            cell = f"{math.floor(first[2] / dlng)}:{math.floor(first[3] / dlat)}"
            name = first[5]
            held = sorted({open_key_of[q[0]] for q in group if q[0] in open_key_of} - keys)
            key = held[0] if held else f"repeat_place:{code}:{radius}:{cell}"
            if key in keys:  # a second cluster whose earliest case lies in the same cell: its own key, not a merge
                key = f"{key}:{first[0]}"
            keys.add(key)
            yield Signal(
                rule="repeat_place", key=key,
                level=level_by_multiple(n, k), code=place_code(seed[6], seed[7]),
                title=_("“%(cat)s”在同一地点反复发生 %(n)d 起") % {"cat": name, "n": n},
                explanation=_("近 %(days)d 日内，半径 %(r)d 米范围内发生“%(cat)s”类事件 %(n)d 起（阈值 %(k)d 起），"
                              "其中 %(open)d 起尚未办结。") % {"days": days, "r": radius, "cat": name, "n": n,
                                                          "k": k, "open": open_n},
                numbers={"count": n, "open": open_n, "threshold": k, "radius_m": radius, "days": days,
                         "category": code},
                cases=[("event", q[0]) for q in sorted(group)], point=(round(lng, 6), round(lat, 6)))

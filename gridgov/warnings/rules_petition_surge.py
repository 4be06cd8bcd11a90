"""Rule ``petition_surge`` (群体/重复信访上升).

- Per township (the petition's region cut to its township code): 联名/集体访 and repeat petitions registered in
  the last ``days`` days, against the ``days`` before. Fires when the count is ≥ ``min_count`` and ≥ ``ratio``
  times the previous count. Level: ≥ min 黄, ≥ 2×min 橙, ≥ 3×min 红; 100 or more people in the window: 红.
- Per subject (the first petition of a repeat group): ≥ ``repeat_min`` repeats registered in the last ``days``
  days. Level: ≥ repeat_min 黄, ≥ 2× 橙, ≥ 3× 红.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.warnrules import Param, Signal, rule
from gridgov.warnings.rulekit import level_by_multiple

MANY_PEOPLE = 100


@rule("petition_surge", gettext_lazy("群体/重复信访上升"),
      gettext_lazy("某乡镇(街道)联名/集体访或重复信访增多，或同一事项反复信访"),
      params=(Param("days", gettext_lazy("统计窗口(日)"), 30, int, 7, 180),
              Param("min_count", gettext_lazy("件数阈值"), 3, int, 1, 100),
              Param("ratio", gettext_lazy("较上期增长倍数"), 1.5, float, 1.0, 10.0),
              Param("repeat_min", gettext_lazy("同一事项重复次数阈值"), 3, int, 2, 50)))
def petition_surge(now: datetime, params: dict):
    from gridgov.petitions.models import Petition

    days, k = params["days"], params["min_count"]
    start, prev = now - timedelta(days=days), now - timedelta(days=2 * days)
    rows = (Petition.objects.filter(registered_at__gte=prev, registered_at__lte=now)
            .filter(Q(is_collective=True) | Q(repeat_of__isnull=False))
            .values_list("id", "registered_at", "region__code", "is_collective", "repeat_of_id", "people_count"))
    now_by, before_by = defaultdict(list), defaultdict(int)
    repeats = defaultdict(list)
    for pid, at, code, _collective, root, people in rows:
        town = code[:9] if len(code) >= 9 else code
        if at >= start:
            now_by[town].append((pid, people))
            if root:
                repeats[root].append(pid)
        else:
            before_by[town] += 1
    for town, items in sorted(now_by.items()):
        n, before, people = len(items), before_by.get(town, 0), sum(p for _pid, p in items)
        level = level_by_multiple(n, k)
        if level is None or n < params["ratio"] * before:
            continue
        if people >= MANY_PEOPLE:
            level = "red"
        yield Signal(
            rule="petition_surge", key=f"petition_surge:region:{town}", level=level, code=town,
            title=_("群体/重复信访上升：近 %(d)d 日 %(n)d 件") % {"d": days, "n": n},
            explanation=_("近 %(d)d 日内联名/集体访及重复信访 %(n)d 件（涉及 %(p)d 人），上期 %(b)d 件，"
                          "阈值 %(k)d 件且不低于上期的 %(r)s 倍。") % {"d": days, "n": n, "p": people, "b": before,
                                                              "k": k, "r": params["ratio"]},
            numbers={"count": n, "previous": before, "people": people, "threshold": k, "ratio": params["ratio"],
                     "days": days},
            cases=[("petition", pid) for pid, _p in items])
    if not repeats:
        return
    roots = Petition.objects.filter(pk__in=list(repeats)).values_list("id", "number", "subject", "region__code")
    for root, number, subject, code in roots:
        n = len(repeats[root])
        level = level_by_multiple(n, params["repeat_min"])
        if level is None:
            continue
        yield Signal(
            rule="petition_surge", key=f"petition_surge:subject:{number}", level=level, code=code,
            title=_("同一事项反复信访：%(s)s") % {"s": subject[:60]},
            explanation=_("信访事项“%(s)s”（首次信访 %(num)s）近 %(d)d 日内重复信访 %(n)d 次（阈值 %(k)d 次）。") % {
                "s": subject, "num": number, "d": days, "n": n, "k": params["repeat_min"]},
            numbers={"repeats": n, "threshold": params["repeat_min"], "days": days, "first": number},
            cases=[("petition", root)] + [("petition", pid) for pid in sorted(repeats[root])])

"""Rule ``care_gap`` (关爱缺位): where people are being left alone.

- Visits: high-risk key persons (active listing) whose last visit (or listing day, when never visited) is
  more than their category's interval ago, counted per grid (the community when they have no grid). Fires at
  ≥ ``overdue_min``. Level: 黄; 橙 at 3 or more, or one overdue by 14 days or more; 红 at 5 or more, or one
  overdue by 30 days or more.
- 不满意: events rated 不满意 (by the reporter or at the follow-up visit) with a rating given in the last
  ``days`` days (the kernel's records of ``rate`` and ``follow_up``), counted per grid and per lead department.
  Fires at ≥ ``unsatisfied_min``; level 黄, 2× 橙, 3× 红.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.warnrules import Param, Signal, rule
from gridgov.warnings.rulekit import level_by_multiple, place_code


def _visit_level(n: int, worst: int) -> str:
    if n >= 5 or worst >= 30:
        return "red"
    if n >= 3 or worst >= 14:
        return "orange"
    return "yellow"


@rule("care_gap", gettext_lazy("关爱帮扶缺位"),
      gettext_lazy("高风险重点人员逾期未走访；同一网格或部门反复出现不满意评价"),
      params=(Param("overdue_min", gettext_lazy("逾期未走访人数阈值(每网格)"), 1, int, 1, 100),
              Param("unsatisfied_min", gettext_lazy("不满意件数阈值"), 3, int, 1, 100),
              Param("days", gettext_lazy("不满意统计窗口(日)"), 30, int, 1, 180)))
def care_gap(now: datetime, params: dict):
    yield from _visits(now, params)
    yield from _unsatisfied(now, params)


def _visits(now: datetime, params: dict):
    from gridgov.registry.models import KeyPerson, RiskLevel

    today = timezone.localdate(now)
    rows = (KeyPerson.objects.active(today).filter(risk_level=RiskLevel.HIGH).annotate(last=Max("visits__visited_at"))
            .values_list("id", "since", "last", "category__intervals", "resident__grid__code",
                         "resident__region__code"))
    by_place = defaultdict(list)
    for kp, since, last, intervals, grid, region in rows:
        interval = int((intervals or {}).get("high") or 7)
        base = timezone.localdate(last) if last else since
        late = (today - base).days - interval
        if late > 0:
            by_place[place_code(grid, region)].append((kp, late))
    for code, people in sorted(by_place.items()):
        n, worst = len(people), max(late for _kp, late in people)
        if n < params["overdue_min"]:
            continue
        yield Signal(
            rule="care_gap", key=f"care_gap:visits:{code}", level=_visit_level(n, worst), code=code,
            title=_("高风险重点人员逾期未走访 %(n)d 人") % {"n": n},
            explanation=_("本网格（区域）有 %(n)d 名高风险重点人员超过走访周期未走访，最长逾期 %(w)d 天（阈值 %(k)d 人）。")
            % {"n": n, "w": worst, "k": params["overdue_min"]},
            numbers={"overdue": n, "worst_days": worst, "threshold": params["overdue_min"]},
            cases=[("keyperson", kp) for kp, _late in sorted(people)])


def _unsatisfied(now: datetime, params: dict):
    from gridgov.cases.models import TransitionRecord
    from gridgov.events.models import Event, Rating

    k, days = params["unsatisfied_min"], params["days"]
    # rated (by the reporter, or at a 回访) in the window — the moment of the rating from the kernel's statistics
    # records (index kind, at), not the event's updated_at, which any later write (a sweep, a migration) moves
    rated = (TransitionRecord.objects.filter(kind="event", at__gte=now - timedelta(days=days), at__lte=now,
                                             action__in=("rate", "follow_up")).values("case_id"))
    rows = (Event.objects.filter(id__in=rated)
            .filter(Q(rating=Rating.UNSATISFIED) | Q(followup_rating=Rating.UNSATISFIED))
            .values_list("id", "grid__code", "region__code", "lead_department__code", "lead_department__name",
                         "lead_department__region__code"))
    by_grid, by_dept = defaultdict(list), defaultdict(list)
    names = {}
    for eid, grid, region, dept, dept_name, dept_region in rows:
        by_grid[place_code(grid, region)].append(eid)
        if dept:
            by_dept[(dept, dept_region)].append(eid)
            names[dept] = dept_name
    for code, ids in sorted(by_grid.items()):
        level = level_by_multiple(len(ids), k)
        if level:
            yield _unsatisfied_signal(f"care_gap:unsatisfied:place:{code}", code, level, ids, k, days,
                                      _("本网格（区域）"))
    for (dept, region), ids in sorted(by_dept.items()):
        level = level_by_multiple(len(ids), k)
        if level and region:
            yield _unsatisfied_signal(f"care_gap:unsatisfied:dept:{dept}", region, level, ids, k, days, names[dept])


def _unsatisfied_signal(key, code, level, ids, k, days, where) -> Signal:
    n = len(ids)
    return Signal(
        rule="care_gap", key=key, level=level, code=code,
        title=_("%(where)s反复出现不满意评价 %(n)d 件") % {"where": where, "n": n},
        explanation=_("近 %(d)d 日内%(where)s办理的事件有 %(n)d 件被评价为不满意（阈值 %(k)d 件）。") % {
            "d": days, "where": where, "n": n, "k": k},
        numbers={"unsatisfied": n, "threshold": k, "days": days},
        cases=[("event", i) for i in sorted(ids)])

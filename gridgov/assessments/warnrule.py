"""The 稳评跟踪 warning rule: after a decision is implemented, a rising count of events, disputes and petitions
in the assessment's affected area raises a warning (registered with the kernel's :func:`gridgov.cases.warnrules.rule`;
the warning engine in gridgov.warnings runs it).

For every assessment in 跟踪 with an implementation date, :mod:`gridgov.assessments.tracking` counts the cases of
the last L days against the L days before implementation (L = min(days since implementation, ``window_days``)).
It fires when the count after is at least ``min_count`` and at least (1 + ``rise_ratio``) times the count before
(before counted as at least 1). Level by after ÷ before: < 2 蓝, < 3 黄, < 4 橙, ≥ 4 红; one level higher when
the assessment itself was graded 高风险.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.assessments import tracking
from gridgov.assessments.models import Assessment, Level, Status
from gridgov.cases.warnrules import LEVELS, Param, Signal, rule

KEY = "assessment_tracking"


def level_for(ratio: float, high_risk: bool = False) -> str:
    index = 0 if ratio < 2 else 1 if ratio < 3 else 2 if ratio < 4 else 3
    if high_risk:
        index = min(index + 1, len(LEVELS) - 1)
    return LEVELS[index]


def rising(t: tracking.Tracking, params: dict) -> bool:
    return t.after_total >= params["min_count"] and t.after_total >= (1 + params["rise_ratio"]) * max(t.before_total, 1)


@rule(KEY, label=gettext_lazy("稳评跟踪"),
      description=gettext_lazy("重大决策实施后，影响区域内事件、纠纷、信访数量较实施前同期明显上升"),
      params=(
          Param("window_days", gettext_lazy("比较窗口（天）"), 90, int, 7, 365,
                help=gettext_lazy("实施后最多比较的天数，与实施前同样天数相比")),
          Param("rise_ratio", gettext_lazy("上升比例"), 0.5, float, 0, 10,
                help=gettext_lazy("实施后数量不少于实施前的 (1 + 该比例) 倍时预警")),
          Param("min_count", gettext_lazy("最少件数"), 5, int, 1, 10000,
                help=gettext_lazy("实施后少于该件数时不预警")),
      ))
def assessment_tracking(now: datetime, params: dict):
    rows = list(Assessment.objects.filter(status=Status.TRACKING, implementation_started_on__isnull=False)
                .select_related("region").prefetch_related("affected_regions"))
    measured = tracking.measure(rows, now, int(params["window_days"]), with_cases=lambda a, t: rising(t, params))
    for a in rows:
        t = measured.get(a.pk)
        if t is None or not rising(t, params):
            continue
        rise = (t.after_total - t.before_total) / max(t.before_total, 1) * 100
        explanation = _(
            "稳评事项“%(title)s”（%(number)s）自%(start)s实施以来，影响区域内近%(days)d日事件%(e)d件、纠纷%(d)d件、"
            "信访%(p)d件，共%(after)d件；实施前同期%(days)d日共%(before)d件（事件%(e0)d、纠纷%(d0)d、信访%(p0)d），"
            "上升%(rise).0f%%。") % {
            "title": a.title, "number": a.number, "start": a.implementation_started_on.isoformat(), "days": t.days,
            "e": t.after["event"], "d": t.after["dispute"], "p": t.after["petition"], "after": t.after_total,
            "before": t.before_total, "e0": t.before["event"], "d0": t.before["dispute"], "p0": t.before["petition"],
            "rise": rise}
        yield Signal(
            rule=KEY, key=f"{KEY}:{a.pk}", level=level_for(t.ratio, a.risk_level == Level.HIGH), code=a.region.code,
            title=_("稳评跟踪：%(title)s") % {"title": a.title}, explanation=explanation,
            numbers={"assessment": a.number, "days": t.days, "before": t.before, "after": t.after,
                     "before_total": t.before_total, "after_total": t.after_total, "ratio": round(t.ratio, 2),
                     "after_from": t.after_from.isoformat(), "before_from": t.before_from.isoformat()},
            cases=list(t.cases),
        )

"""Rule ``criminal_turn`` (民转刑): a key person (重点人员, active listing) with a new case.

A new case is a dispute they are a party of, a petition they brought, or an event about them (an event
subject), registered in the last ``days`` days. Level by the listing's risk: 低 黄, 中 橙, 高 红; two or more
new cases raise it one step (at most 红). One warning per listing (key ``criminal_turn:<listing id>``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.warnrules import Param, Signal, rule
from gridgov.warnings.rulekit import masked, place_code, step_up

BY_RISK = {"low": "yellow", "medium": "orange", "high": "red"}
KIND_LABELS = {"dispute": gettext_lazy("纠纷"), "petition": gettext_lazy("信访"), "event": gettext_lazy("事件")}


@rule("criminal_turn", gettext_lazy("民转刑风险"), gettext_lazy("列管重点人员近期新涉及纠纷、信访或事件"),
      params=(Param("days", gettext_lazy("近期窗口(日)"), 30, int, 1, 180),
              Param("min_cases", gettext_lazy("新案件数阈值"), 1, int, 1, 20)))
def criminal_turn(now: datetime, params: dict):
    from gridgov.disputes.models import Party
    from gridgov.petitions.models import Petitioner
    from gridgov.registry.models import EventSubject, KeyPerson

    since = now - timedelta(days=params["days"])
    listed = KeyPerson.objects.active(timezone.localdate(now)).values("resident_id")
    found: dict[int, set] = defaultdict(set)
    for rid, cid in Party.objects.filter(resident_id__in=listed, dispute__created_at__gte=since,
                                         dispute__created_at__lte=now).values_list("resident_id", "dispute_id"):
        found[rid].add(("dispute", cid))
    for rid, cid in Petitioner.objects.filter(resident_id__in=listed, petition__registered_at__gte=since,
                                              petition__registered_at__lte=now).values_list("resident_id",
                                                                                            "petition_id"):
        found[rid].add(("petition", cid))
    for rid, cid in EventSubject.objects.filter(resident_id__in=listed, event__created_at__gte=since,
                                                event__created_at__lte=now).values_list("resident_id", "event_id"):
        found[rid].add(("event", cid))
    if not found:
        return
    people = (KeyPerson.objects.active(timezone.localdate(now)).filter(resident_id__in=list(found))
              .values_list("id", "resident_id", "resident__name", "risk_level", "category__name",
                           "resident__grid__code", "resident__region__code"))
    for kp, rid, name, risk, category, grid, region in people:
        cases = sorted(found[rid])
        if len(cases) < params["min_cases"]:
            continue
        level = BY_RISK.get(risk, "yellow")
        if len(cases) >= 2:
            level = step_up(level)
        counts = {k: sum(1 for c in cases if c[0] == k) for k in KIND_LABELS}
        parts = "、".join(f"{KIND_LABELS[k]} {n} 件" for k, n in counts.items() if n)
        who = masked(name)
        yield Signal(
            rule="criminal_turn", key=f"criminal_turn:{kp}", level=level, code=place_code(grid, region),
            title=_("重点人员%(who)s近期新涉案件") % {"who": who},
            explanation=_("列管重点人员%(who)s（%(cat)s，风险等级%(risk)s）近 %(days)d 日内新涉及 %(n)d 件案件：%(parts)s，"
                          "需防范矛盾激化、民转刑。") % {"who": who, "cat": category, "risk": _risk_label(risk),
                                               "days": params["days"], "n": len(cases), "parts": parts},
            numbers={"cases": len(cases), **counts, "risk": risk, "days": params["days"]},
            cases=[("keyperson", kp), *cases])


def _risk_label(risk: str) -> str:
    from gridgov.registry.models import RiskLevel

    return str(dict(RiskLevel.choices).get(risk, risk))

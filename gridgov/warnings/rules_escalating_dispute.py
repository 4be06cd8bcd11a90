"""Rule ``escalating_dispute`` (纠纷升级): an open dispute showing signs of escalation.

Factors, each counted once per dispute:

- ``repeat``: a party (same registry resident, or the same phone) is a party of another dispute registered
  within ``repeat_days`` (90) days — the same parties again;
- ``regraded``: its risk grade was raised by hand (``regrade``) in the last ``days`` days;
- ``failed``: a mediation failed (调解不成) in the last ``days`` days;
- ``threat``: a note, a mediation record's minutes or a new description in the last ``days`` days contains a
  threat or self-harm word (the disputes app's THREAT_WORDS, matched as whole words).

Level: one factor 黄, two 橙, three or more 红; a threat is at least 橙 (and 红 with any other factor).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.warnrules import Param, Signal, rule
from gridgov.warnings.rulekit import place_code

FACTOR_LABELS = {"repeat": gettext_lazy("同一当事人再次发生纠纷"), "regraded": gettext_lazy("风险等级上调"),
                 "failed": gettext_lazy("调解不成"), "threat": gettext_lazy("出现过激言辞")}


def _level(factors: dict) -> str:
    n = len(factors)
    if "threat" in factors:
        return "red" if n >= 2 else "orange"
    return {1: "yellow", 2: "orange"}.get(n, "red")


@rule("escalating_dispute", gettext_lazy("矛盾纠纷升级"),
      gettext_lazy("在办纠纷出现同一当事人再次纠纷、风险等级上调、调解不成或过激言辞"),
      params=(Param("days", gettext_lazy("近期窗口(日)"), 30, int, 1, 180),
              Param("repeat_days", gettext_lazy("重复纠纷窗口(日)"), 90, int, 7, 365)))
def escalating_dispute(now: datetime, params: dict):
    from gridgov.disputes.models import GRADE_ORDER, OPEN_STATUSES, Dispute, DisputeLog, Party, Session, Status
    from gridgov.disputes.risk import threat_words_in

    since = now - timedelta(days=params["days"])
    factors: dict[int, dict] = defaultdict(dict)

    # the same parties again: parties of the disputes registered in the repeat window, grouped by person
    window = now - timedelta(days=params["repeat_days"])
    by_person = defaultdict(set)
    for did, rid, phone in Party.objects.filter(dispute__created_at__gte=window, dispute__created_at__lte=now
                                                ).values_list("dispute_id", "resident_id", "phone_hash"):
        if rid:
            by_person[("r", rid)].add(did)
        if phone:
            by_person[("p", phone)].add(did)
    for ids in by_person.values():
        if len(ids) > 1:
            for did in ids:
                factors[did]["repeat"] = len(ids)

    logs = DisputeLog.objects.filter(created_at__gte=since, created_at__lte=now)
    for did, data in logs.filter(action="regrade").values_list("dispute_id", "data"):
        before, after = (data or {}).get("risk_before"), (data or {}).get("risk_after")
        if GRADE_ORDER.get(after, 0) > GRADE_ORDER.get(before, 0):
            factors[did]["regraded"] = after
    for did in logs.filter(to_status=Status.FAILED).exclude(from_status=Status.FAILED).values_list("dispute_id",
                                                                                                   flat=True):
        factors[did]["failed"] = 1
    texts = list(logs.exclude(note="").values_list("dispute_id", "note"))
    texts += list(Session.objects.filter(created_at__gte=since, created_at__lte=now).values_list("dispute_id",
                                                                                                  "minutes"))
    texts += list(Dispute.objects.filter(created_at__gte=since, created_at__lte=now).values_list("id",
                                                                                                "description"))
    for did, text in texts:
        words = threat_words_in(text)
        if words:
            factors[did]["threat"] = sorted(set(factors[did].get("threat", [])) | set(words))

    disputes = (Dispute.objects.filter(pk__in=list(factors), status__in=OPEN_STATUSES)
                .values_list("id", "number", "grid__code", "region__code", "lng", "lat", "dispute_type"))
    for did, number, grid, region, lng, lat, dtype in disputes:
        f = factors[did]
        labels = "、".join(str(FACTOR_LABELS[k]) for k in FACTOR_LABELS if k in f)
        detail = []
        if "repeat" in f:
            detail.append(_("同一当事人 %(d)d 日内共涉及 %(n)d 件纠纷") % {"d": params["repeat_days"], "n": f["repeat"]})
        if "threat" in f:
            detail.append(_("出现“%(w)s”等言辞") % {"w": "、".join(f["threat"])})
        yield Signal(
            rule="escalating_dispute", key=f"escalating_dispute:{number}", level=_level(f),
            code=place_code(grid, region),
            title=_("纠纷 %(n)s 出现升级迹象") % {"n": number},
            explanation=_("纠纷 %(n)s 近 %(days)d 日出现 %(k)d 项升级因素：%(labels)s。%(detail)s") % {
                "n": number, "days": params["days"], "k": len(f), "labels": labels,
                "detail": "；".join(detail) + ("。" if detail else "")},
            numbers={"factors": sorted(f), "factor_count": len(f), "repeat_disputes": f.get("repeat", 0),
                     "threat_words": f.get("threat", []), "days": params["days"], "dispute_type": dtype},
            cases=[("dispute", did)], point=(lng, lat) if lng is not None and lat is not None else None)

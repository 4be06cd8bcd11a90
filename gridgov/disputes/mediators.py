"""The mediators (调解员"专家超市"): their load, outcomes and satisfaction counted from real cases, the
directory the public and the centers browse, and the ranked suggestions for a dispute."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from gridgov.core.errors import ValidationFailed
from gridgov.disputes.models import LOAD_STATUSES, Dispute, DisputeType, Mediator, Satisfaction
from gridgov.regions.models import Region


def mediators_with_stats(qs=None):
    """Mediators annotated with load, case count, successes, failures — counted from real cases."""
    qs = qs if qs is not None else Mediator.objects.all()
    return qs.select_related("region").annotate(
        load=Count("disputes", filter=Q(disputes__status__in=LOAD_STATUSES), distinct=True),
        case_count=Count("disputes", distinct=True),
        # outcomes are credited to the mediator named on the outcome's log row, not to whoever has the case now
        successes=Count("outcomes__dispute", filter=Q(outcomes__action="succeed"), distinct=True),
        failures=Count("outcomes__dispute", filter=Q(outcomes__action="fail"), distinct=True),
        rated=Count("disputes", filter=~Q(disputes__satisfaction=""), distinct=True),
        satisfied=Count("disputes", filter=Q(disputes__satisfaction__in=[Satisfaction.SATISFIED,
                                                                          Satisfaction.BASICALLY]), distinct=True),
    )


def success_rate(m) -> float | None:
    """succeeded / (succeeded + failed); None when no case has ended yet."""
    done = m.successes + m.failures
    return m.successes / done if done else None


def satisfaction_rate(m) -> float | None:
    return m.satisfied / m.rated if m.rated else None


def browse_mediators(*, dispute_type="", region="", min_rate=None, order="rate"):
    errors = {}
    qs = Mediator.objects.filter(active=True)
    if dispute_type:
        if dispute_type not in DisputeType.values:
            errors["dispute_type"] = [_("纠纷类型无效")]
    if region and not region.isdigit():
        errors["region"] = [_("区划代码无效")]
    if errors:
        raise ValidationFailed(_("筛选条件有误"), errors)
    if region:
        # serving the region: the mediator's area contains it, or lies inside it
        codes = Region.objects.get(code=region).ancestors_codes() if Region.objects.filter(code=region).exists() \
            else [region]
        qs = qs.filter(Q(region__code__in=codes) | Q(region__code__startswith=region))
    rows = list(mediators_with_stats(qs))
    if dispute_type:
        rows = [m for m in rows if dispute_type in (m.specialties or [])]
    for m in rows:
        m.success_rate = success_rate(m)
        m.satisfaction_rate = satisfaction_rate(m)
    if min_rate is not None:
        rows = [m for m in rows if m.success_rate is not None and m.success_rate >= min_rate]
    if order == "satisfaction":
        rows.sort(key=lambda m: (-(m.satisfaction_rate or 0), m.load, m.name))
    elif order == "load":
        rows.sort(key=lambda m: (m.load, m.name))
    else:
        rows.sort(key=lambda m: (-(m.success_rate or 0), m.load, m.name))
    return rows


@dataclass
class Suggestion:
    mediator: Mediator
    score: float
    reasons: list[str]


def suggest_mediators(dispute: Dispute, limit: int = 5) -> list[Suggestion]:
    """Available mediators ranked for a dispute, each with its reasons in Chinese.

    Score = 3 for a specialty matching the dispute type + 2 when the mediator's area contains the
    dispute's place (1 when it is a neighbouring area: same county) + 2 × success rate − 0.3 per case
    in hand.  Mediators at MEDIATOR_MAX_LOAD or inactive are not suggested.
    """
    max_load = settings.GRIDGOV["MEDIATOR_MAX_LOAD"]
    labels = dict(DisputeType.choices)
    out = []
    place = dispute.region.code
    for m in mediators_with_stats(Mediator.objects.filter(active=True)):
        if m.load >= max_load:
            continue
        score, reasons = 0.0, []
        if dispute.dispute_type in (m.specialties or []):
            score += 3
            reasons.append(_("擅长%(type)s纠纷") % {"type": labels[dispute.dispute_type]})
        if place.startswith(m.region.code):
            score += 2
            reasons.append(_("服务区域（%(region)s）包含纠纷发生地") % {"region": m.region.name})
        elif m.region.code[:6] == place[:6]:
            score += 1
            reasons.append(_("服务区域（%(region)s）与纠纷发生地同属一区县") % {"region": m.region.name})
        rate = success_rate(m)
        if rate is not None:
            score += 2 * rate
            reasons.append(_("调解成功率 %(rate)s（%(successes)s/%(finished)s）")
                           % {"rate": f"{rate:.0%}", "successes": m.successes, "finished": m.successes + m.failures})
        else:
            reasons.append(_("暂无办结案件"))
        score -= 0.3 * m.load
        reasons.append(_("当前在办 %(load)s 件") % {"load": m.load})
        out.append(Suggestion(m, round(score, 3), reasons))
    out.sort(key=lambda s: (-s.score, s.mediator.load, s.mediator.name, s.mediator.pk))
    return out[:limit]

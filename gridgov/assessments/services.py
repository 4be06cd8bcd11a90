"""稳评 operations: the one door the pages, the API and the demo use.

Inputs come as plain dicts (a page's POST, an API body): every value is checked here and a bad one is a
:class:`~gridgov.core.errors.ValidationFailed` with Chinese messages by field, before anything is written.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import User
from gridgov.assessments import workflow
from gridgov.assessments.models import (
    Aspect,
    Assessment,
    AssessmentLog,
    Decision,
    Kind,
    Level,
    Recommendation,
    Status,
    Survey,
)
from gridgov.cases.numbers import next_number
from gridgov.core.errors import Forbidden, NotFound, ValidationFailed
from gridgov.regions.models import Region

MAX_REGIONS = 50
MAX_COUNT = 10_000_000
DEFAULT_FILED_WITH = gettext_lazy("政法委")


# --- parsing helpers: each adds its field's message to ``errors`` and returns None when wrong --------

def _text(raw: dict, key: str, errors: dict, *, required=True, max_length=5000, label="") -> str:
    value = raw.get(key)
    value = "" if value is None else str(value).strip()
    if required and not value:
        errors[key] = [_("请填写%(label)s") % {"label": label}]
    elif len(value) > max_length:
        errors[key] = [_("不能超过 %(n)d 个字符") % {"n": max_length}]
    return value


def _choice(raw: dict, key: str, choices, errors: dict, label: str) -> str:
    value = str(raw.get(key) or "").strip()
    if value not in {c for c, _l in choices}:
        errors[key] = [_("请选择%(label)s") % {"label": label}]
    return value


def _int(raw: dict, key: str, errors: dict, *, low: int, high: int, label: str, required=True) -> int | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[key] = [_("请填写%(label)s") % {"label": label}]
        return None if required else 0
    if isinstance(value, bool):
        errors[key] = [_("%(label)s须为整数") % {"label": label}]
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors[key] = [_("%(label)s须为整数") % {"label": label}]
        return None
    if not low <= number <= high:
        errors[key] = [_("%(label)s须在 %(low)d–%(high)d 之间") % {"label": label, "low": low, "high": high}]
        return None
    return number


def _day(raw: dict, key: str, errors: dict, *, label: str, now: datetime, not_after_today=True) -> date | None:
    value = raw.get(key)
    if isinstance(value, date):
        day = value
    else:
        text = str(value or "").strip()
        if not text:
            errors[key] = [_("请填写%(label)s") % {"label": label}]
            return None
        try:
            day = parse_date(text)
        except ValueError:
            day = None
        if day is None:
            errors[key] = [_("%(label)s格式应为 YYYY-MM-DD") % {"label": label}]
            return None
    if not 1900 <= day.year <= 2200:
        errors[key] = [_("%(label)s不在有效范围内") % {"label": label}]
        return None
    if not_after_today and day > timezone.localdate(now):
        errors[key] = [_("%(label)s不能晚于今天") % {"label": label}]
        return None
    return day


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "on", "yes")


def _fail(errors: dict) -> None:
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, errors)


# --- creation ---------------------------------------------------------------------------------

def can_create(user) -> bool:
    if not isinstance(user, User) or not user.is_active:
        return False
    if user.is_superuser or user.role == User.Role.ADMIN:
        return True
    return (user.role in (User.Role.OPERATOR, User.Role.LEADER) and user.region_id is not None
            and user.region.level <= Region.Level.COUNTY)


def _common_region(regions: list[Region]) -> Region:
    """The lowest region that contains every one of ``regions`` (a 422 on ``regions`` when none does)."""
    common = set(regions[0].ancestors_codes())
    for r in regions[1:]:
        common &= set(r.ancestors_codes())
    if not common:
        _fail({"regions": [_("影响区域须属于同一上级区划")]})
    code = max(common, key=len)
    return next(r for r in regions if r.code == code) if any(r.code == code for r in regions) else \
        Region.objects.get(code=code)


def _center_for(user, region: Region) -> Region:
    if not (user.is_superuser or user.role == User.Role.ADMIN):
        return user.region
    for code in region.ancestors_codes():  # nearest first: the county (or city) that runs it
        r = Region.objects.filter(code=code).first()
        if r is not None and r.level <= Region.Level.COUNTY:
            return r
    return region


def _regions(raw: dict, user, errors: dict) -> list[Region]:
    value = raw.get("regions")
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").split(",")]
    codes = [str(c).strip() for c in (value or []) if str(c).strip()]
    codes = list(dict.fromkeys(codes))
    if not codes:
        errors["regions"] = [_("请至少选择一个影响区域")]
        return []
    if len(codes) > MAX_REGIONS:
        errors["regions"] = [_("影响区域不能超过 %(n)d 个") % {"n": MAX_REGIONS}]
        return []
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        errors["regions"] = [_("未知的区划代码：%(codes)s") % {"codes": "、".join(unknown[:5])}]
        return []
    if not (user.is_superuser or user.role == User.Role.ADMIN):
        outside = [found[c].name for c in codes if not c.startswith(user.region.code)]
        if outside:
            errors["regions"] = [_("影响区域超出本中心辖区：%(names)s") % {"names": "、".join(outside[:5])}]
            return []
    return [found[c] for c in codes]


def create_assessment(user, raw: dict, *, now: datetime | None = None) -> Assessment:
    now = now or timezone.now()
    if not can_create(user):
        raise Forbidden(_("只有县级以上综治中心的工作人员和领导可以发起稳评"), code="not_permitted")
    errors: dict[str, list[str]] = {}
    data = {
        "title": _text(raw, "title", errors, max_length=200, label=_("评估事项")),
        "kind": _choice(raw, "kind", Kind.choices, errors, _("事项类型")),
        "responsible_body": _text(raw, "responsible_body", errors, max_length=100, label=_("决策主体")),
        "assessing_body": _text(raw, "assessing_body", errors, max_length=100, label=_("评估主体")),
        "summary": _text(raw, "summary", errors, label=_("事项概述")),
        "plan": _text(raw, "plan", errors, required=False, label=_("评估方案")),
        "third_party": _bool(raw.get("third_party")),
    }
    regions = _regions(raw, user, errors)
    _fail(errors)
    region = _common_region(regions)
    with transaction.atomic():
        a = Assessment(number=next_number(timezone.localdate(now), prefix="WP"), region=region,
                       center=_center_for(user, region), created_by=user, created_at=now, **data)
        workflow.open_assessment(a, user, now)
        a.affected_regions.set(regions)
    return a


# --- reading ----------------------------------------------------------------------------------

def get_visible(user, number: str) -> Assessment:
    a = Assessment.objects.visible_to(user).filter(number=number).select_related(
        "region", "center", "created_by").first()
    if a is None:
        raise NotFound(_("未找到该稳评事项，或不在您的管辖范围内"))
    return a


def filtered(user, *, status: str = "", kind: str = "", q: str = ""):
    qs = Assessment.objects.visible_to(user)
    errors = {}
    if status and status not in Status.values:
        errors["status"] = [_("未知的环节")]
    if kind and kind not in Kind.values:
        errors["kind"] = [_("未知的事项类型")]
    _fail(errors)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(number__icontains=q) | Q(responsible_body__icontains=q))
    return qs.select_related("region", "center").order_by("-created_at", "-id")


def counts_by_status(user) -> dict[str, int]:
    ids = Assessment.objects.visible_to(user).values("pk")
    return dict(Assessment.objects.filter(pk__in=ids).values_list("status").annotate(n=Count("pk")).order_by())


def timeline(a: Assessment) -> list[AssessmentLog]:
    return list(a.log.all())


# --- actions ----------------------------------------------------------------------------------

def _survey(raw: dict, errors: dict, now) -> dict:
    out = {
        "method": _choice(raw, "method", Survey.Method.choices, errors, _("调查方式")),
        "held_on": _day(raw, "held_on", errors, label=_("调查日期"), now=now),
        "participants": _int(raw, "participants", errors, low=1, high=MAX_COUNT, label=_("参与人数")),
        "supporting": _int(raw, "supporting", errors, low=0, high=MAX_COUNT, label=_("支持意见数"), required=False),
        "opposing": _int(raw, "opposing", errors, low=0, high=MAX_COUNT, label=_("反对意见数"), required=False),
        "other": _int(raw, "other", errors, low=0, high=MAX_COUNT, label=_("其他意见数"), required=False),
        "summary": _text(raw, "summary", errors, required=False, label=_("主要意见")),
    }
    counts = [out[k] for k in ("participants", "supporting", "opposing", "other")]
    if None not in counts and sum(counts[1:]) > counts[0]:
        errors["participants"] = [_("支持、反对和其他意见合计（%(n)d）不能多于参与人数") % {"n": sum(counts[1:])}]
    return out


def _risk(raw: dict, errors: dict) -> dict:
    return {
        "item": _text(raw, "item", errors, max_length=200, label=_("风险点")),
        "source": _text(raw, "source", errors, max_length=200, label=_("风险来源")),
        "likelihood": _int(raw, "likelihood", errors, low=1, high=5, label=_("可能性")),
        "impact": _int(raw, "impact", errors, low=1, high=5, label=_("影响程度")),
        "mitigation": _text(raw, "mitigation", errors, label=_("防范化解措施")),
        "owner": _text(raw, "owner", errors, max_length=100, label=_("责任单位")),
    }


def _finding(raw: dict, errors: dict) -> dict:
    passed = str(raw.get("passed") if raw.get("passed") is not None else "").strip().lower()
    if passed not in ("true", "false", "1", "0", "pass", "concern"):
        errors["passed"] = [_("请选择论证结论（通过 / 存在问题）")]
    return {
        "aspect": _choice(raw, "aspect", Aspect.choices, errors, _("论证方面")),
        "text": _text(raw, "text", errors, label=_("论证意见")),
        "passed": passed in ("true", "1", "pass"),
    }


def _params(a: Assessment, action: str, raw: dict, now: datetime) -> dict:
    errors: dict[str, list[str]] = {}
    params: dict = {"note": _text(raw, "note", errors, required=False, label=_("说明"))}
    if action == "confirm_plan":
        params["plan"] = _text(raw, "plan", errors, label=_("评估方案"))
    elif action == "add_survey":
        params["survey"] = _survey(raw, errors, now)
    elif action == "add_risk":
        params["risk"] = _risk(raw, errors)
    elif action == "set_finding":
        params["finding"] = _finding(raw, errors)
    elif action == "set_level":
        params["risk_level"] = _choice(raw, "risk_level", Level.choices, errors, _("风险等级"))
        params["recommendation"] = _choice(raw, "recommendation", Recommendation.choices, errors, _("评估建议"))
        params["reason"] = _text(raw, "reason", errors, required=False, label=_("定级理由"))
        if params["risk_level"] == Level.HIGH and params["recommendation"] == Recommendation.IMPLEMENT:
            errors["recommendation"] = [_("高风险事项不能建议实施（应建议暂缓实施或不实施）")]
    elif action == "decide":
        params["decision"] = _choice(raw, "decision", Decision.choices, errors, _("决策结果"))
        params["decided_on"] = _day(raw, "decided_on", errors, label=_("决策日期"), now=now)
        last_survey = a.surveys.order_by("-held_on").values_list("held_on", flat=True).first()
        if params["decided_on"] and last_survey and params["decided_on"] < last_survey:
            errors["decided_on"] = [_("决策日期不能早于风险调查日期（%(d)s）") % {"d": last_survey.isoformat()}]
        if params["decision"] == Decision.ADOPTED and a.risk_level == Level.HIGH:
            errors["decision"] = [_("评估为高风险的事项不得作出实施决策")]
    elif action == "file":
        params["filed_on"] = _day(raw, "filed_on", errors, label=_("备案日期"), now=now)
        if params["filed_on"] and a.decided_on and params["filed_on"] < a.decided_on:
            errors["filed_on"] = [_("备案日期不能早于决策日期")]
        elif params["filed_on"] and a.report_generated_at and \
                params["filed_on"] < timezone.localdate(a.report_generated_at):
            errors["filed_on"] = [_("备案日期不能早于评估报告生成日期")]
        params["filing_number"] = _text(raw, "filing_number", errors, max_length=50, label=_("备案编号"))
        params["filed_with"] = _text(raw, "filed_with", errors, required=False, max_length=100,
                                     label=_("备案机关")) or str(DEFAULT_FILED_WITH)
    elif action == "record_implementation":
        params["started_on"] = _day(raw, "started_on", errors, label=_("实施开始日期"), now=now)
        if params["started_on"] and a.decided_on and params["started_on"] < a.decided_on:
            errors["started_on"] = [_("实施开始日期不能早于决策日期")]
    _fail(errors)
    return params


def perform_action(user, a: Assessment, action: str, raw: dict | None = None, *, now: datetime | None = None
                   ) -> AssessmentLog:
    """Check the state, the actor and the guard (409/403), then the inputs (422), then perform."""
    now = now or timezone.now()
    a = Assessment.objects.select_related("region", "center").get(pk=a.pk)
    workflow.check(a, action, user, now)
    params = _params(a, action, dict(raw or {}), now)
    return workflow.perform(a, action, user, params, now=now)

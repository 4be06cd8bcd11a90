"""Warnings over HTTP (/api/v1/warnings/): the board's list and detail, the lifecycle's actions, and the rules'
configuration for administrators. Thin: services and the workflow do the work."""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from gridgov.accounts.auth import api_auth
from gridgov.accounts.models import User
from gridgov.cases import warnrules
from gridgov.core.api_types import Error, PageParams, text
from gridgov.core.errors import Forbidden, ValidationFailed
from gridgov.warnings import services, workflow
from gridgov.warnings.config import clean_params, effective
from gridgov.warnings.models import RuleConfig, Warning

router = Router(tags=["预警"])


class WarningBrief(Schema):
    number: str
    rule: str
    rule_label: str
    level: str
    level_label: str
    status: str
    status_label: str
    title: str
    code: str
    region: str
    region_name: str
    center: str
    lng: float | None
    lat: float | None
    first_seen: datetime
    last_seen: datetime
    times_seen: int


class CaseRef(Schema):
    kind: str
    kind_label: str
    id: int
    number: str
    label: str
    status: str
    url: str = Field(description="the case's page; empty when the case is outside your scope")


class LogOut(Schema):
    action: str
    actor: str
    from_status: str
    to_status: str
    note: str
    data: dict
    created_at: datetime


class ActionOut(Schema):
    kind: str
    summary: str
    event: str | None
    unit: str
    due_on: date | None
    created_at: datetime


class WarningDetail(WarningBrief):
    explanation: str
    numbers: dict
    assessment: str
    resolution: str
    cases: list[CaseRef]
    actions: list[ActionOut]
    allowed_actions: list[str]
    timeline: list[LogOut]


def _labels() -> dict:
    return {s.key: str(s.label) for s in warnrules.rules()}


def brief(w: Warning, labels: dict | None = None) -> dict:
    labels = labels if labels is not None else _labels()
    return {"number": w.number, "rule": w.rule, "rule_label": labels.get(w.rule, w.rule), "level": w.level,
            "level_label": str(warnrules.LEVEL_LABELS[w.level]), "status": w.status,
            "status_label": str(w.get_status_display()), "title": w.title, "code": w.code, "region": w.region.code,
            "region_name": w.region.name, "center": w.center.code, "lng": w.lng, "lat": w.lat,
            "first_seen": w.first_seen, "last_seen": w.last_seen, "times_seen": w.times_seen}


def detail(w: Warning, user) -> dict:
    out = brief(w)
    out.update({
        "explanation": w.explanation, "numbers": w.numbers, "assessment": w.assessment, "resolution": w.resolution,
        "cases": services.cases_behind(w, user),
        "actions": [{"kind": a.kind, "summary": a.summary, "event": a.event.number if a.event_id else None,
                     "unit": a.unit, "due_on": a.due_on, "created_at": a.created_at}
                    for a in w.actions.select_related("event")],
        "allowed_actions": workflow.allowed_actions(w, user),
        "timeline": [{"action": x.action, "actor": x.actor_label, "from_status": x.from_status,
                      "to_status": x.to_status, "note": x.note, "data": x.data, "created_at": x.created_at}
                     for x in w.log.all()],
    })
    return out


class WarningPage(Schema):
    count: int
    results: list[WarningBrief]


@router.get("/", response={200: WarningPage, 422: Error}, auth=api_auth,
            summary="预警列表 / the warnings in your scope, open first, highest level first", url_name="warnings_list")
def list_warnings(request, level: text(8) = "", rule: text(32) = "", region: text(15) = "", status: text(16) = "",
                  q: text(50) = "", page: Query[PageParams] = None):
    """Warnings in your scope: open first, then the highest level, the latest. Filters: level
    (blue/yellow/orange/red), rule, region (a region or grid code prefix), status (a status, or `open`), q."""
    qs = services.filtered(request.auth, level=level, rule=rule, region=region, status=status, q=q)
    labels = _labels()
    rows = page.window(qs.select_related("region", "center"))
    return {"count": qs.count(), "results": [brief(w, labels) for w in rows]}


class ParamOut(Schema):
    key: str
    label: str
    kind: str
    default: float | int | bool
    value: float | int | bool
    low: float | None
    high: float | None


class RuleOut(Schema):
    key: str
    label: str
    description: str
    enabled: bool
    params: list[ParamOut]


class RuleIn(Schema):
    enabled: bool | None = None
    params: dict = Field(default_factory=dict, description="parameter → value; others keep their value")


def _admin(user) -> None:
    if not (user.is_superuser or user.role == User.Role.ADMIN):
        raise Forbidden(_("仅系统管理员可配置预警规则"), code="not_permitted")


def _rule_out(spec, configs) -> dict:
    enabled, values = effective(spec, configs)
    return {"key": spec.key, "label": str(spec.label), "description": str(spec.description), "enabled": enabled,
            "params": [{"key": p.key, "label": str(p.label), "kind": p.kind.__name__, "default": p.default,
                        "value": values[p.key], "low": p.low, "high": p.high} for p in spec.params]}


@router.get("/rules", response={200: list[RuleOut], 403: Error}, auth=api_auth,
            summary="预警规则 / every rule, on or off, with its parameters (administrators)", url_name="warnings_rules")
def list_rules(request):
    """Every rule with its parameters, defaults and the configured values (administrators)."""
    _admin(request.auth)
    configs = {c.rule: c for c in RuleConfig.objects.all()}
    return [_rule_out(s, configs) for s in warnrules.rules()]


@router.put("/rules/{key}", response={200: RuleOut, 403: Error, 404: Error, 422: Error}, auth=api_auth,
            summary="配置预警规则 / switch a rule, set its parameters (administrators)")
def configure_rule(request, key: str, payload: RuleIn):
    """Switch a rule on or off and set its parameters (each checked against its type and bounds)."""
    _admin(request.auth)
    try:
        spec = warnrules.spec(key)
    except KeyError:
        from gridgov.core.errors import NotFound

        raise NotFound(_("未知的预警规则")) from None
    cleaned, errors = clean_params(key, payload.params)
    if errors:
        raise ValidationFailed(_("规则参数有误"), {f"params.{k}": v for k, v in errors.items()})
    cfg, _created = RuleConfig.objects.get_or_create(rule=key, defaults={"enabled": spec.enabled})
    if payload.enabled is not None:
        cfg.enabled = payload.enabled
    cfg.params = {**{k: v for k, v in (cfg.params or {}).items() if k in spec.defaults()}, **cleaned}
    cfg.save()
    return _rule_out(spec, {key: cfg})


@router.get("/{number}", response={200: WarningDetail, 404: Error}, auth=api_auth,
            summary="预警详情 / a warning: explanation, figures, cases behind it, actions, log", url_name="warnings_detail")
def get_warning(request, number: str):
    return detail(services.get_visible(request.auth, number), request.auth)


class WarningActionIn(Schema):
    note: text(5000) = ""
    event: text(20) | None = Field(None, description="link_supervision: the number of an event behind the warning")
    level: text(8) | None = Field(None, description="link_supervision: yellow 黄牌 / red 红牌 (default yellow)")
    key_person: int | None = Field(None, ge=1, le=2**63 - 1, description="link_visit: a key person behind it")
    method: text(16) | None = Field(None, description="link_visit: in_person / phone / video")
    unit: text(100) | None = Field(None, description="rectify: the responsible unit")
    due_on: date | None = Field(None, description="rectify: the date it is to be done by")


@router.post("/{number}/actions/{action}",
             response={200: WarningDetail, 403: Error, 404: Error, 409: Error, 422: Error}, auth=api_auth,
             summary="预警处置 / 研判, 督办, 走访, 专项整治, 解除 or 误报")
def act(request, number: str, action: str, payload: WarningActionIn):
    """assess (note) · link_supervision (event, level, note) · link_visit (key_person, method, note) · rectify
    (unit, due_on, note) · resolve (note) · false_alarm (note). Wrong state → 409; not yours → 403; outside
    your scope → 404."""
    w = services.get_visible(request.auth, number)
    services.perform_action(request.auth, w, action, payload.dict())
    return detail(services.get_visible(request.auth, number), request.auth)

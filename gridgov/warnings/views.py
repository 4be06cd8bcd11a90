"""The warning board (list + map) and a warning's page. Thin: reads through ``services`` (scope: out of it is
the 404 page), writes through ``services.perform_action``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.models import User
from gridgov.cases import warnrules
from gridgov.core.errors import DomainError, NotFound
from gridgov.warnings import services, workflow
from gridgov.warnings.models import Status, Warning
from gridgov.web.views import not_found, roles_required, web_status

R = User.Role
PAGE_SIZE = 30
MAP_POINTS = 500
FILTERS = ("level", "rule", "region", "status", "q")
BOARD_ROLES = (R.OPERATOR, R.LEADER, R.ADMIN)
# the figures rules put in ``numbers``, by their Chinese names on the page (an unknown key is shown as it is)
NUMBER_LABELS = {
    "count": gettext_lazy("起数"), "open": gettext_lazy("未办结"), "threshold": gettext_lazy("阈值"),
    "radius_m": gettext_lazy("半径(米)"), "days": gettext_lazy("统计天数"), "category": gettext_lazy("事件类别"),
    "observed": gettext_lazy("实际"), "expected": gettext_lazy("期望"), "p_value": gettext_lazy("P 值"),
    "people": gettext_lazy("涉及人数"), "previous": gettext_lazy("上期"), "ratio": gettext_lazy("增长倍数阈值"),
    "repeats": gettext_lazy("重复次数"), "first": gettext_lazy("首次信访"), "overdue": gettext_lazy("逾期未走访人数"),
    "worst_days": gettext_lazy("最长逾期(天)"), "unsatisfied": gettext_lazy("不满意件数"),
    "factor_count": gettext_lazy("升级因素数"), "factors": gettext_lazy("升级因素"),
    "repeat_disputes": gettext_lazy("同一当事人纠纷数"), "threat_words": gettext_lazy("过激言辞"),
    "dispute_type": gettext_lazy("纠纷类型"), "cases": gettext_lazy("新涉案件数"), "dispute": gettext_lazy("纠纷"),
    "petition": gettext_lazy("信访"), "event": gettext_lazy("事件"), "risk": gettext_lazy("风险等级"),
}


def _numbers(numbers: dict) -> list[tuple[str, str]]:
    rows = []
    for k, v in sorted((numbers or {}).items()):
        if isinstance(v, list):
            v = "、".join(str(x) for x in v) or "—"
        rows.append((str(NUMBER_LABELS.get(k, k)), v))
    return rows
NOTE_LABELS = {
    "assess": gettext_lazy("研判意见"), "link_supervision": gettext_lazy("督办意见"),
    "link_visit": gettext_lazy("走访情况"), "rectify": gettext_lazy("整治内容"),
    "resolve": gettext_lazy("解除理由"), "false_alarm": gettext_lazy("误报理由"),
}


@roles_required(*BOARD_ROLES)
@require_GET
def board(request):
    user = request.user
    params = {k: (request.GET.get(k) or "").strip() for k in FILTERS}
    if "status" not in request.GET:
        params["status"] = "open"
    errors, status_code = {}, 200
    try:
        qs = services.filtered(user, **params)
    except DomainError as exc:
        errors, status_code = exc.fields, web_status(exc)
        messages.error(request, str(exc.message))
        qs = Warning.objects.none()
    page = Paginator(qs.select_related("region"), PAGE_SIZE).get_page(request.GET.get("page"))
    labels = {s.key: str(s.label) for s in warnrules.rules()}
    points = [{"n": w.number, "t": w.title, "l": w.level, "x": w.lng, "y": w.lat,
               "u": reverse("warnings:detail", args=[w.number])} for w in qs.filter(lng__isnull=False, lat__isnull=False)[:MAP_POINTS]]
    ctx = {
        "page": page, "params": params, "errors": errors, "points": points, "labels": labels,
        "level_choices": [(k, warnrules.LEVEL_LABELS[k]) for k in warnrules.LEVELS],
        "rule_choices": sorted(labels.items()),
        "status_choices": [("open", _("未解除"))] + list(Status.choices),
    }
    return render(request, "warnings/board.html", ctx, status=status_code)


def _context(request, w: Warning, *, error_action="", errors=None, error_message="", values=None) -> dict:
    user = request.user
    allowed = workflow.allowed_actions(w, user)
    labels = {s.key: str(s.label) for s in warnrules.rules()}
    return {
        "w": w, "rule_label": labels.get(w.rule, w.rule), "level_label": warnrules.LEVEL_LABELS[w.level],
        "cases": services.cases_behind(w, user),
        "linked": list(w.actions.select_related("event", "visit")),
        "timeline": list(w.log.all()),
        "actions": [{"code": a, "label": workflow.TRANSITIONS[a].label, "note_label": NOTE_LABELS.get(a, _("说明")),
                     "danger": a in ("false_alarm",)} for a in allowed],
        "events": services.events_behind(w, user) if "link_supervision" in allowed else [],
        "key_people": services.key_people_behind(w, user) if "link_visit" in allowed else [],
        "numbers": _numbers(w.numbers),
        "error_action": error_action, "errors": errors or {}, "error_message": error_message, "values": values or {},
    }


@login_required
@require_GET
def detail(request, number: str):
    try:
        w = services.get_visible(request.user, number)
    except NotFound:
        return not_found(request, _("未找到该预警，或不在您的管辖范围内"))
    return render(request, "warnings/detail.html", _context(request, w))


@login_required
@require_POST
def act(request, number: str, action: str):
    user = request.user
    try:
        w = services.get_visible(user, number)
    except NotFound:
        return not_found(request, _("未找到该预警，或不在您的管辖范围内"))
    try:
        services.perform_action(user, w, action, request.POST.dict())
    except DomainError as exc:
        w = services.get_visible(user, number)
        ctx = _context(request, w, error_action=action, errors=exc.fields, error_message=str(exc.message),
                       values=request.POST)
        return render(request, "warnings/detail.html", ctx, status=web_status(exc))
    messages.success(request, _("操作成功：%(a)s") % {"a": workflow.TRANSITIONS[action].label})
    return redirect("warnings:detail", number)

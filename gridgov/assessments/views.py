"""稳评 pages. Thin: reads through ``Assessment.objects.visible_to`` (services.get_visible / filtered), writes
through ``services.create_assessment`` / ``services.perform_action``. Outside scope → the 404 page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridgov.assessments import risk, services, tracking, workflow
from gridgov.assessments.api import report_response
from gridgov.assessments.models import (
    Aspect,
    Assessment,
    Decision,
    Kind,
    Level,
    Recommendation,
    Status,
    Survey,
)
from gridgov.core.errors import DomainError, NotFound
from gridgov.regions.models import Region
from gridgov.web.views import forbidden, not_found, web_status

PAGE_SIZE = 30
NOT_FOUND = gettext_lazy("未找到该稳评事项，或不在您的管辖范围内")


@login_required
@require_GET
def index(request):
    user = request.user
    params = {k: (request.GET.get(k) or "").strip() for k in ("status", "kind", "q")}
    errors, status_code = {}, 200
    try:
        qs = services.filtered(user, **params)
    except DomainError as exc:
        errors, status_code = exc.fields, web_status(exc)
        qs = Assessment.objects.none()
    counts = services.counts_by_status(user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "assessments/list.html", {
        "page": page, "params": params, "errors": errors, "status_choices": Status.choices,
        "kind_choices": Kind.choices, "can_create": services.can_create(user),
        "chips": [{"code": "", "label": _("全部"), "count": sum(counts.values())}]
        + [{"code": c, "label": label, "count": counts.get(c, 0)} for c, label in Status.choices if counts.get(c)],
    }, status=status_code)


def _region_choices(user) -> list[tuple[str, str]]:
    base = user.region if user.region_id else None
    qs = Region.objects.filter(code__startswith=base.code, level__lte=base.level + 2) if base else \
        Region.objects.filter(level__lte=Region.Level.TOWNSHIP)
    top = base.level if base else 1
    return [(r.code, "\u3000" * max(r.level - top, 0) + r.name) for r in qs.order_by("code")[:500]]


@login_required
def new(request):
    user = request.user
    if not services.can_create(user):
        return forbidden(request, _("只有县级以上综治中心的工作人员和领导可以发起稳评"))
    ctx = {"kind_choices": Kind.choices, "region_choices": _region_choices(user), "values": {}, "errors": {},
           "selected": []}
    if request.method != "POST":
        return render(request, "assessments/form.html", ctx)
    raw = request.POST.dict()
    raw["regions"] = request.POST.getlist("regions")
    try:
        a = services.create_assessment(user, raw)
    except DomainError as exc:
        ctx.update({"values": request.POST, "errors": exc.fields, "error_message": str(exc.message),
                    "selected": raw["regions"]})
        return render(request, "assessments/form.html", ctx, status=web_status(exc))
    messages.success(request, _("已发起稳评，编号：%(n)s") % {"n": a.number})
    return redirect("assessments:detail", a.number)


def _context(request, a: Assessment, *, error_action="", errors=None, error_message="", values=None) -> dict:
    user = request.user
    allowed = set(workflow.allowed_actions(a, user))
    # a step's finishing action is offered even while its guard refuses, so that the reason can be read
    blocked = {}
    for code in ("finish_survey", "finish_identify", "finish_argue", "decide", "file"):
        t = workflow.TRANSITIONS[code]
        if code not in allowed and a.status in t.sources and t.who(user, a) and t.guard is not None:
            blocked[code] = t.guard(a)
    risks = list(a.risks.all())
    findings = {f.aspect: f for f in a.findings.all()}
    step = workflow.STEPS.index(a.status)
    return {
        "a": a, "allowed": allowed, "blocked": blocked,
        "steps": [{"code": s.value, "label": s.label, "state": "done" if i < step else "current" if i == step
                   else "todo"} for i, s in enumerate(workflow.STEPS)],
        "regions": list(a.affected_regions.order_by("code")),
        "surveys": list(a.surveys.all()), "risks": risks,
        "findings": [{"code": c, "label": label, "f": findings.get(c)} for c, label in Aspect.choices],
        "suggested_level": dict(Level.choices).get(risk.highest([r.grade for r in risks])),
        "matrix": risk.rows_for_display(), "level_labels": dict(Level.choices),
        "tracking": tracking.measure([a]).get(a.pk),
        "timeline": services.timeline(a), "labels": {k: t.label for k, t in workflow.TRANSITIONS.items()},
        "status_labels": dict(Status.choices),
        "method_choices": Survey.Method.choices, "aspect_choices": Aspect.choices, "level_choices": Level.choices,
        "recommendation_choices": Recommendation.choices, "decision_choices": Decision.choices,
        "error_action": error_action, "errors": errors or {}, "error_message": error_message,
        "values": values or {},
    }


@login_required
@require_GET
def detail(request, number: str):
    try:
        a = services.get_visible(request.user, number)
    except NotFound:
        return not_found(request, str(NOT_FOUND))
    return render(request, "assessments/detail.html", _context(request, a))


@login_required
@require_POST
def act(request, number: str, action: str):
    user = request.user
    try:
        a = services.get_visible(user, number)
    except NotFound:
        return not_found(request, str(NOT_FOUND))
    try:
        services.perform_action(user, a, action, request.POST.dict())
    except DomainError as exc:
        a = services.get_visible(user, number)
        ctx = _context(request, a, error_action=action, errors=exc.fields, error_message=str(exc.message),
                       values=request.POST)
        return render(request, "assessments/detail.html", ctx, status=web_status(exc))
    messages.success(request, _("操作成功：%(a)s") % {"a": workflow.TRANSITIONS[action].label})
    return redirect("assessments:detail", number)


@login_required
@require_GET
def report(request, number: str):
    try:
        a = services.get_visible(request.user, number)
        return report_response(a)
    except NotFound:
        return not_found(request, _("未找到该评估报告，或不在您的管辖范围内"))

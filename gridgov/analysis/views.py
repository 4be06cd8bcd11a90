"""The pages of 一分析三报告 under /analysis/: the archive, the analysis of a region and period with its three
reports, a report's page (edit while a draft, send, download). Operators, leaders and administrators only, in
their statistics scope (gridgov.stats.queries.root_of); outside it the 404 page. Leaders read; operators and
administrators draft, edit and send (gridgov.analysis.reports.may_write)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.models import User
from gridgov.analysis import reports
from gridgov.analysis.analysis import analyse, pct_text
from gridgov.analysis.models import AnalysisReport
from gridgov.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gridgov.regions.models import Region
from gridgov.stats import queries
from gridgov.web.views import forbidden, not_found, paginate, roles_required

R = User.Role
STAFF = (R.OPERATOR, R.LEADER, R.ADMIN)


def _center_choices(root: Region) -> list[tuple[str, str]]:
    rows = (Region.objects.filter(code__startswith=root.code, level__in=reports.CENTER_LEVELS)
            .order_by("code").values_list("code", "name", "level"))
    return [(code, "　" * (level - root.level) + name) for code, name, level in rows]


def _period_query(p) -> str:
    return urlencode({"period": p.kind, "value": p.param})


@require_GET
@roles_required(*STAFF)
def report_list(request):
    root = queries.root_of(request.user)
    if root is None:
        return not_found(request)
    if request.GET.get("open") and request.GET.get("code"):  # the "查看分析" form
        query = urlencode({"period": "month", "value": (request.GET.get("value") or "").strip()})
        code = "".join(c for c in request.GET["code"] if c.isascii() and c.isdigit())[:20] or root.code
        return redirect(reverse("analysis:region", args=[code]) + f"?{query}")
    params = {k: (request.GET.get(k) or "").strip() for k in ("region", "kind", "status", "value")}
    errors = {}
    try:
        qs = _filtered(request.user, params)
    except ValidationFailed as exc:
        errors, qs = exc.fields, reports.visible_reports(request.user)
    except NotFound:
        return not_found(request)
    page = paginate(request, qs)
    return render(request, "analysis/list.html", {
        "page": page, "params": params, "errors": errors, "region_choices": _center_choices(root), "root": root,
        "kind_choices": AnalysisReport.Kind.choices, "status_choices": AnalysisReport.Status.choices,
        "default_month": reports.last_complete_month().param}, status=400 if errors else 200)


def _filtered(user, params):
    from gridgov.analysis.api import filtered

    qs = filtered(user, "", params["kind"], params["status"], params["value"])
    if params["region"]:
        qs = qs.filter(region__code=params["region"])
    return qs


def _rows(a: dict) -> dict:
    """The analysis's trend rows with their % texts, for the template."""
    def row(name, t, **extra):
        return {"name": name, "now": t["now"], "prev": t["prev"]["base"], "prev_pct": pct_text(t["prev"]["pct"]),
                "yoy": t["yoy"]["base"], "yoy_pct": pct_text(t["yoy"]["pct"]), **extra}

    e, d, p = a["events"], a["disputes"], a["petitions"]
    return {
        "main": [row(_("事件受理数"), e["reported"]), row(_("事件结案数"), e["closed"]),
                 row(_("矛盾纠纷登记数"), d["reported"]), row(_("信访受理数"), p["received"])],
        "categories": [row(r["name"], r) for r in e["by_category"]],
        "places": [row(r["name"], r, overdue=r["overdue_now"], code=r["code"]) for r in e["by_place"]],
        "types": [row(r["name"], r) for r in d["by_type"]],
    }


@require_GET
@roles_required(*STAFF)
def analysis_page(request, code: str):
    try:
        region = reports.center_region(request.user, code)
    except NotFound:
        return not_found(request)
    except ValidationFailed as exc:
        return not_found(request, str(exc.message))
    try:
        p = reports.resolve_period(request.GET.get("period") or "month",
                                   request.GET.get("value") or reports.last_complete_month().param)
    except ValidationFailed as exc:
        messages.error(request, "；".join(m for ms in exc.fields.values() for m in ms))
        p = reports.last_complete_month()
    a = analyse(region.code, p)
    have = {r.kind: r for r in AnalysisReport.objects.filter(region=region, period_kind=p.kind, period_start=p.start)}
    return render(request, "analysis/analysis.html", {
        "a": a, "region": region, "p": p, "rows": _rows(a), "may_write": reports.may_write(request.user),
        "reports": [(kind, label, have.get(kind)) for kind, label in AnalysisReport.Kind.choices],
        "previous": f"?{_period_query(p.previous())}",
        "period_choices": (("month", _("月")), ("week", _("周（填该周任一天）")), ("year", _("年")), ("day", _("日"))),
        "levels": [(lv, label, (a["warnings"] or {}).get("by_level", {}).get(lv, 0)) for lv, label in
                   (("blue", _("蓝色")), ("yellow", _("黄色")), ("orange", _("橙色")), ("red", _("红色")))]})


@require_POST
@roles_required(*STAFF)
def draft(request):
    form = {k: (request.POST.get(k) or "").strip() for k in ("region", "period", "value")}
    try:
        rows = reports.draft_for(request.user, form["region"], form["period"] or "month", form["value"])
    except NotFound:
        return not_found(request)
    except Forbidden as exc:
        return forbidden(request, str(exc.message))
    except ValidationFailed as exc:
        messages.error(request, "；".join(m for ms in exc.fields.values() for m in ms) or str(exc.message))
        return redirect("analysis:list")
    messages.success(request, _("已生成报告草稿（已报送的报告保持不变）"))
    p = reports.resolve_period(form["period"] or "month", form["value"])
    return redirect(reverse("analysis:region", args=[rows[0].region.code]) + f"?{_period_query(p)}")


def _report_or_404(request, pk):
    return reports.get_visible(request.user, pk)


@require_GET
@roles_required(*STAFF)
def report_page(request, pk: int):
    try:
        r = _report_or_404(request, pk)
    except NotFound:
        return not_found(request)
    return _render_report(request, r)


def _render_report(request, r: AnalysisReport, errors: dict | None = None, status: int = 200, posted=None):
    if posted:  # what the editor typed stays in the form when it is refused
        r.sections = [{**s, "text": posted.get(s["key"], s["text"])} for s in r.sections]
    errors = errors or {}
    sections = [{**s, "errors": errors.get(f"sections.{s['key']}", [])} for s in r.sections]
    return render(request, "analysis/report.html", {
        "r": r, "sections": sections, "may_edit": r.is_draft and reports.may_write(request.user), "errors": errors,
        "may_send": r.is_draft and reports.may_write(request.user),
        "log": r.log.select_related("actor").all(),
        "back": reverse("analysis:region", args=[r.region.code]) + "?" + urlencode(
            {"period": r.period_kind, "value": queries.Period(r.period_kind, r.period_start, r.period_end).param})},
        status=status)


@require_POST
@roles_required(*STAFF)
def report_edit(request, pk: int):
    try:
        r = _report_or_404(request, pk)
        sections = {s["key"]: request.POST.get(f"section_{s['key']}") for s in r.sections
                    if request.POST.get(f"section_{s['key']}") is not None}
        reports.edit(request.user, r, sections, request.POST.get("recipients"))
    except NotFound:
        return not_found(request)
    except Forbidden as exc:
        return forbidden(request, str(exc.message))
    except Conflict as exc:
        messages.error(request, str(exc.message))
        return redirect("analysis:report", pk=pk)
    except ValidationFailed as exc:
        messages.error(request, str(exc.message))
        return _render_report(request, r, errors=exc.fields, status=400, posted=sections)
    messages.success(request, _("已保存，Word文件已更新"))
    return redirect("analysis:report", pk=pk)


@require_POST
@roles_required(*STAFF)
def report_send(request, pk: int):
    try:
        r = reports.send(request.user, _report_or_404(request, pk))
    except NotFound:
        return not_found(request)
    except Forbidden as exc:
        return forbidden(request, str(exc.message))
    except Conflict as exc:
        messages.error(request, str(exc.message))
        return redirect("analysis:report", pk=pk)
    messages.success(request, _("已报送并归档：%(title)s") % {"title": r.title})
    return redirect("analysis:report", pk=pk)


@require_GET
@roles_required(*STAFF)
def report_docx(request, pk: int):
    try:
        return reports.file_response(_report_or_404(request, pk))
    except NotFound:
        return not_found(request)

"""The reports (通报) pages under /reports/: the archive in the viewer's scope with its downloads, and a form
to generate one now. Operators, leaders and administrators only (their statistics scope,
gridgov.stats.queries.root_of); a report or region outside the scope is the 404 page. The files are only
served here (and by the API), after the scope check — never from MEDIA_URL."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.models import User
from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.regions.models import Region
from gridgov.stats import queries, reports
from gridgov.stats.models import Report
from gridgov.web.views import not_found, paginate, roles_required

R = User.Role
STAFF = (R.OPERATOR, R.LEADER, R.ADMIN)


def _center_choices(root: Region) -> list[tuple[str, str]]:
    """The regions with a center in the scope, indented by level under the root."""
    rows = (Region.objects.filter(code__startswith=root.code, level__in=reports.CENTER_LEVELS)
            .order_by("code").values_list("code", "name", "level"))
    return [(code, "　" * (level - root.level) + name) for code, name, level in rows]


def _page(request, root: Region, form: dict, errors: dict, status: int = 200):
    params = {k: (request.GET.get(k) or "").strip() for k in ("region", "kind")}
    qs = reports.visible_reports(request.user)
    if params["kind"] in Report.Kind.values:
        qs = qs.filter(kind=params["kind"])
    if params["region"]:
        qs = qs.filter(region__code=params["region"])
    page = paginate(request, qs)
    rows = [(r, reports.is_complete(r)) for r in page.object_list]
    ctx = {"page": page, "rows": rows, "params": params, "form": form, "errors": errors,
           "region_choices": _center_choices(root), "kind_choices": Report.Kind.choices,
           "default_values": {k: reports.last_complete(k).param if k == Report.Kind.MONTHLY
                              else reports.last_complete(k).start.isoformat() for k in Report.Kind.values}}
    return render(request, "reports/list.html", ctx, status=status)


@require_GET
@roles_required(*STAFF)
def report_list(request):
    root = queries.root_of(request.user)
    if root is None:
        return not_found(request)
    return _page(request, root, {"region": root.code, "kind": Report.Kind.MONTHLY, "value": ""}, {})


@require_POST
@roles_required(*STAFF)
def report_generate(request):
    root = queries.root_of(request.user)
    if root is None:
        return not_found(request)
    form = {k: (request.POST.get(k) or "").strip() for k in ("region", "kind", "value")}
    try:
        report = reports.generate_for(request.user, form["region"], form["kind"], form["value"])
    except NotFound:
        return not_found(request, _("区划不存在或不在您的管辖范围内"))
    except ValidationFailed as exc:
        messages.error(request, str(exc.message))
        return _page(request, root, form, exc.fields, status=400)
    messages.success(request, _("已生成：%(title)s") % {"title": report.title})
    return redirect("reports:list")


@require_GET
@roles_required(*STAFF)
def report_file(request, pk: int, fmt: str):
    try:
        return reports.file_response(reports.get_visible(request.user, pk), fmt)
    except NotFound:
        return not_found(request)

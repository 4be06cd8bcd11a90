"""Excel from the pages: the import page (a report of the rejected rows to download), the templates, and the
lists' export — masked, or full with a reason and the permission (logged)."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from gridgov.core.errors import DomainError
from gridgov.registry import scope
from gridgov.registry.forms import IMPORT_KINDS, ExportForm, ImportForm
from gridgov.registry.models import KeyPerson
from gridgov.registry.services.visits import visit_statuses
from gridgov.registry.views.common import excel_available, registry_reader, registry_writer
from gridgov.registry.views.houses import HOUSE_FILTERS, filtered_houses
from gridgov.registry.views.key_people import KP_FILTERS, filtered_key_persons
from gridgov.registry.views.residents import RESIDENT_FILTERS, filtered_residents
from gridgov.registry.views.units import UNIT_FILTERS, filtered_units
from gridgov.web.views import forbidden, not_found, web_status

KIND_LABELS = dict(IMPORT_KINDS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


def _excel_missing(request):
    return render(request, "web/forbidden.html", {"message": _("Excel 导入导出模块尚未安装，请联系管理员")}, status=503)


def _rejected_rows(report) -> list[dict]:
    """(row, column, reason) of the rejected rows, from ``report.rejected_rows`` (or a list in ``rejected``)."""
    items = getattr(report, "rejected_rows", None)
    if items is None:
        items = getattr(report, "rejected", None) or []
    out = []
    for item in items if isinstance(items, (list, tuple)) else []:
        get = item.get if isinstance(item, dict) else (lambda k, _i=item: getattr(_i, k, ""))
        out.append({"row": get("row"), "column": get("column") or "", "reason": get("reason") or ""})
    return out


def _report_counts(report) -> dict:
    counts = dict(getattr(report, "counts", None) or {})
    for key in ("created", "updated", "unchanged", "submitted", "rejected"):
        value = getattr(report, key, None)
        if isinstance(value, int):
            counts.setdefault(key, value)
    return counts


@registry_writer
def import_page(request):
    user = request.user
    ctx = {"kinds": IMPORT_KINDS, "available": excel_available()}
    if request.method != "POST":
        return render(request, "registry/import.html", {**ctx, "form": ImportForm()})
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "registry/import.html", {**ctx, "form": form}, status=400)
    try:
        from gridgov.registry.excel.importer import import_rows
        from gridgov.registry.excel.report import report_workbook
    except ImportError:
        return _excel_missing(request)
    kind = form.cleaned_data["kind"]
    if kind == "key_persons" and not scope.may_see_key_person_details(user):
        return forbidden(request)
    upload = form.cleaned_data["file"]
    try:
        report = import_rows(user, kind, upload, upload.name)
    except DomainError as exc:
        form.apply_domain_error(exc)
        return render(request, "registry/import.html", {**ctx, "form": form}, status=web_status(exc))
    report_data = report_workbook(report)
    counts = _report_counts(report)
    return render(request, "registry/import.html", {
        **ctx, "form": ImportForm(initial={"kind": kind}), "report": report, "kind_label": KIND_LABELS.get(kind),
        "counts": ([(_("已提交登记（新登记或待原辖区确认迁入）"), counts.get("submitted", 0))] if kind == "residents"
                   else [(_("新增"), counts.get("created", 0))])
        + [(_("更新"), counts.get("updated", 0)), (_("未变化"), counts.get("unchanged", 0)),
           (_("拒绝"), counts.get("rejected", 0))],
        "rejected": _rejected_rows(report),
        "report_href": f"data:{XLSX};base64,{base64.b64encode(report_data).decode()}",
        "report_name": _("导入结果-%(k)s-%(f)s.xlsx") % {"k": KIND_LABELS.get(kind), "f": upload.name.rsplit(".", 1)[0]},
    })


@registry_writer
@require_GET
def import_template(request, kind: str):
    if kind not in KIND_LABELS:
        return not_found(request)
    try:
        from gridgov.registry.excel.template import template_workbook
    except ImportError:
        return _excel_missing(request)
    return _xlsx_response(template_workbook(kind), _("%(k)s导入模板.xlsx") % {"k": KIND_LABELS[kind]})


EXPORT_QUERIES = {
    "residents": (RESIDENT_FILTERS, filtered_residents),
    "houses": (HOUSE_FILTERS, filtered_houses),
    "units": (UNIT_FILTERS, filtered_units),
    "key_persons": (KP_FILTERS, None),
}


@registry_reader
@never_cache
def export(request, kind: str):
    """The list as .xlsx with the list's filters: masked (GET), or full with a reason (POST, permission)."""
    user = request.user
    if kind not in EXPORT_QUERIES:
        return not_found(request)
    if kind == "key_persons" and not scope.may_see_key_person_details(user):
        return forbidden(request)
    full, reason = False, ""
    if request.method == "POST":
        if not scope.may_export_full(user):
            return forbidden(request, _("您没有导出完整个人信息的权限"))
        form = ExportForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("完整导出须填写导出事由"))
            return redirect(_list_url(kind, request.POST))
        full, reason = True, form.cleaned_data["reason"]
        source = request.POST
    else:
        source = request.GET
    names, query = EXPORT_QUERIES[kind]
    params = {k: (source.get(k) or "").strip() for k in names}
    if kind == "key_persons":
        qs = filtered_key_persons(user, params)
        if params.get("state") in ("ok", "due_soon", "overdue"):
            pks = [kp.pk for kp, st in visit_statuses(qs) if st.state == params["state"]]
            qs = KeyPerson.objects.filter(pk__in=pks)
    else:
        qs = query(user, params)
    try:
        from gridgov.registry.excel.export import export_workbook
    except ImportError:
        return _excel_missing(request)
    try:
        data = export_workbook(user, kind, qs, full=full, reason=reason)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect(_list_url(kind, source))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    suffix = _("完整") if full else _("脱敏")
    return _xlsx_response(data, f"{KIND_LABELS[kind]}-{suffix}-{stamp}.xlsx")


def _list_url(kind: str, source) -> str:
    names = {"residents": "resident_list", "houses": "house_list", "units": "unit_list", "key_persons": "kp_list"}
    url = reverse(f"registry:{names[kind]}")
    keep = {k: v for k, v in source.items() if k in EXPORT_QUERIES[kind][0] and v}
    if keep:
        from urllib.parse import urlencode

        url += "?" + urlencode(keep)
    return url

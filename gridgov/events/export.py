"""The event worklist as an Excel workbook (导出Excel): exactly the filtered list the worklist shows.

The same query as the page (``services.filtered_events`` with the worklist's filters, read from
``views.WORKLIST_FILTERS`` when the request comes, so a filter added to the worklist is exported too), in the
same order, scope included. At most ``EXPORT_LIMIT`` rows: a longer list is not cut short — the worklist says
how many rows it has and asks to narrow the filters. The workbook is written row by row (openpyxl's
write-only mode, to a temporary file) and streamed from that file.
"""

from __future__ import annotations

import tempfile
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET

from gridgov.core.crypto import mask_phone
from gridgov.core.errors import DomainError
from gridgov.events import services, sla
from gridgov.events.models import Rating

EXPORT_LIMIT = 50_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (header, width): one column a field
COLUMNS = (
    (_l("事件编号"), 20), (_l("标题"), 20), (_l("事件描述"), 40), (_l("分类"), 24), (_l("来源"), 12), (_l("所属区划"), 16),
    (_l("网格"), 20), (_l("状态"), 10), (_l("紧急程度"), 10), (_l("上报时间"), 17), (_l("当前环节时限"), 17),
    (_l("时限状态"), 10), (_l("办结时限"), 17), (_l("结案时间"), 17), (_l("按期结案"), 10), (_l("主办部门"), 16),
    (_l("地址"), 30), (_l("上报人"), 12), (_l("上报人电话"), 14), (_l("评价"), 10),
)
DATE_FORMAT = "yyyy-mm-dd hh:mm"


def worklist_params(request) -> dict[str, str]:
    """The worklist's filters as the request carries them (the names the worklist declares now)."""
    from gridgov.events import views

    return {k: (request.GET.get(k) or "").strip() for k in views.WORKLIST_FILTERS}


def _text(value) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", str(value or ""))


def _local(moment: datetime | None):
    """A naive local datetime for Excel (it knows no time zones), or None."""
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def _row(e, now) -> list:
    cat = e.category
    state = sla.sla_state(e, now)
    on_time = {True: _("是"), False: _("否")}.get(e.closed_on_time, "")
    ratings = dict(Rating.choices)
    return [
        e.number, e.title, e.description,
        f"{cat.parent.name} / {cat.name}" if cat.parent_id else cat.name,
        e.get_source_display(), e.region.name, e.grid.name if e.grid_id else "", e.get_status_display(),
        e.get_urgency_display(), _local(e.created_at), _local(e.deadline), str(sla.LABELS[state]) if state else "",
        _local(e.due_at), _local(e.closed_at), on_time, e.lead_department.name if e.lead_department_id else "",
        e.address, e.reporter.display_name if e.reporter_id else e.reporter_name,
        mask_phone(e.reporter_phone) if e.reporter_phone_enc else "",  # never the number itself
        ratings.get(e.rating or e.followup_rating, ""),
    ]


def write_xlsx(qs, out, now: datetime | None = None) -> int:
    """Write the events of ``qs`` (in its order) as a workbook to the binary file ``out``; the row count."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    now = now or timezone.now()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("事件清单"))
    for i, (_label, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    header = []
    for label, _w in COLUMNS:
        cell = WriteOnlyCell(ws, value=str(label))
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    n = 0
    rows = qs.select_related("category", "category__parent", "region", "grid", "lead_department", "reporter")
    for e in rows.iterator(chunk_size=2000):
        cells = []
        for value in _row(e, now):
            if isinstance(value, datetime):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = DATE_FORMAT
            else:
                cell = WriteOnlyCell(ws, value=_text(value))
                cell.data_type = "s"  # text stays text: "=…" is never a formula
            cells.append(cell)
        ws.append(cells)
        n += 1
    wb.save(out)
    return n


@require_GET
@login_required
def export_worklist(request):
    """导出Excel: the worklist's filtered events (same filters, same scope) as an .xlsx download."""
    params = worklist_params(request)
    back = reverse("events:list") + (f"?{request.GET.urlencode()}" if request.GET else "")
    try:
        qs = services.filtered_events(request.user, **params)
    except DomainError:
        from gridgov.events import views

        return views.worklist(request)  # the worklist with the filters' errors (a 400)
    total = qs.count()
    if total > EXPORT_LIMIT:
        messages.error(request, _("当前筛选结果共 %(n)s 件，超过导出上限 %(max)s 件，请缩小筛选范围后再导出") % {
            "n": f"{total:,}", "max": f"{EXPORT_LIMIT:,}"})
        return redirect(back)
    out = tempfile.TemporaryFile()
    write_xlsx(qs, out)
    out.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    resp = FileResponse(out, as_attachment=True, filename=f"事件清单-{stamp}.xlsx", content_type=XLSX)
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "private, no-store"
    return resp

"""人口迁移申请 pages for the side that keeps the records: the list (pending first) with confirm and refuse.

Thin: ``registry.transfers`` decides.  Operators and administrators decide; grid workers of the keeping
grid read the list; leaders and liaisons get 403; a request outside the user's side is the 404 page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridgov.core.errors import DomainError
from gridgov.registry import transfers
from gridgov.registry.models import TransferRequest
from gridgov.registry.views.common import registry_writer
from gridgov.web.views import not_found, web_status

STATUS_FILTERS = [("pending", gettext_lazy("待确认")), ("decided", gettext_lazy("已处理"))]


def _rows(user, status: str):
    qs = transfers.visible(user).select_related("resident", "from_region", "to_region", "house__address",
                                                "requested_by__region", "decided_by__region")
    if status == "decided":
        return qs.exclude(status=TransferRequest.Status.PENDING).order_by("-decided_at", "-id")
    return qs.filter(status=TransferRequest.Status.PENDING).order_by("requested_at", "id")


def _render(request, status: str = "pending", code: int = 200, form_errors: dict | None = None):
    user = request.user
    page = Paginator(_rows(user, status), 30).get_page(request.GET.get("page"))
    rows = [{"t": t, "submitted": transfers.submitted_values(t), "requester": transfers.who(t.requested_by),
             "decider": transfers.who(t.decided_by) if t.decided_by_id else "",
             "errors": (form_errors or {}).get(t.pk, [])} for t in page.object_list]
    return render(request, "registry/transfer_list.html", {
        "page": page, "rows": rows, "status": status, "status_filters": STATUS_FILTERS,
        "may_decide": transfers.may_decide(user),
    }, status=code)


@registry_writer
def transfer_list(request):
    status = request.GET.get("status") or "pending"
    return _render(request, status if status in dict(STATUS_FILTERS) else "pending")


@registry_writer
@require_POST
def transfer_decide(request, pk: int, action: str):
    user = request.user
    if not transfers.visible(user).filter(pk=pk).exists():
        return not_found(request, _("未找到该迁移申请，或不在您的管辖范围内"))
    try:
        if action == "confirm":
            t = transfers.confirm(user, pk)
            messages.success(request, _("已确认迁入：%(n)s") % {"n": t.resident.name})
        else:
            t = transfers.refuse(user, pk, request.POST.get("reason") or "")
            messages.info(request, _("已不予确认：%(n)s") % {"n": t.resident.name})
    except DomainError as exc:
        errors = [str(m) for ms in (exc.fields or {}).values() for m in ms] or [str(exc.message)]
        return _render(request, "pending", web_status(exc), {pk: errors})
    return redirect("registry:transfer_list")

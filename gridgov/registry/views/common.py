"""What every registry page shares: who may read and write (the access decorators), the record lookup in the
user's scope, pagination, list filters, the address form's map layer and the export button's context."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from gridgov.accounts.models import User
from gridgov.registry import scope
from gridgov.registry.forms import ExportForm
from gridgov.registry.scope import scoped
from gridgov.registry.services.access import can_write
from gridgov.web.views import forbidden

PAGE_SIZE = 30
# the answer to every registration that is not an update of one of the user's own records
SUBMITTED = _lazy("已提交登记。如该人员已在其他辖区登记，须经原登记辖区确认后迁入本辖区；否则已登记在本辖区。")
R = User.Role
READERS = (R.ADMIN, R.OPERATOR, R.LEADER, R.GRID_WORKER)


def role_of(user) -> str:
    return R.ADMIN if user.is_superuser else user.role


def registry_reader(view):
    """Signed in and not a liaison (liaisons work on dispatched events, not on the population register)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if role_of(request.user) not in READERS:
            return forbidden(request, _("基础数据仅对综治中心、网格员和领导开放"))
        return view(request, *args, **kwargs)

    return wrapped


def registry_writer(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if role_of(request.user) not in READERS:
            return forbidden(request, _("基础数据仅对综治中心、网格员和领导开放"))
        if not can_write(request.user):
            return forbidden(request, _("您无权维护基础数据"))
        return view(request, *args, **kwargs)

    return wrapped


def key_person_user(view):
    """Key-person details are for grid workers, center operators and administrators only."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not scope.may_see_key_person_details(request.user):
            return forbidden(request, _("重点人员详细信息仅对网格员和综治中心开放"))
        return view(request, *args, **kwargs)

    return wrapped


def visible_one(model, user, pk):
    return scoped(model, user).filter(pk=pk).first()


def paginate(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def query_params(request, names) -> dict:
    return {k: (request.GET.get(k) or "").strip() for k in names}


def excel_available() -> bool:
    try:
        from gridgov.registry.excel import template  # noqa: F401  (openpyxl)
    except ImportError:
        return False
    return True


def _grids_url(user) -> str:
    try:
        url = reverse("api:grid_layer")
    except NoReverseMatch:
        return ""
    return url + (f"?region={user.region.code}" if user.region_id else "")


def form_ctx(request, form, **extra) -> dict:
    return {"form": form, "grids_url": _grids_url(request.user), **extra}


def export_ctx(user, kind: str) -> dict:
    if kind == "key_persons" and not scope.may_see_key_person_details(user):
        return {"export_kind": ""}
    return {"export_kind": kind if excel_available() else "", "export_full": scope.may_export_full(user),
            "export_form": ExportForm()}

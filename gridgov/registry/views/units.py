"""Units (实有单位): the list, registering and editing a unit, its page."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError, ValidationFailed
from gridgov.registry import identity
from gridgov.registry.forms import LinkEventForm, UnitForm
from gridgov.registry.models import Unit
from gridgov.registry.scope import scoped
from gridgov.registry.services.access import can_write
from gridgov.registry.services.addresses import get_or_create_address
from gridgov.registry.services.history import history
from gridgov.registry.services.links import events_table_template, linked_events
from gridgov.registry.services.units import save_unit
from gridgov.registry.views.common import (
    export_ctx,
    form_ctx,
    paginate,
    query_params,
    registry_reader,
    registry_writer,
    visible_one,
)
from gridgov.registry.views.history import history_rows
from gridgov.web.views import not_found, web_status

UNIT_FILTERS = ("q", "kind", "flag", "community")


def filtered_units(user, params: dict):
    qs = scoped(Unit, user).select_related("address", "address__region", "address__grid")
    q = params.get("q") or ""
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc=q.upper()))
    if params.get("kind") in Unit.Kind.values:
        qs = qs.filter(kind=params["kind"])
    if params.get("flag") == "any":
        qs = qs.exclude(key_flags=[])
    elif params.get("flag") in Unit.KEY_FLAGS:
        qs = qs.filter(key_flags__icontains=f'"{params["flag"]}"')
    if params.get("community"):
        qs = qs.filter(address__region__code__startswith=params["community"])
    return qs.order_by("name", "id")


@registry_reader
def unit_list(request):
    user = request.user
    params = query_params(request, UNIT_FILTERS)
    ctx = {
        "page": paginate(request, filtered_units(user, params)),
        "params": params,
        "kind_choices": Unit.Kind.choices,
        "flag_choices": list(Unit.KEY_FLAGS.items()),
        "can_write": can_write(user),
        **export_ctx(user, "units"),
    }
    return render(request, "registry/unit_list.html", ctx)


def _save_unit(request, form: UnitForm, unit: Unit | None):
    user = request.user
    try:
        code = identity.check_uscc(form.cleaned_data.get("uscc") or "") if form.cleaned_data.get("uscc") else ""
    except ValueError:
        code = ""  # save_unit says what is wrong with it
    if code:
        other = Unit.objects.filter(uscc=code).exclude(pk=unit.pk if unit else None).first()
        if other is not None:
            # save_unit would take over that record (another township's, perhaps): refuse here
            raise ValidationFailed(_("该统一社会信用代码已登记"), {"uscc": [_("该统一社会信用代码已登记")]})
    with transaction.atomic():
        address, _c = get_or_create_address(user, form.address_input())
        saved, created = save_unit(user, form.unit_input(address), unit=unit)
    return saved, created


@registry_writer
def unit_new(request):
    return _unit_form(request, None)


@registry_writer
def unit_edit(request, pk: int):
    unit = visible_one(Unit, request.user, pk)
    if unit is None:
        return not_found(request, _("未找到该单位，或该单位不在您的管辖范围内"))
    return _unit_form(request, unit)


def _unit_form(request, unit: Unit | None):
    user = request.user
    extra = {"unit": unit}
    if request.method != "POST":
        return render(request, "registry/unit_form.html", form_ctx(request, UnitForm(user=user, unit=unit), **extra))
    form = UnitForm(request.POST, user=user, unit=unit)
    if not form.is_valid():
        return render(request, "registry/unit_form.html", form_ctx(request, form, **extra), status=400)
    try:
        saved, created = _save_unit(request, form, unit)
    except DomainError as exc:
        form.apply_domain_error(exc)
        return render(request, "registry/unit_form.html", form_ctx(request, form, **extra), status=web_status(exc))
    messages.success(request, (_("单位已登记：%(n)s") if created else _("单位信息已保存：%(n)s")) % {"n": saved.name})
    return redirect("registry:unit_detail", saved.pk)


def unit_context(request, unit: Unit, **extra) -> dict:
    user = request.user
    return {
        "unit": unit,
        "flags": [Unit.KEY_FLAGS.get(f, f) for f in unit.key_flags],
        "history": history_rows(history(unit)),
        "events": linked_events(user, unit), "events_table": events_table_template(),
        "link_form": extra.pop("link_form", None) or LinkEventForm(),
        "can_write": can_write(user),
        **extra,
    }


@registry_reader
def unit_detail(request, pk: int):
    unit = scoped(Unit, request.user).select_related("address", "address__region", "address__grid").filter(
        pk=pk).first()
    if unit is None:
        return not_found(request, _("未找到该单位，或该单位不在您的管辖范围内"))
    return render(request, "registry/unit_detail.html", unit_context(request, unit))

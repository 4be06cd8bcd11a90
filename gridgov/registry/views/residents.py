"""Residents (实有人口): the list, registering a person in a house, their page (residences, linked events, disputes
and petitions, key-person listings, history), the logged reveal of the full identity number and phone, and
moving house."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gridgov.core.errors import DomainError
from gridgov.core.text import as_pk
from gridgov.registry import scope
from gridgov.registry.forms import LinkEventForm, MoveForm, ResidentForm, RevealForm
from gridgov.registry.models import House, KeyPerson, Resident, TransferRequest
from gridgov.registry.scope import scoped
from gridgov.registry.services.access import can_write
from gridgov.registry.services.history import history
from gridgov.registry.services.links import events_table_template, linked_cases, linked_events
from gridgov.registry.services.privacy import masked, reveal
from gridgov.registry.services.residents import move_resident, register_resident
from gridgov.registry.services.visits import visit_statuses
from gridgov.registry.views.common import (
    SUBMITTED,
    export_ctx,
    paginate,
    query_params,
    registry_reader,
    registry_writer,
    visible_one,
)
from gridgov.registry.views.history import history_rows
from gridgov.web.views import forbidden, not_found, web_status

RESIDENT_FILTERS = ("q", "household", "community", "current")


def filtered_residents(user, params: dict):
    qs = scoped(Resident, user).select_related("house__address", "region", "grid")
    q = params.get("q") or ""
    if q:
        qs = qs.filter(name__icontains=q)
    if params.get("household") in Resident.Household.values:
        qs = qs.filter(household=params["household"])
    if params.get("community"):
        qs = qs.filter(region__code__startswith=params["community"])
    if params.get("current") != "all":
        qs = qs.filter(house__isnull=False)
    return qs.order_by("name", "id")


@registry_reader
def resident_list(request):
    user = request.user
    params = query_params(request, RESIDENT_FILTERS)
    ctx = {
        "page": paginate(request, filtered_residents(user, params)),
        "params": params,
        "household_choices": Resident.Household.choices,
        "can_write": can_write(user),
        **export_ctx(user, "residents"),
    }
    return render(request, "registry/resident_list.html", ctx)


@registry_writer
def resident_new(request):
    user = request.user
    house = None
    pre = request.GET.get("house") or request.POST.get("house")
    if as_pk(pre):
        house = visible_one(House, user, as_pk(pre))
    back_to_house = (request.GET.get("return") or request.POST.get("return")) == "house"
    ctx = {"house": house, "back_to_house": back_to_house}
    if request.method != "POST":
        return render(request, "registry/resident_form.html", {**ctx, "form": ResidentForm(user=user, house=house)})
    form = ResidentForm(request.POST, user=user, house=house)
    if not form.is_valid():
        return render(request, "registry/resident_form.html", {**ctx, "form": form}, status=400)
    if house is None:
        form.add_error("house", _("请选择现居房屋"))
        return render(request, "registry/resident_form.html", {**ctx, "form": form}, status=400)
    try:
        reg = register_resident(user, form.resident_input(house))
    except DomainError as exc:
        form.apply_domain_error(exc)
        return render(request, "registry/resident_form.html", {**ctx, "form": form}, status=web_status(exc))
    if reg.submitted:
        # a new person and one kept outside the user's scope get the same answer and the same page: the house,
        # which lists whoever lives there in the user's register (see docs/architecture.md, 人口迁移)
        messages.success(request, SUBMITTED)
        return redirect("registry:house_detail", house.pk)
    messages.info(request, _("该证件已登记过，已更新%(n)s的信息") % {"n": reg.resident.name})
    if back_to_house:
        return redirect("registry:house_detail", house.pk)
    return redirect("registry:resident_detail", reg.resident.pk)


def resident_context(request, resident: Resident, **extra) -> dict:
    user = request.user
    kp_rows = []
    if scope.may_see_key_person_details(user):
        kp_rows = visit_statuses(scoped(KeyPerson, user).filter(resident=resident))
    return {
        "resident": resident,
        "masked": masked(resident),
        "revealed": extra.pop("revealed", None),
        "can_reveal": scope.may_view_full(user),
        "reveal_form": extra.pop("reveal_form", None) or RevealForm(),
        "residences": list(resident.residences.select_related("house__address")),
        "events": linked_events(user, resident), "events_table": events_table_template(),
        "cases": linked_cases(user, resident),
        "link_form": extra.pop("link_form", None) or LinkEventForm(),
        "move_form": extra.pop("move_form", None) or (MoveForm(user=user) if can_write(user) else None),
        "key_roles": kp_rows,
        "kp_details": scope.may_see_key_person_details(user),
        "history": history_rows(history(resident)),
        "can_write": can_write(user),
        # the keeping side's view (a requester never sees a pending request: visible_to is the resident's scope)
        "pending_transfers": TransferRequest.objects.visible_to(user).filter(
            resident=resident, status=TransferRequest.Status.PENDING).count(),
        **extra,
    }


def _visible_resident(user, pk):
    return scoped(Resident, user).select_related("house__address", "region", "grid").filter(pk=pk).first()


@registry_reader
@never_cache
def resident_detail(request, pk: int):
    resident = _visible_resident(request.user, pk)
    if resident is None:
        return not_found(request, _("未找到该人员，或该人员不在您的管辖范围内"))
    return render(request, "registry/resident_detail.html", resident_context(request, resident))


@registry_reader
@never_cache
@require_POST
def resident_reveal(request, pk: int):
    """The full ID number and phone, shown once on this response (services.privacy.reveal logs it)."""
    user = request.user
    resident = _visible_resident(user, pk)
    if resident is None:
        return not_found(request, _("未找到该人员，或该人员不在您的管辖范围内"))
    if not scope.may_view_full(user):
        return forbidden(request, _("您没有查看完整个人信息的权限"))
    form = RevealForm(request.POST)
    if not form.is_valid():
        return render(request, "registry/resident_detail.html",
                      resident_context(request, resident, reveal_form=form), status=400)
    try:
        revealed = reveal(user, resident, form.cleaned_data["reason"])
    except DomainError as exc:
        form.apply_domain_error(exc)
        return render(request, "registry/resident_detail.html",
                      resident_context(request, resident, reveal_form=form), status=web_status(exc))
    return render(request, "registry/resident_detail.html",
                  resident_context(request, resident, revealed=revealed))


@registry_writer
@require_POST
def resident_move(request, pk: int):
    user = request.user
    resident = _visible_resident(user, pk)
    if resident is None:
        return not_found(request, _("未找到该人员，或该人员不在您的管辖范围内"))
    form = MoveForm(request.POST, user=user)
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        house = visible_one(House, user, as_pk(d["house"])) if as_pk(d.get("house")) else None
        if d.get("house") and house is None:
            form.add_error("house", _("请选择房屋"))
        else:
            try:
                move_resident(user, resident, house, d.get("on"), d.get("relation") or "")
            except DomainError as exc:
                form.apply_domain_error(exc)
                status = web_status(exc)
            else:
                messages.success(request, _("已登记迁居") if house else _("已登记迁出"))
                if visible_one(Resident, user, resident.pk) is None:
                    return redirect("registry:resident_list")
                return redirect("registry:resident_detail", resident.pk)
    return render(request, "registry/resident_detail.html", resident_context(request, resident, move_form=form),
                  status=status)

"""Houses (实有房屋): the list, registering and editing a house, its page (residents, tenancies, linked events,
history) and registering a tenancy."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core import crypto
from gridgov.core.errors import DomainError
from gridgov.regions.models import Region
from gridgov.registry.forms import HouseEditForm, HouseForm, LinkEventForm, TenancyForm, communities_for, grids_for
from gridgov.registry.models import House, Resident
from gridgov.registry.scope import scoped
from gridgov.registry.services.access import can_write
from gridgov.registry.services.addresses import get_or_create_address
from gridgov.registry.services.houses import add_tenancy, save_house
from gridgov.registry.services.links import events_table_template, linked_events
from gridgov.registry.services.residents import ResidentInput, register_resident
from gridgov.registry.views.common import (
    SUBMITTED,
    R,
    export_ctx,
    form_ctx,
    paginate,
    query_params,
    registry_reader,
    registry_writer,
    role_of,
    visible_one,
)
from gridgov.registry.views.history import history_rows, house_history
from gridgov.web.views import not_found, web_status

HOUSE_FILTERS = ("community", "grid", "status", "q")


def filtered_houses(user, params: dict):
    qs = scoped(House, user).select_related("address", "address__region", "address__grid")
    if params.get("community"):
        qs = qs.filter(address__region__code__startswith=params["community"])
    if params.get("grid"):
        qs = qs.filter(address__grid__code=params["grid"])
    if params.get("status") in House.Status.values:
        qs = qs.filter(status=params["status"])
    q = params.get("q") or ""
    if q:
        qs = qs.filter(Q(address__road__icontains=q) | Q(address__code__startswith=q) | Q(owner_name=q))
    return qs.order_by("address__code")


@registry_reader
def house_list(request):
    user = request.user
    params = query_params(request, HOUSE_FILTERS)
    qs = filtered_houses(user, params).annotate(n_residents=Count("residents"))
    communities = communities_for(user) if role_of(user) != R.LEADER else _leader_communities(user)
    ctx = {
        "page": paginate(request, qs),
        "params": params,
        "communities": communities,
        "grids": grids_for(user, communities),
        "status_choices": House.Status.choices,
        "can_write": can_write(user),
        **export_ctx(user, "houses"),
    }
    return render(request, "registry/house_list.html", ctx)


def _leader_communities(user):
    qs = Region.objects.filter(level=Region.Level.COMMUNITY)
    return list(qs.filter(code__startswith=user.region.code).order_by("code")[:500]) if user.region_id else []


@registry_writer
def house_new(request):
    user = request.user
    if request.method != "POST":
        return render(request, "registry/house_form.html", form_ctx(request, HouseForm(user=user)))
    form = HouseForm(request.POST, user=user)
    if not form.is_valid():
        return render(request, "registry/house_form.html", form_ctx(request, form), status=400)
    try:
        with transaction.atomic():
            address, _created = get_or_create_address(user, form.address_input())
            existing = House.objects.filter(address=address).first()
            if existing is not None:
                raise _AlreadyRegistered(existing)
            house, _created = save_house(user, address, **form.house_kwargs())
    except _AlreadyRegistered as exc:
        if scoped(House, user).filter(pk=exc.obj.pk).exists():
            messages.info(request, _("该地址已登记过房屋，已为您打开"))
            return redirect("registry:house_detail", exc.obj.pk)
        form.add_error(None, _("该地址已登记过房屋"))
        return render(request, "registry/house_form.html", form_ctx(request, form), status=400)
    except DomainError as exc:
        form.apply_domain_error(exc)
        return render(request, "registry/house_form.html", form_ctx(request, form), status=web_status(exc))
    messages.success(request, _("房屋已登记：%(a)s") % {"a": house.address.text})
    return redirect("registry:house_detail", house.pk)


class _AlreadyRegistered(Exception):
    def __init__(self, obj):
        super().__init__("already registered")
        self.obj = obj


@registry_writer
def house_edit(request, pk: int):
    user = request.user
    house = visible_one(House, user, pk)
    if house is None:
        return not_found(request, _("未找到该房屋，或该房屋不在您的管辖范围内"))
    if request.method != "POST":
        return render(request, "registry/house_edit.html", {"form": HouseEditForm(house=house), "house": house})
    form = HouseEditForm(request.POST, house=house)
    if form.is_valid():
        try:
            save_house(user, house.address, **form.house_kwargs())
        except DomainError as exc:
            form.apply_domain_error(exc)
            return render(request, "registry/house_edit.html", {"form": form, "house": house},
                          status=web_status(exc))
        messages.success(request, _("房屋信息已保存"))
        return redirect("registry:house_detail", house.pk)
    return render(request, "registry/house_edit.html", {"form": form, "house": house}, status=400)


def house_context(request, house: House, **extra) -> dict:
    user = request.user
    residents = list(scoped(Resident, user).filter(house=house).order_by("id"))
    return {
        "house": house,
        "address": house.address,
        "residents": residents,
        "tenancies": list(house.tenancies.select_related("tenant")),
        "history": history_rows(house_history(house)),
        "events": linked_events(user, house), "events_table": events_table_template(),
        "link_form": extra.pop("link_form", None) or LinkEventForm(),
        "can_write": can_write(user),
        "owner_phone": crypto.mask_phone(house.owner_phone),
        "today": timezone.localdate(),
        **extra,
    }


@registry_reader
def house_detail(request, pk: int):
    house = scoped(House, request.user).select_related("address", "address__region", "address__grid").filter(
        pk=pk).first()
    if house is None:
        return not_found(request, _("未找到该房屋，或该房屋不在您的管辖范围内"))
    return render(request, "registry/house_detail.html", house_context(request, house))


@registry_writer
def tenancy_new(request, pk: int):
    user = request.user
    house = visible_one(House, user, pk)
    if house is None:
        return not_found(request, _("未找到该房屋，或该房屋不在您的管辖范围内"))
    tenants = list(scoped(Resident, user).filter(house=house).order_by("id"))
    ctx = {"house": house}
    if request.method != "POST":
        initial = {"start": timezone.localdate()}
        if request.GET.get("tenant"):
            initial["tenant"] = request.GET["tenant"]
        return render(request, "registry/tenancy_form.html", {**ctx, "form": TenancyForm(initial=initial,
                                                                                        tenants=tenants)})
    form = TenancyForm(request.POST, tenants=tenants)
    if not form.is_valid():
        return render(request, "registry/tenancy_form.html", {**ctx, "form": form}, status=400)
    d = form.cleaned_data
    submitted = False
    try:
        with transaction.atomic():
            if d["tenant"] == TenancyForm.NEW:
                reg = register_resident(user, ResidentInput(
                    name=d["new_name"], id_type=d.get("new_id_type") or Resident.IdType.RIC,
                    id_number=d.get("new_id_number") or "", phone=d.get("new_phone") or "",
                    household=Resident.Household.FLOATING, relation=_("承租人"), moved_in=d["start"], house=house))
                tenant, submitted = reg.resident, reg.submitted
            else:
                tenant = form.tenants[d["tenant"]]
            if tenant is not None:  # None: a transfer request was opened; the tenancy waits for the person
                add_tenancy(user, house, tenant, d["start"], d.get("end"), d.get("contract_no") or "")
    except DomainError as exc:
        form.apply_domain_error(exc)
        return render(request, "registry/tenancy_form.html", {**ctx, "form": form}, status=web_status(exc))
    if submitted:  # the same answer for a new tenant and one kept elsewhere (the house page shows the rest)
        messages.success(request, str(SUBMITTED) + _("如未在本页看到该租赁，请待迁入确认后再登记租赁。"))
    else:
        messages.success(request, _("已登记租赁：%(n)s") % {"n": tenant.name})
    return redirect("registry:house_detail", house.pk)

"""Houses (实有房屋) and their tenancies."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core.errors import ValidationFailed
from gridgov.registry import identity
from gridgov.registry.models import Address, House, Resident, Tenancy
from gridgov.registry.services.access import in_scope, require_in_scope, require_writer
from gridgov.registry.services.history import record_change, snapshot


def save_house(actor, address: Address, *, structure="", use="", status="", area=None, owner_name="",
               owner_phone="", source: str = "web") -> tuple[House, bool]:
    require_writer(actor)
    errors = {}
    if structure and structure not in House.Structure.values:
        errors["structure"] = [_("建筑结构无效")]
    if use and use not in House.Use.values:
        errors["use"] = [_("房屋用途无效")]
    if status and status not in House.Status.values:
        errors["status"] = [_("使用状态无效")]
    try:
        owner_phone = identity.check_phone(owner_phone)
    except ValueError as exc:
        errors["owner_phone"] = [str(exc)]
    if area not in (None, ""):
        try:
            area = round(float(area), 2)
            if not 0 < area < 1_000_000:
                raise ValueError
        except (TypeError, ValueError):
            errors["area"] = [_("面积应为正数")]
    else:
        area = None
    if errors:
        raise ValidationFailed(_("房屋信息有误"), errors)
    with transaction.atomic():
        house = House.objects.select_for_update().filter(address=address).first()
        if house is not None and not in_scope(actor, house):
            # another grid's house at the same place (the address checks let only grid workers get this far)
            raise ValidationFailed(_("该地址已登记过房屋"), {"address": [_("该地址已登记过房屋，不在您的管辖范围内")]})
        before = snapshot(house) if house else None
        house = house or House(address=address)
        house.structure = structure or house.structure
        house.use = use or house.use
        house.status = status or house.status
        if area is not None:
            house.area = area
        house.owner_name = (owner_name or house.owner_name or "").strip()[:50]
        house.owner_phone = owner_phone or house.owner_phone
        house.save()
        record_change(house, actor, before, source=source)
    return house, before is None


def add_tenancy(actor, house: House, tenant: Resident, start: date, end: date | None = None, contract_no: str = "",
                source: str = "web") -> Tenancy:
    require_writer(actor)
    require_in_scope(actor, house, _("未找到该房屋"))
    require_in_scope(actor, tenant, _("未找到该人员"))
    if end and end < start:
        raise ValidationFailed(_("租期结束日期不能早于开始日期"), {"end": [_("租期结束日期不能早于开始日期")]})
    with transaction.atomic():
        tenancy = Tenancy.objects.create(house=house, tenant=tenant, start=start, end=end,
                                         contract_no=contract_no.strip()[:50])
        if house.status != House.Status.RENTED:
            before = snapshot(house)
            house.status = House.Status.RENTED
            house.save()
            record_change(house, actor, before, source=source)
        record_change(tenancy, actor, None, source=source)
    return tenancy

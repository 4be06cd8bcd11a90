"""Units (实有单位): found by their credit code, never taken over from another side's scope."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core.errors import ValidationFailed
from gridgov.registry import identity
from gridgov.registry.models import Address, Unit
from gridgov.registry.services.access import check_region_in_scope, in_scope, require_in_scope, require_writer
from gridgov.registry.services.history import record_change, snapshot


@dataclass
class UnitInput:
    name: str
    address: Address
    uscc: str = ""
    kind: str = Unit.Kind.ENTERPRISE
    legal_rep: str = ""
    contact: str = ""
    phone: str = ""
    key_flags: list[str] = field(default_factory=list)
    employees: int | None = None


def save_unit(actor, data: UnitInput, *, unit: Unit | None = None, source: str = "web") -> tuple[Unit, bool]:
    require_writer(actor)
    errors: dict[str, list[str]] = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = [_("请填写单位名称")]
    code = ""
    if data.uscc:
        try:
            code = identity.check_uscc(data.uscc)
        except ValueError as exc:
            errors["uscc"] = [str(exc)]
    if data.kind not in Unit.Kind.values:
        errors["kind"] = [_("单位类型无效")]
    bad = [f for f in data.key_flags if f not in Unit.KEY_FLAGS]
    if bad:
        errors["key_flags"] = [_("重点单位类别无效：%(v)s") % {"v": "、".join(bad)}]
    try:
        phone = identity.check_phone(data.phone)
    except ValueError as exc:
        errors["phone"] = [str(exc)]
    if errors:
        raise ValidationFailed(_("单位信息有误，请检查"), errors)
    check_region_in_scope(actor, data.address.region, "address")
    if unit is not None:
        require_in_scope(actor, unit, _("未找到该单位"))
    with transaction.atomic():
        if unit is None and code:
            unit = Unit.objects.select_for_update().filter(uscc=code).first()
            if unit is not None and not in_scope(actor, unit):
                # never take over another side's record; a credit code is public, so saying it is taken is no leak
                raise ValidationFailed(_("该统一社会信用代码已登记"), {"uscc": [_("该统一社会信用代码已登记")]})
        created = unit is None
        before = None if created else snapshot(unit)
        unit = unit or Unit()
        unit.name, unit.uscc, unit.kind, unit.address = name[:200], code, data.kind, data.address
        unit.legal_rep = data.legal_rep.strip()[:50]
        unit.contact = data.contact.strip()[:50]
        unit.phone = phone
        unit.key_flags = sorted(set(data.key_flags))
        unit.employees = data.employees
        unit.save()
        record_change(unit, actor, before, source=source)
    return unit, created

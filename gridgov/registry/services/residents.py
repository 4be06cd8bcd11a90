"""Residents (实有人口): one person is one record, registered, updated and moved here.

:func:`register_resident` decides what a document means for a writer (new record, update of their own, or a
transfer request to the side that keeps it: ``registry.transfers``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core import crypto
from gridgov.core.errors import ValidationFailed
from gridgov.registry import identity
from gridgov.registry.models import House, Residence, Resident
from gridgov.registry.services.access import (
    check_grid_in_scope,
    check_region_in_scope,
    in_scope,
    require_in_scope,
    require_writer,
)
from gridgov.registry.services.history import record_change, snapshot


@dataclass
class ResidentInput:
    name: str
    id_type: str = Resident.IdType.RIC
    id_number: str = ""
    phone: str = ""
    household: str = Resident.Household.REGISTERED
    hukou_place: str = ""
    relation: str = ""
    moved_in: date | None = None
    birth_date: date | None = None
    sex: str = ""
    house: House | None = None


_ID_TYPES = frozenset(Resident.IdType.values)
_HOUSEHOLDS = frozenset(Resident.Household.values)


def _check_resident(data: ResidentInput, today: tuple[date, date] | None = None) -> tuple[dict, dict]:
    """The checked values of ``data`` and what is wrong with it (field → messages).  ``today``: the dates the
    checks take as today — ``(date.today(), timezone.localdate())``, what they read when it is not given (a
    caller checking many rows reads them once)."""
    system_today, local_today = today if today is not None else (None, None)
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = [_("请填写姓名")]
    elif len(name) > 50:
        errors["name"] = [_("姓名不能超过50字")]
    clean["name"] = name
    if data.id_type not in _ID_TYPES:
        errors["id_type"] = [_("证件类型无效")]
    checked = None
    if data.id_number:
        try:
            checked = (identity.check_ric(data.id_number, system_today) if data.id_type == Resident.IdType.RIC
                       else identity.check_other_document(data.id_number))
        except ValueError as exc:
            errors["id_number"] = [str(exc)]
    elif data.id_type == Resident.IdType.RIC:
        errors["id_number"] = [_("请填写身份证号码")]
    if checked is not None and checked.birth_date:
        if data.birth_date and data.birth_date != checked.birth_date:
            errors["birth_date"] = [_("出生日期与身份证号码不一致")]
        if data.sex and data.sex != checked.sex:
            errors["sex"] = [_("性别与身份证号码不一致")]
    clean["checked"] = checked
    clean["birth_date"] = checked.birth_date if checked and checked.birth_date else data.birth_date
    clean["sex"] = checked.sex if checked and checked.sex else (data.sex or "")
    if clean["sex"] not in ("M", "F", ""):
        errors["sex"] = [_("性别无效")]
    try:
        clean["phone"] = identity.check_phone(data.phone)
    except ValueError as exc:
        errors["phone"] = [str(exc)]
    if data.household not in _HOUSEHOLDS:
        errors["household"] = [_("人口类型无效")]
    if data.moved_in and data.moved_in > (local_today or timezone.localdate()):
        errors["moved_in"] = [_("迁入日期不能晚于今天")]
    return clean, errors


def find_by_document(id_type: str, number: str) -> Resident | None:
    """The record of a document, wherever it is kept: for internal use only — an answer to a writer must
    never depend on a record outside their scope (use :func:`find_in_scope`)."""
    try:
        checked = identity.check_ric(number) if id_type == Resident.IdType.RIC else identity.check_other_document(number)
    except ValueError:
        return None
    return Resident.objects.filter(id_type=id_type, id_hash=crypto.lookup_hash(f"{id_type}:{checked.number}")).first()


def find_in_scope(actor, id_type: str, number: str) -> Resident | None:
    """The record of a document if ``actor`` may write it, else None (kept elsewhere, or unknown: the same)."""
    resident = find_by_document(id_type, number)
    return resident if resident is not None and in_scope(actor, resident) else None


def find_any_document_in_scope(actor, number: str) -> Resident | None:
    """A number typed without its type: a 居民身份证 first, then the other documents."""
    for id_type in [Resident.IdType.RIC] + [t for t in Resident.IdType.values if t != Resident.IdType.RIC]:
        found = find_in_scope(actor, id_type, number)
        if found is not None:
            return found
    return None


@dataclass
class Registration:
    """What a registration did.  ``resident`` is set when the record is the writer's afterwards (created or
    updated); a number kept outside their scope opened ``transfer`` instead and changed nothing."""

    resident: Resident | None
    created: bool = False
    transfer: object | None = None  # registry.models.TransferRequest

    @property
    def submitted(self) -> bool:
        """Not an update of one of the writer's own records: a new person, or a transfer request.  The writer
        is given the same answer for both, so that it does not tell whether the number is kept elsewhere."""
        return self.created or self.transfer is not None


def register_resident(actor, data: ResidentInput, *, source: str = "web") -> Registration:
    """The one door for registering a person in a house (API, web form, tenancy form, import).

    One person is one record, so the document decides: unknown → a new record; kept inside the writer's
    scope → that record is updated (and moved into the house); kept outside it → a transfer request
    (人口迁移申请) that the keeping side confirms or refuses — nothing of the record changes until then.
    """
    require_writer(actor)
    clean, errors = _check_resident(data)
    if data.house is None:
        errors.setdefault("house", [_("请选择现居房屋")])
    if errors:
        raise ValidationFailed(_("人员信息有误，请检查"), errors)
    house = data.house
    check_region_in_scope(actor, house.address.region, "house")
    check_grid_in_scope(actor, house.address.grid, "house")
    checked = clean["checked"]
    with transaction.atomic():
        existing = None
        if checked is not None:
            existing = Resident.objects.select_for_update().filter(
                id_type=data.id_type, id_hash=crypto.lookup_hash(f"{data.id_type}:{checked.number}")).first()
        if existing is None:
            return Registration(_write_resident(actor, None, data, clean, source), created=True)
        if in_scope(actor, existing):
            return Registration(_write_resident(actor, existing, data, clean, source))
        from gridgov.registry import transfers

        return Registration(None, transfer=transfers.open_request(actor, existing, data, clean, source))


def save_resident(actor, data: ResidentInput, *, resident: Resident | None = None, source: str = "web"
                  ) -> tuple[Resident | None, bool]:
    """Update ``resident`` (one of the writer's records: else 404), or register ``data`` through
    :func:`register_resident` — then the resident is None when a transfer request was opened instead."""
    if resident is None:
        reg = register_resident(actor, data, source=source)
        return reg.resident, reg.created
    require_writer(actor)
    require_in_scope(actor, resident, _("未找到该人员"))
    clean, errors = _check_resident(data)
    checked = clean["checked"]
    if checked is not None and (data.id_type != resident.id_type
                                or crypto.lookup_hash(f"{data.id_type}:{checked.number}") != resident.id_hash):
        errors["id_number"] = [_("证件号码不能在此修改")]
    if errors:
        raise ValidationFailed(_("人员信息有误，请检查"), errors)
    if data.house is not None:
        check_region_in_scope(actor, data.house.address.region, "house")
        check_grid_in_scope(actor, data.house.address.grid, "house")
    with transaction.atomic():
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        return _write_resident(actor, resident, data, clean, source), False


def _write_resident(actor, resident: Resident | None, data: ResidentInput, clean: dict, source: str) -> Resident:
    """Write checked values (``clean`` from :func:`_check_resident`) into a new or an existing record, move it
    into ``data.house`` when that is another house, and record the change.  No scope check: callers do it."""
    house = data.house
    checked = clean["checked"]
    created = resident is None
    before = None if created else snapshot(resident)
    if created:
        resident = Resident(region=house.address.region)
    resident.name = clean["name"]
    resident.id_type = data.id_type
    if checked is not None:
        resident.id_number_enc = crypto.encrypt(checked.number)
        resident.id_hash = crypto.lookup_hash(f"{data.id_type}:{checked.number}")
        resident.id_masked = crypto.mask_id(checked.number)
    resident.birth_date = clean["birth_date"]
    resident.sex = clean["sex"]
    resident.phone = clean["phone"] or resident.phone
    resident.household = data.household
    resident.hukou_place = (data.hukou_place or resident.hukou_place or "").strip()[:100]
    resident.relation = (data.relation or resident.relation or "").strip()[:20]
    resident.save()
    if house is not None and resident.house_id != house.pk:
        _move(resident, house, data.moved_in or timezone.localdate(), resident.relation)
    record_change(resident, actor, before, source=source)
    return resident


def new_resident_values(data: ResidentInput, clean: dict, id_hash: str, house_id: int, region_id: int,
                        grid_id: int | None) -> tuple[dict, dict]:
    """The rows :func:`_write_resident` would leave for a new person moving into the house ``house_id`` (whose
    address is in ``region_id``, grid ``grid_id``), as column values (attribute name → value) for bulk inserts:
    the record as it stands after the move, and its stay (without ``resident_id``, known once the record has its
    key).  ``clean`` is from :func:`_check_resident`, ``id_hash`` the lookup hash of its checked number
    (``crypto.lookup_hash(f"{id_type}:{number}")``, which the caller has already computed).  Only the number and
    the phone are encrypted here."""
    checked = clean["checked"]
    relation = (data.relation or "").strip()[:20]
    on = data.moved_in or timezone.localdate()
    phone_enc, phone_hash = crypto.seal_phone(clean["phone"])
    resident = {
        "name": clean["name"], "id_type": data.id_type, "id_number_enc": crypto.encrypt(checked.number),
        "id_hash": id_hash, "id_masked": crypto.mask_id(checked.number), "birth_date": clean["birth_date"],
        "sex": clean["sex"], "phone_enc": phone_enc, "phone_hash": phone_hash, "household": data.household,
        "hukou_place": (data.hukou_place or "").strip()[:100], "house_id": house_id, "region_id": region_id,
        "grid_id": grid_id, "relation": relation, "moved_in": on, "moved_out": None}
    return resident, {"house_id": house_id, "relation": relation, "moved_in": on, "moved_out": None}


def _move(resident: Resident, house: House | None, on: date, relation: str = "") -> None:
    Residence.objects.filter(resident=resident, moved_out__isnull=True).update(moved_out=on)
    if house is None:
        resident.house = None
        resident.moved_out = on
    else:
        Residence.objects.create(resident=resident, house=house, relation=relation, moved_in=on)
        resident.house = house
        resident.region = house.address.region
        resident.grid = house.address.grid
        resident.moved_in = on
        resident.moved_out = None
    resident.save()


def move_resident(actor, resident: Resident, house: House | None, on: date | None = None, relation: str = "",
                  source: str = "web") -> Resident:
    """Move house (or away, with ``house=None``); the previous stay is closed, not overwritten."""
    require_writer(actor)
    require_in_scope(actor, resident, _("未找到该人员"))
    on = on or timezone.localdate()
    if house is not None:
        check_region_in_scope(actor, house.address.region, "house")
        check_grid_in_scope(actor, house.address.grid, "house")
    with transaction.atomic():
        before = snapshot(resident)
        _move(resident, house, on, relation or resident.relation)
        record_change(resident, actor, before, action="move", source=source)
    return resident

"""Registry operations: the one door for the web pages, the API and the Excel import.

Every write records a :class:`Change` (who, what, when; personal values masked). Full
identity numbers and phones leave this module only through :func:`reveal` / the export,
which check the permission and write an :class:`AccessLog` row.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core import crypto
from gridgov.core.errors import Forbidden, NotFound, ValidationFailed
from gridgov.regions.models import Grid, Region
from gridgov.registry import identity, scope
from gridgov.registry.models import (
    AccessLog,
    Address,
    AddressSequence,
    Change,
    House,
    KeyCategory,
    KeyPerson,
    Residence,
    Resident,
    RiskLevel,
    Tenancy,
    Unit,
    Visit,
)

# --- history ------------------------------------------------------------------------------------

PERSONAL_FIELDS = {"id_number_enc", "id_hash", "phone", "owner_phone"}
# sealed phones (core.crypto.SealedPhone): history shows the masked number under the plain name and
# notices a change by the keyed hash (two numbers can share a mask)
SEALED_PHONES = {"phone_enc": "phone", "owner_phone_enc": "owner_phone"}


def _value(obj, name):
    v = getattr(obj, name)
    if name == "birth_date":
        # the year only: the full date is the 8 digits a masked identity number hides
        return str(v.year) if v else None
    if hasattr(v, "pk"):
        return v.pk
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if name in ("id_number_enc", "id_hash"):
        return None
    return v if isinstance(v, (str, int, float, bool, list, dict, type(None))) else str(v)


def snapshot(obj) -> dict:
    out = {}
    for f in obj._meta.concrete_fields:
        if f.name in ("id", "updated_at", "created_at", "key", "id_hash"):
            continue
        if f.name in SEALED_PHONES:
            plain = SEALED_PHONES[f.name]
            out[plain] = crypto.mask_phone(getattr(obj, plain) or "")
        elif f.name.endswith("phone_hash"):
            out[f"_{f.name}"] = getattr(obj, f.name)  # compared, never recorded
        else:
            out[f.name] = _value(obj, f.name)
    return out


def record_change(obj, actor, before: dict | None, action: str = "", source: str = "web") -> Change | None:
    after = snapshot(obj)
    if before is None:
        changes = {k: [None, v] for k, v in after.items() if v not in (None, "", [], {})}
        action = action or "create"
    else:
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        for enc, plain in SEALED_PHONES.items():  # a new number with the same mask is still a change
            if changes.pop(f"_{enc[:-4]}_hash", None) is not None and plain in after:
                changes[plain] = [before.get(plain), after[plain]]
        if "id_masked" in changes:
            changes["id_number"] = changes.pop("id_masked")
        if not changes and not action:
            return None
        action = action or "update"
    changes.pop("id_number_enc", None)
    for k in [k for k in changes if k.startswith("_")]:
        changes.pop(k)
    return Change.objects.create(
        model=obj._meta.model_name, object_id=obj.pk, action=action,
        actor=actor if isinstance(actor, User) else None, changes=changes, source=source[:32],
    )


def history(obj) -> list[Change]:
    return list(Change.objects.filter(model=obj._meta.model_name, object_id=obj.pk).select_related("actor"))


# --- scope helpers -------------------------------------------------------------------------------


def _check_region_in_scope(actor, region: Region, field_name: str = "region") -> None:
    """Writers may only write inside their scope: operators their subtree, grid workers their grids' communities."""
    if actor is None or actor.is_superuser or actor.role == User.Role.ADMIN:
        return
    ok = False
    if actor.role in (User.Role.OPERATOR,) and actor.region_id:
        ok = region.code.startswith(actor.region.code)
    elif actor.role == User.Role.GRID_WORKER:
        ok = Grid.objects.filter(staff__user=actor, community=region).exists()
    if not ok:
        raise ValidationFailed(_("该区划不在您的管辖范围内"), {field_name: [_("该区划不在您的管辖范围内")]})


def _check_grid_in_scope(actor, grid: Grid | None, field_name: str = "grid") -> None:
    if grid is None or actor is None or actor.is_superuser or actor.role == User.Role.ADMIN:
        return
    if actor.role == User.Role.GRID_WORKER and not grid.staff.filter(user=actor).exists():
        raise ValidationFailed(_("该网格不是您负责的网格"), {field_name: [_("该网格不是您负责的网格")]})


def can_write(actor) -> bool:
    return bool(actor and actor.is_authenticated and (
        actor.is_superuser or actor.role in (User.Role.ADMIN, User.Role.OPERATOR, User.Role.GRID_WORKER)))


def _require_writer(actor) -> None:
    if actor is not None and not can_write(actor):
        raise Forbidden(_("您无权维护基础数据"), code="not_permitted")


# --- addresses ----------------------------------------------------------------------------------

_SUFFIXES = ("号楼", "单元", "号", "栋", "幢", "座", "室", "层", "楼")


def _norm(part: str) -> str:
    s = unicodedata.normalize("NFKC", part or "").strip().lower().replace(" ", "")
    for suffix in _SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            s = s[: -len(suffix)]
            break
    return s


def address_key(region: Region, road: str, building: str, unit: str, floor: str, room: str) -> str:
    return "|".join([region.code] + [_norm(p) for p in (road, building, unit, floor, room)])


@dataclass
class AddressInput:
    region: str  # community code (12 digits)
    road: str
    building: str = ""
    unit: str = ""
    floor: str = ""
    room: str = ""
    lng: float | None = None
    lat: float | None = None
    grid: str = ""  # grid code, when there is no point


def _next_address_code(region: Region) -> str:
    seq, _created = AddressSequence.objects.select_for_update().get_or_create(region=region)
    AddressSequence.objects.filter(pk=seq.pk).update(last=F("last") + 1)
    seq.refresh_from_db(fields=["last"])
    return f"{region.code}{seq.last:06d}"


def get_or_create_address(actor, data: AddressInput, source: str = "web") -> tuple[Address, bool]:
    """A standard address: de-duplicated on its normalized parts, geocoded to a grid by its point."""
    _require_writer(actor)
    errors: dict[str, list[str]] = {}
    region = Region.objects.filter(code=(data.region or "").strip(), level=Region.Level.COMMUNITY).first()
    if region is None:
        errors["region"] = [_("请选择村(社区)")]
    road = (data.road or "").strip()
    if not road:
        errors["road"] = [_("请填写街路巷或小区名称")]
    elif len(road) > 100:
        errors["road"] = [_("不能超过100字")]
    for name in ("building", "unit", "floor", "room"):
        if len((getattr(data, name) or "").strip()) > 20:
            errors[name] = [_("不能超过20字")]
    if (data.lng is None) != (data.lat is None) or (
            data.lng is not None and not (-180 <= data.lng <= 180 and -90 <= data.lat <= 90)):
        errors["location"] = [_("经纬度无效")]
    if errors:
        raise ValidationFailed(_("地址信息有误"), errors)
    _check_region_in_scope(actor, region)
    grid = None
    if data.lng is not None:
        from gridgov.regions.spatial import locate

        grid = locate(data.lng, data.lat)
        if grid is not None and grid.community_id != region.pk:
            raise ValidationFailed(_("定位点不在所选村(社区)内"), {"location": [
                _("定位点位于%(grid)s，不属于所选村(社区)") % {"grid": grid.name}]})
    if grid is None and data.grid:
        grid = Grid.objects.filter(code=data.grid.strip(), community=region).first()
        if grid is None:
            raise ValidationFailed(_("网格无效"), {"grid": [_("该村(社区)下没有这个网格")]})
    if grid is None:  # no point and no grid given: a community with a single grid decides by itself
        candidates = list(Grid.objects.filter(community=region, active=True, kind=Grid.Kind.GENERAL)[:2])
        grid = candidates[0] if len(candidates) == 1 else None
    _check_grid_in_scope(actor, grid)
    parts = {n: (getattr(data, n) or "").strip() for n in ("building", "unit", "floor", "room")}
    key = address_key(region, road, **parts)
    with transaction.atomic():
        existing = Address.objects.select_for_update().filter(key=key).first()
        if existing is not None:
            # the place is already someone's: a grid worker may use (or re-point) it only in their own grids
            _check_grid_in_scope(actor, existing.grid)
            if existing.lng is None and data.lng is not None:
                before = snapshot(existing)
                existing.lng, existing.lat, existing.grid = data.lng, data.lat, grid or existing.grid
                existing.save()
                record_change(existing, actor, before, source=source)
            return existing, False
        address = Address.objects.create(
            code=_next_address_code(region), region=region, grid=grid, road=road, lng=data.lng, lat=data.lat,
            key=key, **parts,
        )
        record_change(address, actor, None, source=source)
    return address, True


# --- houses -------------------------------------------------------------------------------------


def save_house(actor, address: Address, *, structure="", use="", status="", area=None, owner_name="",
               owner_phone="", source: str = "web") -> tuple[House, bool]:
    _require_writer(actor)
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


# --- residents ----------------------------------------------------------------------------------


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


def _check_resident(data: ResidentInput) -> tuple[dict, dict]:
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = [_("请填写姓名")]
    elif len(name) > 50:
        errors["name"] = [_("姓名不能超过50字")]
    clean["name"] = name
    if data.id_type not in Resident.IdType.values:
        errors["id_type"] = [_("证件类型无效")]
    checked = None
    if data.id_number:
        try:
            checked = (identity.check_ric(data.id_number) if data.id_type == Resident.IdType.RIC
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
    if data.household not in Resident.Household.values:
        errors["household"] = [_("人口类型无效")]
    if data.moved_in and data.moved_in > timezone.localdate():
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


def in_scope(actor, obj) -> bool:
    """May ``actor`` write this registry record?  The write scope of a writer is what they see (operators
    their subtree, grid workers their grids); ``None`` is the system (commands, the demo loader)."""
    if actor is None:
        return True
    return type(obj).objects.visible_to(actor).filter(pk=obj.pk).exists()


def _require_in_scope(actor, obj, message: str) -> None:
    if not in_scope(actor, obj):
        raise NotFound(message)


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
    _require_writer(actor)
    clean, errors = _check_resident(data)
    if data.house is None:
        errors.setdefault("house", [_("请选择现居房屋")])
    if errors:
        raise ValidationFailed(_("人员信息有误，请检查"), errors)
    house = data.house
    _check_region_in_scope(actor, house.address.region, "house")
    _check_grid_in_scope(actor, house.address.grid, "house")
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
    _require_writer(actor)
    _require_in_scope(actor, resident, _("未找到该人员"))
    clean, errors = _check_resident(data)
    checked = clean["checked"]
    if checked is not None and (data.id_type != resident.id_type
                                or crypto.lookup_hash(f"{data.id_type}:{checked.number}") != resident.id_hash):
        errors["id_number"] = [_("证件号码不能在此修改")]
    if errors:
        raise ValidationFailed(_("人员信息有误，请检查"), errors)
    if data.house is not None:
        _check_region_in_scope(actor, data.house.address.region, "house")
        _check_grid_in_scope(actor, data.house.address.grid, "house")
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
    _require_writer(actor)
    _require_in_scope(actor, resident, _("未找到该人员"))
    on = on or timezone.localdate()
    if house is not None:
        _check_region_in_scope(actor, house.address.region, "house")
        _check_grid_in_scope(actor, house.address.grid, "house")
    with transaction.atomic():
        before = snapshot(resident)
        _move(resident, house, on, relation or resident.relation)
        record_change(resident, actor, before, action="move", source=source)
    return resident


def add_tenancy(actor, house: House, tenant: Resident, start: date, end: date | None = None, contract_no: str = "",
                source: str = "web") -> Tenancy:
    _require_writer(actor)
    _require_in_scope(actor, house, _("未找到该房屋"))
    _require_in_scope(actor, tenant, _("未找到该人员"))
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


# --- units --------------------------------------------------------------------------------------


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
    _require_writer(actor)
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
    _check_region_in_scope(actor, data.address.region, "address")
    if unit is not None:
        _require_in_scope(actor, unit, _("未找到该单位"))
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


# --- privacy ------------------------------------------------------------------------------------


def masked(resident: Resident) -> dict:
    return {"id_number": resident.id_masked, "phone": crypto.mask_phone(resident.phone)}


def reveal(user, resident: Resident, reason: str, fields: tuple[str, ...] = ("id_number", "phone")) -> dict:
    """The full identity number and phone, for a user with the permission and a stated reason. Logged."""
    if not scope.may_view_full(user):
        raise Forbidden(_("您没有查看完整个人信息的权限"), code="not_permitted")
    if not Resident.objects.visible_to(user).filter(pk=resident.pk).exists():
        raise NotFound(_("未找到该人员"))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed(_("请填写查看事由"), {"reason": [_("请填写查看事由")]})
    out = {}
    if "id_number" in fields:
        out["id_number"] = crypto.decrypt(resident.id_number_enc)
    if "phone" in fields:
        out["phone"] = resident.phone
    AccessLog.objects.create(actor=user, action=AccessLog.Action.VIEW, model="resident", object_id=resident.pk,
                             object_label=resident.name, fields=sorted(out), reason=reason[:200])
    return out


def log_export(user, model: str, fields: list[str], count: int, reason: str) -> AccessLog:
    return AccessLog.objects.create(actor=user, action=AccessLog.Action.EXPORT, model=model, fields=sorted(fields),
                                    reason=(reason or "").strip()[:200], count=count)


# --- key populations ----------------------------------------------------------------------------

DEFAULT_KEY_CATEGORIES = [
    ("community_correction", "社区矫正对象", {"high": 7, "medium": 15, "low": 30}, [
        {"key": "term_end", "label": "矫正期满日期", "type": "date", "required": True},
        {"key": "correction_type", "label": "矫正类别", "type": "choice", "choices": ["管制", "缓刑", "假释", "暂予监外执行"],
         "required": True},
    ]),
    ("released", "刑满释放人员", {"high": 7, "medium": 30, "low": 30}, [
        {"key": "released_on", "label": "释放日期", "type": "date", "required": True},
        {"key": "aftercare", "label": "安置帮教情况", "type": "choice", "choices": ["已安置", "未安置", "帮教中", "已解除帮教"]},
    ]),
    ("drug_user", "吸毒人员", {"high": 7, "medium": 15, "low": 30}, [
        {"key": "program", "label": "管控类型", "type": "choice", "choices": ["社区戒毒", "社区康复", "其他"], "required": True},
    ]),
    ("mental_health", "严重精神障碍患者", {"high": 7, "medium": 14, "low": 30}, [
        {"key": "danger_level", "label": "危险性评估等级", "type": "int", "min": 0, "max": 5, "required": True},
        {"key": "guardian", "label": "监护人", "type": "text", "required": True},
    ]),
    ("youth", "重点青少年", {"high": 7, "medium": 30, "low": 30}, [
        {"key": "school", "label": "学校或就业情况", "type": "text"},
    ]),
    ("petitioner", "信访重点人员", {"high": 7, "medium": 30, "low": 30}, [
        {"key": "subject", "label": "信访事项", "type": "text"},
    ]),
]


def install_default_key_categories() -> int:
    made = 0
    for order, (code, name, intervals, attributes) in enumerate(DEFAULT_KEY_CATEGORIES):
        _obj, created = KeyCategory.objects.get_or_create(
            code=code, defaults={"name": name, "intervals": intervals, "attributes": attributes, "builtin": True,
                                 "order": order})
        made += created
    return made


def check_attributes(category: KeyCategory, values: dict) -> tuple[dict, dict]:
    clean, errors = {}, {}
    for spec in category.attributes:
        key, label = spec["key"], spec.get("label", spec["key"])
        raw = values.get(key)
        raw = raw.strip() if isinstance(raw, str) else raw
        if raw in (None, ""):
            if spec.get("required"):
                errors[f"attributes.{key}"] = [_("请填写%(label)s") % {"label": label}]
            continue
        kind = spec.get("type", "text")
        try:
            if kind == "date":
                value = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
                clean[key] = value.isoformat()
            elif kind == "int":
                value = int(raw)
                if ("min" in spec and value < spec["min"]) or ("max" in spec and value > spec["max"]):
                    raise ValueError
                clean[key] = value
            elif kind == "choice":
                if raw not in spec.get("choices", []):
                    raise ValueError
                clean[key] = raw
            else:
                clean[key] = str(raw)[:200]
        except (TypeError, ValueError):
            errors[f"attributes.{key}"] = [_("%(label)s无效") % {"label": label}]
    return clean, errors


def list_key_person(actor, resident: Resident, category: KeyCategory, *, risk_level: str = RiskLevel.LOW,
                    attributes: dict | None = None, worker: User | None = None, since: date | None = None,
                    note: str = "", key_person: KeyPerson | None = None, source: str = "web"
                    ) -> tuple[KeyPerson, bool]:
    """List (列管) a resident in a key-population category, or update the listing."""
    _require_writer(actor)
    if key_person is not None:  # a listing they look after (a worker may be assigned one outside their grids)
        _require_in_scope(actor, key_person, _("未找到该重点人员"))
    else:
        _require_in_scope(actor, resident, _("未找到该人员"))
    clean, errors = check_attributes(category, attributes or {})
    if risk_level not in RiskLevel.values:
        errors["risk_level"] = [_("风险等级无效")]
    if worker is not None and worker.role != User.Role.GRID_WORKER:
        errors["worker"] = [_("责任人须为网格员")]
    if errors:
        raise ValidationFailed(_("重点人员信息有误"), errors)
    with transaction.atomic():
        if key_person is None:
            key_person = KeyPerson.objects.filter(resident=resident, category=category, until__isnull=True).first()
        created = key_person is None
        before = None if created else snapshot(key_person)
        key_person = key_person or KeyPerson(resident=resident, category=category)
        key_person.risk_level = risk_level
        key_person.attributes = clean
        key_person.worker = worker or key_person.worker
        key_person.since = since or key_person.since or timezone.localdate()
        key_person.note = note.strip()
        key_person.save()
        record_change(key_person, actor, before, source=source)
    return key_person, created


def record_visit(actor, key_person: KeyPerson, *, method: str, findings: str, visited_at: datetime | None = None,
                 abnormal: bool = False, lng: float | None = None, lat: float | None = None, photos=()) -> Visit:
    errors = {}
    if method not in Visit.Method.values:
        errors["method"] = [_("请选择走访方式")]
    if len((findings or "").strip()) < 2:
        errors["findings"] = [_("请填写走访情况")]
    visited_at = visited_at or timezone.now()
    if visited_at > timezone.now() + timedelta(minutes=5):
        errors["visited_at"] = [_("走访时间不能晚于现在")]
    from gridgov.events.services import validate_upload

    for p in photos:
        try:
            kind = validate_upload(p)[0]
            if kind != "photo":
                errors.setdefault("photos", []).append(_("只能上传照片"))
        except ValidationFailed as exc:
            errors.setdefault("photos", []).extend(sum(exc.fields.values(), []))
    if errors:
        raise ValidationFailed(_("走访记录有误"), errors)
    if not KeyPerson.objects.visible_to(actor).filter(pk=key_person.pk).exists():
        raise NotFound(_("未找到该重点人员"))
    if actor.role != User.Role.GRID_WORKER and not (actor.is_superuser or actor.role in (
            User.Role.ADMIN, User.Role.OPERATOR)):
        raise Forbidden(_("您无权记录走访"), code="not_permitted")
    from gridgov.events.services import store_upload
    from gridgov.registry.models import VisitAlert, VisitPhoto

    with transaction.atomic():
        visit = Visit.objects.create(key_person=key_person, worker=actor, method=method, findings=findings.strip(),
                                     visited_at=visited_at, abnormal=abnormal, lng=lng, lat=lat)
        for p in photos:
            store_upload(VisitPhoto(visit=visit), p)
        VisitAlert.objects.filter(key_person=key_person, resolved_at__isnull=True).update(resolved_at=timezone.now())
    return visit


# --- due, overdue and coverage (derived at read time) -----------------------------------------------

DUE_SOON_DAYS = 3


@dataclass(frozen=True)
class VisitStatus:
    last_visit: datetime | None
    due: date
    state: str  # ok / due_soon / overdue


def visit_status(kp: KeyPerson, on: date | None = None, last_visit: datetime | None = None) -> VisitStatus:
    """Due date = last visit (or the listing date) + the interval for the category and risk level."""
    on = on or timezone.localdate()
    if last_visit is None:
        last_visit = kp.visits.filter(visited_at__date__lte=on).aggregate(m=Max("visited_at"))["m"]
    start = timezone.localdate(last_visit) if last_visit else kp.since
    due = start + timedelta(days=kp.interval_days)
    state = "overdue" if on > due else "due_soon" if (due - on).days <= DUE_SOON_DAYS else "ok"
    return VisitStatus(last_visit, due, state)


def visit_statuses(qs, on: date | None = None) -> list[tuple[KeyPerson, VisitStatus]]:
    on = on or timezone.localdate()
    end = timezone.make_aware(datetime.combine(on + timedelta(days=1), datetime.min.time()))
    rows = qs.select_related("resident", "category", "worker").annotate(
        last=Max("visits__visited_at", filter=Q(visits__visited_at__lt=end)))
    # a person never visited has last=None and counts from the listing date
    return [(kp, visit_status(kp, on, kp.last) if kp.last else _status_from_listing(kp, on)) for kp in rows]


def _status_from_listing(kp: KeyPerson, on: date) -> VisitStatus:
    due = kp.since + timedelta(days=kp.interval_days)
    state = "overdue" if on > due else "due_soon" if (due - on).days <= DUE_SOON_DAYS else "ok"
    return VisitStatus(None, due, state)


def coverage(region_code: str, on: date | None = None, category: str = "") -> dict:
    """动态掌控率 on a day: active key persons in the region visited within their interval / all of them."""
    on = on or timezone.localdate()
    qs = KeyPerson.objects.active(on).filter(resident__region__code__startswith=region_code)
    if category:
        qs = qs.filter(category__code=category)
    statuses = visit_statuses(qs, on)
    total = len(statuses)
    covered = sum(1 for _kp, st in statuses if st.state != "overdue")
    return {"region": region_code, "on": on.isoformat(), "total": total, "covered": covered,
            "rate": round(covered / total, 4) if total else None}


def visit_sweep(now: datetime | None = None) -> int:
    """Raise an alert (and notify the worker and their center) for each high-risk person whose visit is
    overdue: once per person and due date, safe to run concurrently (unique constraint)."""
    from django.db import IntegrityError

    from gridgov.core.notify import notify
    from gridgov.registry.models import VisitAlert

    now = now or timezone.now()
    today = timezone.localdate(now)
    raised = 0
    qs = KeyPerson.objects.active(today).filter(risk_level=RiskLevel.HIGH)
    for kp, st in visit_statuses(qs, today):
        if st.state != "overdue":
            continue
        try:
            with transaction.atomic():
                VisitAlert.objects.create(key_person=kp, due=st.due, created_at=now)
                township = kp.resident.region.code[:9]
                operators = list(User.objects.filter(role=User.Role.OPERATOR, region__code=township, is_active=True))
                subject = _("重点人员走访已逾期：%(name)s（%(cat)s，应于%(due)s前走访）") % {
                    "name": kp.resident.name, "cat": kp.category.name, "due": st.due.isoformat()}
                notify(([kp.worker] if kp.worker else []) + operators, "visit_overdue", subject,
                       link=f"/registry/key-persons/{kp.pk}/")
            raised += 1
        except IntegrityError:
            continue
    return raised


# --- links to other domains ----------------------------------------------------------------------
# The registry sits below events, disputes and petitions and imports none of them: it asks
# gridgov.core.providers slots, which those apps fill from their AppConfig.ready():
# "event.by_number" and "registry.events" (gridgov/events/providers.py), "resident.cases"
# (gridgov/disputes/providers.py, gridgov/petitions/providers.py).  No provider: nothing to show.

LINKED_LIMIT = 50  # rows a record's page shows per list


def find_event(user, number: str):
    """The event with this number that ``user`` may see, or None."""
    from gridgov.core import providers

    return providers.first("event.by_number", number, user) if number else None


def link_event(user, number: str, *, resident: Resident | None = None, house: House | None = None,
               unit: Unit | None = None):
    """Record that an event concerns a resident, house or unit (the pages' link form): (EventSubject, created).

    The user must be a registry writer, see the record (the caller checks) and see the event."""
    from gridgov.registry.models import EventSubject

    if not can_write(user):
        raise ValidationFailed(_("您无权维护基础数据"))
    number = (number or "").strip().upper()
    event = find_event(user, number)
    if event is None:
        raise ValidationFailed(_("未找到该事件"), {"number": [_("未找到该事件，或该事件不在您的管辖范围内")]})
    subject = {"resident": resident, "house": house, "unit": unit}
    subject = {k: v for k, v in subject.items() if v is not None}
    if len(subject) != 1:
        raise ValidationFailed(_("请指定一个关联对象"))
    return EventSubject.objects.get_or_create(event=event, **subject)


def link_to_event(user, event_number: str, obj):
    """Name a resident, house or unit on an event; both must be visible to ``user``."""
    from gridgov.registry.models import EventSubject

    event = find_event(user, (event_number or "").strip())
    if event is None:
        raise ValidationFailed(_("未找到该事件"), {"event": [_("未找到该事件，或不在您的管辖范围内")]})
    model = type(obj)
    if not model.objects.visible_to(user).filter(pk=obj.pk).exists():
        raise NotFound(_("未找到该记录"))
    field_name = {Resident: "resident", House: "house", Unit: "unit"}[model]
    link, _created = EventSubject.objects.get_or_create(event=event, **{field_name: obj})
    return link


def linked_cases(user, resident: Resident) -> list[dict]:
    """The disputes a resident is a party to and the petitions they brought, as far as ``user`` may see them:
    one row per case (``url``, ``number``, ``kind``, ``detail``, ``status``, ``date``, ``object``)."""
    from gridgov.core import providers

    return [row for rows in providers.collect("resident.cases", resident, user) for row in rows]


def linked_events(user, obj, limit: int = LINKED_LIMIT) -> list:
    """The events naming this record that ``user`` may see, newest first."""
    from gridgov.core import providers

    events = providers.first("registry.events", obj, user)
    return list(events[:limit]) if events is not None else []

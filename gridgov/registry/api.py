"""Registry over HTTP: thin endpoints over ``registry.services`` with the web pages' rules.

Identity numbers and phones are masked in every response; the full values come only from
``POST /residents/{id}/reveal`` (permission ``registry.view_full_identity``, a reason, logged).
A record outside the caller's scope is a 404; department liaisons get 403 on every endpoint.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja import Status as Reply
from pydantic import Field

from gridgov.accounts.auth import api_auth
from gridgov.accounts.models import User
from gridgov.accounts.scope import region_scope_q
from gridgov.core import crypto
from gridgov.core.api_types import Coordinate, Count, Error, Id, Moment, PageParams, RefId, text
from gridgov.core.errors import Forbidden, NotFound, ValidationFailed
from gridgov.regions.models import Region
from gridgov.registry import identity, scope, transfers
from gridgov.registry.models import House, KeyCategory, KeyPerson, Resident, RiskLevel, Unit
from gridgov.registry.scope import scoped
from gridgov.registry.services import addresses, houses, privacy, residents, units, visits

router = Router(tags=["基础数据（一标三实）"], auth=api_auth)


def _reader(request) -> User:
    user = request.auth
    if not (user.is_superuser or user.role in (User.Role.ADMIN, User.Role.OPERATOR, User.Role.LEADER,
                                               User.Role.GRID_WORKER)):
        raise Forbidden("基础数据仅对综治中心、网格员和领导开放", code="not_permitted")
    return user


def _key_person_reader(request) -> User:
    user = _reader(request)
    if not scope.may_see_key_person_details(user):
        raise Forbidden("重点人员详细信息仅对网格员和综治中心开放", code="not_permitted")
    return user


def _get(model, user, pk: int, message: str):
    obj = scoped(model, user).filter(pk=pk).first()
    if obj is None:
        raise NotFound(message)
    return obj


# --- addresses ----------------------------------------------------------------------------------


class AddressOut(Schema):
    code: str
    text: str
    region: str
    region_name: str
    grid: str | None
    lng: float | None
    lat: float | None


def address_out(a) -> dict:
    return {"code": a.code, "text": a.text, "region": a.region.code, "region_name": a.region.name,
            "grid": a.grid.code if a.grid_id else None, "lng": a.lng, "lat": a.lat}


class AddressIn(Schema):
    region: text(12) = Field(description="村(社区) 12位区划代码")
    road: text(100)
    building: text(20) = ""
    unit: text(10) = ""
    floor: text(10) = ""
    room: text(20) = ""
    lng: Coordinate | None = None
    lat: Coordinate | None = None
    grid: text(15) = Field("", description="网格编码（没有定位点时）")

    def address_input(self) -> addresses.AddressInput:
        return addresses.AddressInput(region=self.region, road=self.road, building=self.building, unit=self.unit,
                                      floor=self.floor, room=self.room, lng=self.lng, lat=self.lat, grid=self.grid)


# --- residents ----------------------------------------------------------------------------------


class ResidentBrief(Schema):
    id: int
    name: str
    id_type: str
    id_number: str = Field(description="脱敏证件号码")
    phone: str = Field(description="脱敏电话")
    sex: str
    household: str
    household_label: str
    region: str
    grid: str | None
    house: int | None
    address: str | None


class Stay(Schema):
    house: int
    address: str
    relation: str
    moved_in: date | None
    moved_out: date | None


class ResidentDetail(ResidentBrief):
    birth_year: int | None
    hukou_place: str
    relation: str
    moved_in: date | None
    moved_out: date | None
    residences: list[Stay]


def resident_brief(r: Resident) -> dict:
    m = privacy.masked(r)
    return {"id": r.pk, "name": r.name, "id_type": r.id_type, "id_number": m["id_number"], "phone": m["phone"],
            "sex": r.sex, "household": r.household, "household_label": r.get_household_display(),
            "region": r.region.code, "grid": r.grid.code if r.grid_id else None, "house": r.house_id,
            "address": r.house.address.text if r.house_id else None}


def resident_detail(r: Resident) -> dict:
    out = resident_brief(r)
    out.update({
        "birth_year": r.birth_date.year if r.birth_date else None, "hukou_place": r.hukou_place,
        "relation": r.relation, "moved_in": r.moved_in, "moved_out": r.moved_out,
        "residences": [{"house": s.house_id, "address": s.house.address.text, "relation": s.relation,
                        "moved_in": s.moved_in, "moved_out": s.moved_out}
                       for s in r.residences.select_related("house__address")],
    })
    return out


class ResidentPage(Schema):
    count: int
    results: list[ResidentBrief]


@router.get("/residents", summary="实有人口列表", response={200: ResidentPage, 403: Error})
def list_residents(request, q: str = "", household: str = "", region: str = "", current: bool = True,
                   id_number: str = "",
                   page: Query[PageParams] = None):
    """Residents you may see (masked).  q: name contains; region: code prefix; current: only those living here;
    id_number: one document (居民身份证 unless it is not a valid one), among the records you may see only."""
    user = _reader(request)
    qs = scoped(Resident, user).select_related("region", "grid", "house__address")
    if id_number.strip():
        found = residents.find_any_document_in_scope(user, id_number)
        qs = qs.filter(pk=found.pk if found else None)
    if q:
        qs = qs.filter(name__icontains=q.strip())
    if household:
        qs = qs.filter(household=household)
    if region:
        qs = qs.filter(region__code__startswith=region)
    if current:
        qs = qs.filter(house__isnull=False)
    qs = qs.order_by("name", "id")
    return {"count": qs.count(), "results": [resident_brief(r) for r in page.window(qs)]}


@router.get("/residents/{resident_id}", summary="实有人口详情", response={200: ResidentDetail, 403: Error, 404: Error})
def get_resident(request, resident_id: Id):
    user = _reader(request)
    return resident_detail(_get(Resident, user, resident_id, "未找到该人员"))


class ResidentIn(Schema):
    name: text(50)
    id_type: text(16) = Resident.IdType.RIC
    id_number: text(32) = ""
    phone: text(32) = ""
    household: text(16) = Resident.Household.REGISTERED
    hukou_place: text(100) = ""
    relation: text(20) = ""
    moved_in: date | None = None
    birth_date: date | None = None
    sex: text(1) = ""
    house: RefId = Field(description="现居房屋 id")


class RegistrationReceipt(Schema):
    status: str = Field(description="submitted")
    message: str
    house: int = Field(description="登记的现居房屋 id")


SUBMITTED = ("已提交登记。如该人员已在其他辖区登记，须经原登记辖区确认后迁入本辖区；否则已登记在本辖区，"
             "可按证件号码查询。")


@router.post("/residents", summary="登记实有人口",
             response={200: ResidentDetail, 202: RegistrationReceipt, 403: Error, 422: Error})
def register_resident(request, payload: ResidentIn):
    """Register a resident in a house you may see.

    - the document is one of your own records: that person is updated (and moved into the house): 200 with them;
    - otherwise 202 with the same receipt, whether the person was new (created now: find them with
      ``GET /residents?id_number=``) or is registered outside your scope (a transfer request for the side that
      keeps the record, which confirms or refuses it; you are notified of the outcome).  The answer does not
      tell which, so it never says whether — or where — a number is registered outside your scope."""
    user = _reader(request)
    house = scoped(House, user).filter(pk=payload.house).first()
    if house is None:
        raise ValidationFailed("人员信息有误，请检查", {"house": ["未找到该房屋"]})
    data = payload.dict()
    data["house"] = house
    reg = residents.register_resident(user, residents.ResidentInput(**data), source="api")
    if reg.submitted:
        return Reply(202, {"status": "submitted", "message": SUBMITTED, "house": house.pk})
    resident = Resident.objects.select_related("region", "grid", "house__address").get(pk=reg.resident.pk)
    return Reply(200, resident_detail(resident))


class RevealIn(Schema):
    reason: text(200) = Field(description="查看事由（记录在案）")


class RevealOut(Schema):
    id: int
    name: str
    id_number: str
    phone: str


@router.post("/residents/{resident_id}/reveal", summary="查看完整证件号码和电话（留痕）",
             response={200: RevealOut, 403: Error, 404: Error, 422: Error})
def reveal_resident(request, resident_id: Id, payload: RevealIn):
    """The full identity number and phone: needs the permission and a reason; every call is logged."""
    user = _reader(request)
    resident = _get(Resident, user, resident_id, "未找到该人员")
    full = privacy.reveal(user, resident, payload.reason)
    return {"id": resident.pk, "name": resident.name, "id_number": full.get("id_number", ""),
            "phone": full.get("phone", "")}


# --- houses -------------------------------------------------------------------------------------


class HouseOut(Schema):
    id: int
    address: AddressOut
    structure: str
    use: str
    status: str
    status_label: str
    area: float | None
    owner_name: str
    owner_phone: str = Field(description="脱敏电话")
    residents: int


def house_out(h: House) -> dict:
    return {"id": h.pk, "address": address_out(h.address), "structure": h.structure, "use": h.use,
            "status": h.status, "status_label": h.get_status_display(),
            "area": float(h.area) if h.area is not None else None, "owner_name": h.owner_name,
            "owner_phone": crypto.mask_phone(h.owner_phone), "residents": h.residents.count()}


class HousePage(Schema):
    count: int
    results: list[HouseOut]


@router.get("/houses", summary="实有房屋列表", response={200: HousePage, 403: Error})
def list_houses(request, region: str = "", grid: str = "", status: str = "", q: str = "",
                page: Query[PageParams] = None):
    user = _reader(request)
    qs = scoped(House, user).select_related("address", "address__region", "address__grid")
    if region:
        qs = qs.filter(address__region__code__startswith=region)
    if grid:
        qs = qs.filter(address__grid__code=grid)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(address__road__icontains=q.strip())
    qs = qs.order_by("address__code")
    return {"count": qs.count(), "results": [house_out(h) for h in page.window(qs)]}


@router.get("/houses/{house_id}", summary="实有房屋详情", response={200: HouseOut, 403: Error, 404: Error})
def get_house(request, house_id: Id):
    user = _reader(request)
    return house_out(_get(House, user, house_id, "未找到该房屋"))


class HouseIn(AddressIn):
    structure: text(16) = ""
    use: text(16) = ""
    status: text(16) = ""
    area: float | None = Field(None, ge=0, lt=10**7, allow_inf_nan=False, description="面积(㎡)")
    owner_name: text(50) = ""
    owner_phone: text(32) = ""


@router.post("/houses", summary="登记实有房屋", response={200: HouseOut, 201: HouseOut, 403: Error, 409: Error, 422: Error})
def create_house(request, payload: HouseIn):
    """Register a house at a standard address (created when new).  The address already has a house you may
    see: that house (200), unchanged; one you may not see: 409."""
    user = _reader(request)
    with transaction.atomic():
        address, _created = addresses.get_or_create_address(user, payload.address_input(), source="api")
        existing = House.objects.filter(address=address).first()
        if existing is None:
            house, _c = houses.save_house(user, address, structure=payload.structure, use=payload.use,
                                          status=payload.status, area=payload.area, owner_name=payload.owner_name,
                                          owner_phone=payload.owner_phone, source="api")
    if existing is not None:
        if scoped(House, user).filter(pk=existing.pk).exists():
            return Reply(200, house_out(existing))
        return Reply(409, {"code": "conflict", "message": "该地址已登记过房屋"})
    return Reply(201, house_out(house))


# --- units --------------------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    name: str
    uscc: str
    kind: str
    kind_label: str
    address: AddressOut
    legal_rep: str
    contact: str
    phone: str
    key_flags: list[str]
    employees: int | None


def unit_out(u: Unit) -> dict:
    return {"id": u.pk, "name": u.name, "uscc": u.uscc, "kind": u.kind, "kind_label": u.get_kind_display(),
            "address": address_out(u.address), "legal_rep": u.legal_rep, "contact": u.contact,
            "phone": crypto.mask_phone(u.phone), "key_flags": u.key_flags, "employees": u.employees}


class UnitPage(Schema):
    count: int
    results: list[UnitOut]


@router.get("/units", summary="实有单位列表", response={200: UnitPage, 403: Error})
def list_units(request, q: str = "", kind: str = "", key_only: bool = False, region: str = "",
               page: Query[PageParams] = None):
    user = _reader(request)
    qs = scoped(Unit, user).select_related("address", "address__region", "address__grid")
    if q:
        qs = qs.filter(name__icontains=q.strip())
    if kind:
        qs = qs.filter(kind=kind)
    if key_only:
        qs = qs.exclude(key_flags=[])
    if region:
        qs = qs.filter(address__region__code__startswith=region)
    qs = qs.order_by("name", "id")
    return {"count": qs.count(), "results": [unit_out(u) for u in page.window(qs)]}


class UnitIn(AddressIn):
    name: text(200)
    uscc: text(32) = ""
    kind: text(16) = Unit.Kind.ENTERPRISE
    legal_rep: text(50) = ""
    contact: text(50) = ""
    phone: text(32) = ""
    key_flags: list[str] = []
    employees: Count | None = None


@router.post("/units", summary="登记实有单位", response={201: UnitOut, 403: Error, 409: Error, 422: Error})
def create_unit(request, payload: UnitIn):
    user = _reader(request)
    if payload.uscc:
        try:
            code = identity.check_uscc(payload.uscc)
        except ValueError:
            code = ""
        if code and Unit.objects.filter(uscc=code).exists():
            return Reply(409, {"code": "conflict", "message": "该统一社会信用代码已登记",
                               "fields": {"uscc": ["该统一社会信用代码已登记"]}})
    with transaction.atomic():
        address, _created = addresses.get_or_create_address(user, payload.address_input(), source="api")
        unit, _c = units.save_unit(user, units.UnitInput(
            name=payload.name, address=address, uscc=payload.uscc, kind=payload.kind, legal_rep=payload.legal_rep,
            contact=payload.contact, phone=payload.phone, key_flags=list(payload.key_flags),
            employees=payload.employees), source="api")
    return Reply(201, unit_out(unit))


# --- key persons and visits -----------------------------------------------------------------------


class KeyPersonOut(Schema):
    id: int
    resident: int
    name: str
    category: str
    category_name: str
    risk_level: str
    worker: str | None
    since: date
    interval_days: int
    last_visit: datetime | None
    due: date
    state: str = Field(description="ok / due_soon / overdue")


def key_person_out(kp: KeyPerson, st) -> dict:
    return {"id": kp.pk, "resident": kp.resident_id, "name": kp.resident.name, "category": kp.category.code,
            "category_name": kp.category.name, "risk_level": kp.risk_level,
            "worker": kp.worker.username if kp.worker_id else None, "since": kp.since,
            "interval_days": kp.interval_days, "last_visit": st.last_visit, "due": st.due, "state": st.state}


class KeyPersonPage(Schema):
    count: int
    results: list[KeyPersonOut]


@router.get("/key-persons", summary="重点人员及走访状态", response={200: KeyPersonPage, 403: Error})
def list_key_persons(request, category: str = "", risk: str = "", state: str = "", worker: str = "",
                     page: Query[PageParams] = None):
    """Active key persons you may see with their visit status, overdue first.
    worker: a grid worker's username (``me`` for yourself)."""
    user = _key_person_reader(request)
    qs = scoped(KeyPerson, user).active()
    if category:
        qs = qs.filter(category__code=category)
    if risk in RiskLevel.values:
        qs = qs.filter(risk_level=risk)
    if worker:
        qs = qs.filter(worker=user) if worker == "me" else qs.filter(worker__username=worker)
    rows = visits.visit_statuses(qs)
    if state:
        rows = [(kp, st) for kp, st in rows if st.state == state]
    order = {"overdue": 0, "due_soon": 1, "ok": 2}
    rows.sort(key=lambda p: (order.get(p[1].state, 3), p[1].due, p[0].pk))
    return {"count": len(rows), "results": [key_person_out(kp, st) for kp, st in page.window(rows)]}


class VisitIn(Schema):
    method: text(16) = Field(description="in_person / phone / video")
    findings: text(5000)
    visited_at: Moment | None = None
    abnormal: bool = False
    lng: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)


class VisitOut(Schema):
    id: int
    key_person: int
    method: str
    visited_at: datetime
    findings: str
    abnormal: bool
    next_due: date
    state: str


@router.post("/key-persons/{key_person_id}/visits", summary="记录重点人员走访",
             response={201: VisitOut, 403: Error, 404: Error, 422: Error})
def record_visit(request, key_person_id: Id, payload: VisitIn):
    user = _key_person_reader(request)
    kp = _get(KeyPerson, user, key_person_id, "未找到该重点人员")
    visit = visits.record_visit(user, kp, method=payload.method, findings=payload.findings,
                                visited_at=payload.visited_at, abnormal=payload.abnormal, lng=payload.lng,
                                lat=payload.lat)
    st = visits.visit_status(kp)
    return Reply(201, {"id": visit.pk, "key_person": kp.pk, "method": visit.method, "visited_at": visit.visited_at,
                       "findings": visit.findings, "abnormal": visit.abnormal, "next_due": st.due,
                       "state": st.state})


# --- coverage -----------------------------------------------------------------------------------


class CoverageOut(Schema):
    region: str
    on: date
    total: int
    covered: int
    rate: float | None = Field(description="covered / total; null when there is nobody to visit")
    category: str = ""


@router.get("/registry/coverage", summary="重点人员动态掌控率", response={200: CoverageOut, 403: Error, 404: Error, 422: Error})
def coverage(request, region: str = "", on: date | None = None, category: str = ""):
    """动态掌控率 of a region (default: your own) on a day (default: today): active key persons visited
    within their interval / all of them."""
    user = _reader(request)
    code = region.strip() or (user.region.code if user.region_id else "")
    if code:
        if not Region.objects.filter(code=code).filter(region_scope_q(user, "code")).exists():
            raise NotFound("未找到该区划")
    elif not (user.is_superuser or user.role == User.Role.ADMIN):
        raise NotFound("未找到该区划")
    if category and not KeyCategory.objects.filter(code=category).exists():
        raise ValidationFailed("类别无效", {"category": ["类别无效"]})
    if on is not None and on > timezone.localdate():
        raise ValidationFailed("日期不能晚于今天", {"on": ["日期不能晚于今天"]})
    out = visits.coverage(code, on, category)
    return {**out, "on": date.fromisoformat(out["on"]), "category": category}


# --- transfer requests (人口迁移申请) ----------------------------------------------------------------


class TransferOut(Schema):
    id: int
    status: str = Field(description="pending / confirmed / refused / cancelled")
    status_label: str
    resident: int = Field(description="原登记的人员 id（本辖区的记录）")
    name: str = Field(description="原登记的姓名")
    id_number: str = Field(description="脱敏证件号码")
    from_region: str
    from_region_name: str
    to_region: str
    to_region_name: str
    address: str = Field(description="申请迁入的地址")
    submitted: dict = Field(description="申请登记的信息（电话脱敏，出生日期只给年份）")
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str


def transfer_out(t) -> dict:
    return {
        "id": t.pk, "status": t.status, "status_label": t.get_status_display(), "resident": t.resident_id,
        "name": t.resident.name, "id_number": t.resident.id_masked, "from_region": t.from_region.code,
        "from_region_name": t.from_region.name, "to_region": t.to_region.code, "to_region_name": t.to_region.name,
        "address": t.house.address.text, "submitted": transfers.submitted_values(t),
        "requested_by": transfers.who(t.requested_by), "requested_at": t.requested_at,
        "decided_by": transfers.who(t.decided_by) if t.decided_by_id else None, "decided_at": t.decided_at,
        "reason": t.reason,
    }


class TransferPage(Schema):
    count: int
    results: list[TransferOut]


class RefuseIn(Schema):
    reason: text(200) = Field(description="不予确认的理由（申请人可见）")


def _transfers(user):
    return transfers.visible(user).select_related("resident", "from_region", "to_region", "house__address",
                                                  "requested_by__region", "decided_by__region")


@router.get("/transfers", summary="待我确认的迁移申请", response={200: TransferPage, 403: Error})
def list_transfers(request, status: str = "pending", page: Query[PageParams] = None):
    """Transfer requests for the records you keep (the side that confirms or refuses); status: pending
    (default), confirmed, refused, cancelled or all.  A requester does not see their own requests here: they
    are told the outcome."""
    user = _reader(request)
    qs = _transfers(user)
    if status != "all":
        qs = qs.filter(status=status)
    return {"count": qs.count(), "results": [transfer_out(t) for t in page.window(qs)]}


@router.post("/transfers/{transfer_id}/confirm", summary="确认迁移申请",
             response={200: TransferOut, 403: Error, 404: Error, 409: Error, 422: Error})
def confirm_transfer(request, transfer_id: Id):
    """Confirm: the submitted values are written and the person moves into the requested house (the record
    then belongs to the requesting side).  Operators of the keeping side only; not pending: 409."""
    user = _reader(request)
    t = transfers.confirm(user, transfer_id, source="api")
    return transfer_out(t)


@router.post("/transfers/{transfer_id}/refuse", summary="拒绝迁移申请",
             response={200: TransferOut, 403: Error, 404: Error, 409: Error, 422: Error})
def refuse_transfer(request, transfer_id: Id, payload: RefuseIn):
    """Refuse with a reason (2–200 characters) the requester reads; the record stays as it is."""
    user = _reader(request)
    t = transfers.refuse(user, transfer_id, payload.reason, source="api")
    return transfer_out(t)

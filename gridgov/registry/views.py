"""Registry web pages (一标三实 and key populations).  Thin: reads go through ``visible_to``, writes
through ``registry.services``.

Rules every page keeps:

* department liaisons see nothing of the registry (403); leaders read, masked, and get statistics but
  no key-person details (403 on those pages); a record outside the user's scope is the 404 page;
* identity numbers and phones are masked everywhere; the full values appear only on the resident page
  right after ``services.privacy.reveal`` (permission + reason + access log), and in a full export (permission +
  reason, logged by the export);
* a form that fails validation re-renders with Chinese field messages and status 400, and writes nothing.
"""

from __future__ import annotations

import base64
from datetime import date
from functools import wraps

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.models import User
from gridgov.core import crypto
from gridgov.core.errors import DomainError, ValidationFailed
from gridgov.core.text import as_pk
from gridgov.regions.models import Grid, Region
from gridgov.registry import identity, scope
from gridgov.registry.forms import (
    IMPORT_KINDS,
    ExportForm,
    HouseEditForm,
    HouseForm,
    ImportForm,
    KeyPersonForm,
    LinkEventForm,
    MoveForm,
    ResidentForm,
    RevealForm,
    TenancyForm,
    UnitForm,
    VisitForm,
    communities_for,
    grids_for,
    worker_choices,
)
from gridgov.registry.models import (
    Address,
    Change,
    House,
    KeyCategory,
    KeyPerson,
    Resident,
    RiskLevel,
    TransferRequest,
    Unit,
    VisitPhoto,
)
from gridgov.registry.scope import scoped
from gridgov.registry.services.access import can_write
from gridgov.registry.services.addresses import get_or_create_address
from gridgov.registry.services.history import history
from gridgov.registry.services.houses import add_tenancy, save_house
from gridgov.registry.services.key_people import list_key_person
from gridgov.registry.services.links import link_event, linked_cases, linked_events
from gridgov.registry.services.privacy import masked, reveal
from gridgov.registry.services.residents import ResidentInput, move_resident, register_resident
from gridgov.registry.services.units import save_unit
from gridgov.registry.services.visits import coverage, record_visit, visit_status, visit_statuses
from gridgov.web.views import forbidden, not_found, web_status

PAGE_SIZE = 30
# the answer to every registration that is not an update of one of the user's own records
SUBMITTED = _lazy("已提交登记。如该人员已在其他辖区登记，须经原登记辖区确认后迁入本辖区；否则已登记在本辖区。")
R = User.Role
READERS = (R.ADMIN, R.OPERATOR, R.LEADER, R.GRID_WORKER)
VISIT_STATES = [("overdue", "已逾期"), ("due_soon", "即将到期"), ("ok", "正常")]


# --- access -------------------------------------------------------------------------------------


def _role(user) -> str:
    return R.ADMIN if user.is_superuser else user.role


def registry_reader(view):
    """Signed in and not a liaison (liaisons work on dispatched events, not on the population register)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if _role(request.user) not in READERS:
            return forbidden(request, _("基础数据仅对综治中心、网格员和领导开放"))
        return view(request, *args, **kwargs)

    return wrapped


def registry_writer(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if _role(request.user) not in READERS:
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


def _one(model, user, pk):
    return scoped(model, user).filter(pk=pk).first()


def _paginate(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _params(request, names) -> dict:
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


def _counts(qs, field: str, choices) -> list[dict]:
    found = dict(qs.order_by().values_list(field).annotate(n=Count("pk")))
    return [{"code": code, "label": label, "count": found.get(code, 0)} for code, label in choices]


# --- coverage -----------------------------------------------------------------------------------


def rate_of(statuses) -> dict:
    total = len(statuses)
    covered = sum(1 for _kp, st in statuses if st.state != "overdue")
    return {"total": total, "covered": covered, "rate": round(covered / total, 4) if total else None}


def coverage_for(user, region_code: str | None = None, on: date | None = None) -> dict | None:
    """动态掌控率 as the user may see it: a region for centers and leaders, their own people for a grid worker."""
    on = on or timezone.localdate()
    role = _role(user)
    if role == R.GRID_WORKER:
        statuses = visit_statuses(scoped(KeyPerson, user).active(on), on)
        return {**rate_of(statuses), "label": _("我负责的重点人员"), "on": on.isoformat()}
    if role in (R.OPERATOR, R.LEADER, R.ADMIN):
        code = region_code if region_code is not None else (user.region.code if user.region_id else "")
        out = coverage(code, on)
        region = Region.objects.filter(code=code).first()
        out["label"] = region.name if region else _("全部区划")
        return out
    return None


def _region_param(request) -> Region | None:
    """A region below the user's own, chosen for drill-down (None: the user's own)."""
    code = (request.GET.get("region") or "").strip()
    if not code:
        return None
    user = request.user
    region = Region.objects.filter(code=code).first()
    if region is None:
        return None
    if user.is_superuser or user.role == R.ADMIN:
        return region
    if user.region_id and code.startswith(user.region.code) and user.role in (R.OPERATOR, R.LEADER):
        return region
    return None


# --- home ---------------------------------------------------------------------------------------


@registry_reader
def home(request):
    user = request.user
    role = _role(user)
    on = timezone.localdate()
    chosen = _region_param(request)
    houses = scoped(House, user)
    residents = scoped(Resident, user).filter(house__isnull=False)
    units = scoped(Unit, user)
    if chosen is not None:
        houses = houses.filter(address__region__code__startswith=chosen.code)
        residents = residents.filter(region__code__startswith=chosen.code)
        units = units.filter(address__region__code__startswith=chosen.code)
    if role == R.LEADER:
        # statistics only: the key persons of the region, never their details
        region_code = chosen.code if chosen else (user.region.code if user.region_id else "")
        key_people = KeyPerson.objects.active(on).filter(resident__region__code__startswith=region_code)
    else:
        key_people = scoped(KeyPerson, user).active(on)
        if chosen is not None:
            key_people = key_people.filter(resident__region__code__startswith=chosen.code)
    categories = list(KeyCategory.objects.filter(active=True))
    kp_found = dict(key_people.order_by().values_list("category_id").annotate(n=Count("pk")))
    children = []
    if role in (R.OPERATOR, R.LEADER, R.ADMIN):
        base = chosen or (user.region if user.region_id else None)
        if base is not None and base.level < Region.Level.COMMUNITY:
            for child in Region.objects.filter(parent=base).order_by("code")[:60]:
                # after the spread: coverage() has its own "region" (the code), the row needs the Region
                children.append({**coverage(child.code, on), "region": child})
    ctx = {
        "chosen": chosen,
        "addresses": (scoped(Address, user).filter(region__code__startswith=chosen.code) if chosen
                      else scoped(Address, user)).count(),
        "house_total": houses.count(),
        "house_counts": _counts(houses, "status", House.Status.choices),
        "resident_total": residents.count(),
        "resident_counts": _counts(residents, "household", Resident.Household.choices),
        "unit_total": units.count(),
        "key_unit_total": units.exclude(key_flags=[]).count(),
        "kp_total": sum(kp_found.values()),
        "kp_counts": [{"category": c, "count": kp_found.get(c.pk, 0)} for c in categories],
        "coverage": coverage_for(user, chosen.code if chosen else None, on),
        "children": children,
        "kp_details": scope.may_see_key_person_details(user),
        "can_write": can_write(user),
        "due": _due_summary(user, on) if scope.may_see_key_person_details(user) else None,
    }
    return render(request, "registry/home.html", ctx)


def _due_summary(user, on) -> dict:
    statuses = visit_statuses(scoped(KeyPerson, user).active(on), on)
    if _role(user) == R.GRID_WORKER:
        statuses = [(kp, st) for kp, st in statuses if kp.worker_id in (None, user.pk)]
    return {"overdue": sum(1 for _k, st in statuses if st.state == "overdue"),
            "due_soon": sum(1 for _k, st in statuses if st.state == "due_soon")}


# --- change history -----------------------------------------------------------------------------

ACTION_LABELS = {"create": "新增", "update": "修改", "move": "迁居", "delete": "删除"}
EXTRA_LABELS = {"id_number": "证件号码", "id_masked": "证件号码", "birth_date": "出生年份",  # history keeps the year only
                "phone": "联系电话", "owner_phone": "产权人电话"}  # sealed phones: stored as <name>_enc/_hash


def _fk_label(field, pk, cache: dict) -> str:
    key = (field.related_model, pk)
    if key not in cache:
        obj = field.related_model._default_manager.filter(pk=pk).first()
        if obj is None:
            cache[key] = f"#{pk}"
        elif isinstance(obj, House):
            cache[key] = obj.address.text
        elif isinstance(obj, Grid):
            cache[key] = obj.name
        elif isinstance(obj, User):
            cache[key] = obj.display_name
        else:
            cache[key] = str(obj)
    return cache[key]


def _attribute_labels(change, cache: dict) -> dict:
    """A key person's category attributes, key -> label: the history stores the keys."""
    key = ("attributes", change.object_id)
    if key not in cache:
        kp = KeyPerson.objects.select_related("category").filter(pk=change.object_id).first()
        specs = kp.category.attributes if kp is not None else []
        cache[key] = {s["key"]: s.get("label") or s["key"] for s in specs if s.get("key")}
    return cache[key]


def _display(model, name: str, value, cache: dict, labels: dict | None = None) -> str:
    if value in (None, "", [], {}):
        return "—"
    try:
        field = model._meta.get_field(name)
    except Exception:  # a renamed key such as id_number
        field = None
    if field is not None and field.is_relation and isinstance(value, int):
        return _fk_label(field, value, cache)
    if field is not None and field.choices:
        return str(dict(field.choices).get(value, value))
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if name == "key_flags" and isinstance(value, list):
        return "、".join(str(Unit.KEY_FLAGS.get(v, v)) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{(labels or {}).get(k, k)}：{v}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _label(model, name: str) -> str:
    if name in EXTRA_LABELS:
        return _(EXTRA_LABELS[name])
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:
        return name


def history_rows(changes) -> list[dict]:
    """Change rows for display: who, when, what (field, old, new); personal values are stored masked."""
    cache: dict = {}
    rows = []
    for ch in changes:
        try:
            model = apps.get_model("registry", ch.model)
        except LookupError:
            continue
        items = []
        # in the model's field order: PostgreSQL's jsonb does not keep the order the keys were written in
        order = {f.name: i for i, f in enumerate(model._meta.fields)}
        for name, pair in sorted((ch.changes or {}).items(),
                                 key=lambda kv: (order.get(kv[0], order.get(f"{kv[0]}_enc", len(order))), kv[0])):
            if name in ("id_number_enc", "id_hash", "key"):
                continue
            old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            labels = _attribute_labels(ch, cache) if model is KeyPerson and name == "attributes" else None
            items.append({"label": _label(model, name), "old": _display(model, name, old, cache, labels),
                          "new": _display(model, name, new, cache, labels)})
        rows.append({"change": ch, "what": str(model._meta.verbose_name),
                     "action": _(ACTION_LABELS.get(ch.action, ch.action)), "items": items,
                     "actor": ch.actor.display_name if ch.actor_id else _("系统"),
                     "source": _source_label(ch.source)})
    return rows


def _source_label(source: str) -> str:
    if source.startswith("import:"):
        return _("Excel导入：%(f)s") % {"f": source[7:]}
    if source.startswith("transfer:"):
        return _("人口迁移申请确认（第%(n)s号）") % {"n": source[9:]}
    return {"web": _("网页"), "api": _("接口")}.get(source, source)


def _house_history(house: House) -> list[Change]:
    q = Q(model="house", object_id=house.pk) | Q(model="address", object_id=house.address_id)
    tenancy_ids = list(house.tenancies.values_list("pk", flat=True))
    if tenancy_ids:
        q |= Q(model="tenancy", object_id__in=tenancy_ids)
    return list(Change.objects.filter(q).select_related("actor")[:200])


# --- linked events ------------------------------------------------------------------------------

LINK_KINDS = {"resident": Resident, "house": House, "unit": Unit}


@registry_writer
@require_POST
def link_event_view(request, kind: str, pk: int):
    model = LINK_KINDS.get(kind)
    obj = _one(model, request.user, pk) if model else None
    if obj is None:
        return not_found(request)
    form = LinkEventForm(request.POST)
    error = None
    if form.is_valid():
        try:
            _subject, created = link_event(request.user, form.cleaned_data["number"], **{kind: obj})
        except DomainError as exc:
            form.apply_domain_error(exc)
            error = exc
        else:
            number = form.cleaned_data["number"].strip().upper()
            if created:
                messages.success(request, _("已关联事件 %(n)s") % {"n": number})
            else:
                messages.info(request, _("事件 %(n)s 已关联过") % {"n": number})
            return redirect(f"registry:{kind}_detail", obj.pk)
    builders = {"resident": _resident_context, "house": _house_context, "unit": _unit_context}
    ctx = builders[kind](request, obj, link_form=form)
    status = web_status(error) if error else 400
    return render(request, f"registry/{kind}_detail.html", ctx, status=status)


# --- houses -------------------------------------------------------------------------------------

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
    params = _params(request, HOUSE_FILTERS)
    qs = filtered_houses(user, params).annotate(n_residents=Count("residents"))
    communities = communities_for(user) if _role(user) != R.LEADER else _leader_communities(user)
    ctx = {
        "page": _paginate(request, qs),
        "params": params,
        "communities": communities,
        "grids": grids_for(user, communities),
        "status_choices": House.Status.choices,
        "can_write": can_write(user),
        **_export_ctx(user, "houses"),
    }
    return render(request, "registry/house_list.html", ctx)


def _leader_communities(user):
    qs = Region.objects.filter(level=Region.Level.COMMUNITY)
    return list(qs.filter(code__startswith=user.region.code).order_by("code")[:500]) if user.region_id else []


def _form_ctx(request, form, **extra) -> dict:
    return {"form": form, "grids_url": _grids_url(request.user), **extra}


@registry_writer
def house_new(request):
    user = request.user
    if request.method != "POST":
        return render(request, "registry/house_form.html", _form_ctx(request, HouseForm(user=user)))
    form = HouseForm(request.POST, user=user)
    if not form.is_valid():
        return render(request, "registry/house_form.html", _form_ctx(request, form), status=400)
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
        return render(request, "registry/house_form.html", _form_ctx(request, form), status=400)
    except DomainError as exc:
        form.apply_domain_error(exc)
        return render(request, "registry/house_form.html", _form_ctx(request, form), status=web_status(exc))
    messages.success(request, _("房屋已登记：%(a)s") % {"a": house.address.text})
    return redirect("registry:house_detail", house.pk)


class _AlreadyRegistered(Exception):
    def __init__(self, obj):
        super().__init__("already registered")
        self.obj = obj


@registry_writer
def house_edit(request, pk: int):
    user = request.user
    house = _one(House, user, pk)
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


def _house_context(request, house: House, **extra) -> dict:
    user = request.user
    residents = list(scoped(Resident, user).filter(house=house).order_by("id"))
    return {
        "house": house,
        "address": house.address,
        "residents": residents,
        "tenancies": list(house.tenancies.select_related("tenant")),
        "history": history_rows(_house_history(house)),
        "events": linked_events(user, house),
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
    return render(request, "registry/house_detail.html", _house_context(request, house))


@registry_writer
def tenancy_new(request, pk: int):
    user = request.user
    house = _one(House, user, pk)
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


# --- residents ----------------------------------------------------------------------------------

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
    params = _params(request, RESIDENT_FILTERS)
    ctx = {
        "page": _paginate(request, filtered_residents(user, params)),
        "params": params,
        "household_choices": Resident.Household.choices,
        "can_write": can_write(user),
        **_export_ctx(user, "residents"),
    }
    return render(request, "registry/resident_list.html", ctx)


@registry_writer
def resident_new(request):
    user = request.user
    house = None
    pre = request.GET.get("house") or request.POST.get("house")
    if as_pk(pre):
        house = _one(House, user, as_pk(pre))
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


def _resident_context(request, resident: Resident, **extra) -> dict:
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
        "events": linked_events(user, resident),
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
    return render(request, "registry/resident_detail.html", _resident_context(request, resident))


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
                      _resident_context(request, resident, reveal_form=form), status=400)
    try:
        revealed = reveal(user, resident, form.cleaned_data["reason"])
    except DomainError as exc:
        form.apply_domain_error(exc)
        return render(request, "registry/resident_detail.html",
                      _resident_context(request, resident, reveal_form=form), status=web_status(exc))
    return render(request, "registry/resident_detail.html",
                  _resident_context(request, resident, revealed=revealed))


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
        house = _one(House, user, as_pk(d["house"])) if as_pk(d.get("house")) else None
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
                if _one(Resident, user, resident.pk) is None:
                    return redirect("registry:resident_list")
                return redirect("registry:resident_detail", resident.pk)
    return render(request, "registry/resident_detail.html", _resident_context(request, resident, move_form=form),
                  status=status)


# --- units --------------------------------------------------------------------------------------

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
    params = _params(request, UNIT_FILTERS)
    ctx = {
        "page": _paginate(request, filtered_units(user, params)),
        "params": params,
        "kind_choices": Unit.Kind.choices,
        "flag_choices": list(Unit.KEY_FLAGS.items()),
        "can_write": can_write(user),
        **_export_ctx(user, "units"),
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
    unit = _one(Unit, request.user, pk)
    if unit is None:
        return not_found(request, _("未找到该单位，或该单位不在您的管辖范围内"))
    return _unit_form(request, unit)


def _unit_form(request, unit: Unit | None):
    user = request.user
    extra = {"unit": unit}
    if request.method != "POST":
        return render(request, "registry/unit_form.html", _form_ctx(request, UnitForm(user=user, unit=unit), **extra))
    form = UnitForm(request.POST, user=user, unit=unit)
    if not form.is_valid():
        return render(request, "registry/unit_form.html", _form_ctx(request, form, **extra), status=400)
    try:
        saved, created = _save_unit(request, form, unit)
    except DomainError as exc:
        form.apply_domain_error(exc)
        return render(request, "registry/unit_form.html", _form_ctx(request, form, **extra), status=web_status(exc))
    messages.success(request, (_("单位已登记：%(n)s") if created else _("单位信息已保存：%(n)s")) % {"n": saved.name})
    return redirect("registry:unit_detail", saved.pk)


def _unit_context(request, unit: Unit, **extra) -> dict:
    user = request.user
    return {
        "unit": unit,
        "flags": [Unit.KEY_FLAGS.get(f, f) for f in unit.key_flags],
        "history": history_rows(history(unit)),
        "events": linked_events(user, unit),
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
    return render(request, "registry/unit_detail.html", _unit_context(request, unit))


# --- key persons --------------------------------------------------------------------------------

KP_FILTERS = ("category", "risk", "state", "worker", "q")


def filtered_key_persons(user, params: dict, on: date | None = None):
    qs = scoped(KeyPerson, user).active(on)
    if params.get("category"):
        qs = qs.filter(category__code=params["category"])
    if params.get("risk") in RiskLevel.values:
        qs = qs.filter(risk_level=params["risk"])
    worker = params.get("worker") or ""
    if worker == "none":
        qs = qs.filter(worker__isnull=True)
    elif worker.isascii() and worker.isdigit():
        qs = qs.filter(worker_id=as_pk(worker)) if as_pk(worker) else qs.none()
    if params.get("q"):
        qs = qs.filter(resident__name__icontains=params["q"])
    return qs


def _state_order(pair):
    kp, st = pair
    return ({"overdue": 0, "due_soon": 1, "ok": 2}.get(st.state, 3), st.due, kp.pk)


def key_person_rows(user, params: dict, on: date | None = None):
    rows = visit_statuses(filtered_key_persons(user, params, on), on)
    if params.get("state") in ("ok", "due_soon", "overdue"):
        rows = [(kp, st) for kp, st in rows if st.state == params["state"]]
    return sorted(rows, key=_state_order)


@key_person_user
def kp_list(request):
    user = request.user
    params = _params(request, KP_FILTERS)
    rows = key_person_rows(user, params)
    ctx = {
        "page": _paginate(request, rows),
        "params": params,
        "categories": KeyCategory.objects.filter(active=True),
        "risk_choices": RiskLevel.choices,
        "state_choices": VISIT_STATES,
        "worker_choices": worker_choices(user)[1:],
        "can_write": can_write(user),
        **_export_ctx(user, "key_persons"),
    }
    return render(request, "registry/kp_list.html", ctx)


def _kp_residents(user, pk: str | None):
    qs = scoped(Resident, user).filter(house__isnull=False).order_by("name", "id")
    if as_pk(pk):
        one = list(scoped(Resident, user).filter(pk=as_pk(pk)))
        if one:
            return one, True
    return list(qs[:500]), False


def _attr_errors(form) -> dict:
    return {k.split(".", 1)[1]: v for k, v in form.extra_errors.items() if k.startswith("attributes.")}


def _kp_form_ctx(form: KeyPersonForm, category: KeyCategory | None, fixed: bool, key_person=None) -> dict:
    values = form.attribute_values(category) if form.is_bound else (key_person.attributes if key_person else {})
    return {"form": form, "category": category, "attr_values": values, "attr_errors": _attr_errors(form),
            "fixed_resident": fixed, "key_person": key_person}


@key_person_user
@registry_writer
def kp_new(request):
    return _kp_form(request, None)


@key_person_user
@registry_writer
def kp_edit(request, pk: int):
    kp = scoped(KeyPerson, request.user).select_related("resident", "category").filter(pk=pk).first()
    if kp is None:
        return not_found(request, _("未找到该重点人员，或不在您的管辖范围内"))
    return _kp_form(request, kp)


def _kp_form(request, kp: KeyPerson | None):
    user = request.user
    if kp is not None:
        residents, fixed = [kp.resident], True
    else:
        residents, fixed = _kp_residents(user, request.GET.get("resident") or request.POST.get("resident"))
    if request.method != "POST":
        initial = {}
        if kp is not None:
            initial = {"resident": str(kp.resident_id), "category": kp.category.code, "risk_level": kp.risk_level,
                       "worker": str(kp.worker_id or ""), "since": kp.since, "note": kp.note}
        elif fixed:
            initial["resident"] = str(residents[0].pk)
        form = KeyPersonForm(initial=initial, user=user, residents=residents)
        category = kp.category if kp else form.categories.get(request.GET.get("category") or "")
        return render(request, "registry/kp_form.html", _kp_form_ctx(form, category, fixed, kp))
    form = KeyPersonForm(request.POST, user=user, residents=residents)
    category = kp.category if kp else form.categories.get(request.POST.get("category") or "")
    if kp is not None and "category" in form.fields:
        form.fields["category"].required = False
    if not form.is_valid():
        return render(request, "registry/kp_form.html", _kp_form_ctx(form, category, fixed, kp), status=400)
    d = form.cleaned_data
    resident = form.residents[d["resident"]]
    worker = User.objects.filter(pk=as_pk(d["worker"])).first() if as_pk(d.get("worker")) else None
    try:
        saved, created = list_key_person(
            user, resident, category, risk_level=d["risk_level"], attributes=form.attribute_values(category),
            worker=worker, since=d.get("since"), note=d.get("note") or "", key_person=kp)
    except DomainError as exc:
        form.apply_domain_error(exc)
        return render(request, "registry/kp_form.html", _kp_form_ctx(form, category, fixed, kp),
                      status=web_status(exc))
    if kp is not None:
        messages.success(request, _("重点人员信息已保存"))
    elif created:
        messages.success(request, _("已列为%(c)s：%(n)s") % {"c": category.name, "n": resident.name})
    else:
        messages.info(request, _("%(n)s已在%(c)s列管中，已更新列管信息") % {"c": category.name, "n": resident.name})
    return redirect("registry:kp_detail", saved.pk)


@key_person_user
@require_GET
def kp_attributes(request):
    """htmx: the attribute fields of the chosen category."""
    category = KeyCategory.objects.filter(code=request.GET.get("category") or "", active=True).first()
    return render(request, "registry/_kp_attributes.html", {"category": category, "attr_values": {},
                                                             "attr_errors": {}})


def _kp_context(request, kp: KeyPerson, **extra) -> dict:
    user = request.user
    status = visit_status(kp)
    visits = list(kp.visits.select_related("worker").prefetch_related("photos"))
    return {
        "kp": kp,
        "status": status,
        "visits": visits,
        "masked": masked(kp.resident),
        "history": history_rows(history(kp)),
        "can_write": can_write(user),
        "can_visit": _role(user) in (R.GRID_WORKER, R.OPERATOR, R.ADMIN),
        **extra,
    }


def _visible_kp(user, pk):
    return scoped(KeyPerson, user).select_related("resident", "resident__house__address", "category",
                                                  "worker").filter(pk=pk).first()


@key_person_user
def kp_detail(request, pk: int):
    kp = _visible_kp(request.user, pk)
    if kp is None:
        return not_found(request, _("未找到该重点人员，或不在您的管辖范围内"))
    return render(request, "registry/kp_detail.html", _kp_context(request, kp))


@key_person_user
def kp_visit(request, pk: int):
    user = request.user
    kp = _visible_kp(user, pk)
    if kp is None:
        return not_found(request, _("未找到该重点人员，或不在您的管辖范围内"))
    ctx = {"kp": kp, "status": visit_status(kp)}
    if request.method != "POST":
        return render(request, "registry/visit_form.html", {**ctx, "form": VisitForm()})
    form = VisitForm(request.POST)
    photos = request.FILES.getlist("photos")
    if not form.is_valid():
        if photos:
            form.extra_errors.setdefault("photos", []).append(_("请重新选择要上传的照片"))
        return render(request, "registry/visit_form.html", {**ctx, "form": form}, status=400)
    d = form.cleaned_data
    try:
        record_visit(user, kp, method=d["method"], findings=d["findings"], visited_at=d.get("visited_at"),
                     abnormal=bool(d.get("abnormal")), lng=d.get("lng"), lat=d.get("lat"), photos=photos)
    except DomainError as exc:
        form.apply_domain_error(exc)
        if photos and "photos" not in form.extra_errors:
            form.extra_errors.setdefault("photos", []).append(_("请重新选择要上传的照片"))
        return render(request, "registry/visit_form.html", {**ctx, "form": form}, status=web_status(exc))
    status = visit_status(kp)
    messages.success(request, _("走访已记录，下次请于 %(d)s 前走访") % {"d": status.due.isoformat()})
    return redirect("registry:kp_detail", kp.pk)


@key_person_user
def visit_photo(request, pk: int):
    photo = VisitPhoto.objects.filter(pk=pk, visit__key_person__in=scoped(KeyPerson, request.user)).first()
    if photo is None:
        return not_found(request)
    from gridgov.events.services import serve_upload

    return serve_upload(photo)


@key_person_user
def visits_due(request):
    """走访提醒: due and overdue visits — mine for a grid worker, grouped by worker for a center."""
    user = request.user
    on = timezone.localdate()
    rows = [(kp, st) for kp, st in visit_statuses(scoped(KeyPerson, user).active(on), on)
            if st.state != "ok"]
    rows.sort(key=_state_order)
    mine = _role(user) == R.GRID_WORKER
    groups = []
    if mine:
        rows = [(kp, st) for kp, st in rows if kp.worker_id in (None, user.pk)]
    else:
        by_worker: dict = {}
        for kp, st in rows:
            by_worker.setdefault(kp.worker_id, {"worker": kp.worker, "rows": []})["rows"].append((kp, st))
        for group in by_worker.values():
            group["overdue"] = sum(1 for _k, st in group["rows"] if st.state == "overdue")
            group["due_soon"] = len(group["rows"]) - group["overdue"]
        groups = sorted(by_worker.values(), key=lambda g: (-g["overdue"], -g["due_soon"],
                                                           g["worker"].username if g["worker"] else "~"))
    return render(request, "registry/visits_due.html", {
        "mine": mine, "rows": rows, "groups": groups,
        "overdue": sum(1 for _k, st in rows if st.state == "overdue"),
        "due_soon": sum(1 for _k, st in rows if st.state == "due_soon"),
        "today": on,
    })


# --- import and export --------------------------------------------------------------------------

KIND_LABELS = dict(IMPORT_KINDS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


def _excel_missing(request):
    return render(request, "web/forbidden.html", {"message": _("Excel 导入导出模块尚未安装，请联系管理员")}, status=503)


def _export_ctx(user, kind: str) -> dict:
    if kind == "key_persons" and not scope.may_see_key_person_details(user):
        return {"export_kind": ""}
    return {"export_kind": kind if excel_available() else "", "export_full": scope.may_export_full(user),
            "export_form": ExportForm()}


def _rejected_rows(report) -> list[dict]:
    """(row, column, reason) of the rejected rows, from ``report.rejected_rows`` (or a list in ``rejected``)."""
    items = getattr(report, "rejected_rows", None)
    if items is None:
        items = getattr(report, "rejected", None) or []
    out = []
    for item in items if isinstance(items, (list, tuple)) else []:
        get = item.get if isinstance(item, dict) else (lambda k, _i=item: getattr(_i, k, ""))
        out.append({"row": get("row"), "column": get("column") or "", "reason": get("reason") or ""})
    return out


def _report_counts(report) -> dict:
    counts = dict(getattr(report, "counts", None) or {})
    for key in ("created", "updated", "unchanged", "submitted", "rejected"):
        value = getattr(report, key, None)
        if isinstance(value, int):
            counts.setdefault(key, value)
    return counts


@registry_writer
def import_page(request):
    user = request.user
    ctx = {"kinds": IMPORT_KINDS, "available": excel_available()}
    if request.method != "POST":
        return render(request, "registry/import.html", {**ctx, "form": ImportForm()})
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "registry/import.html", {**ctx, "form": form}, status=400)
    try:
        from gridgov.registry.excel.importer import import_rows
        from gridgov.registry.excel.report import report_workbook
    except ImportError:
        return _excel_missing(request)
    kind = form.cleaned_data["kind"]
    if kind == "key_persons" and not scope.may_see_key_person_details(user):
        return forbidden(request)
    upload = form.cleaned_data["file"]
    try:
        report = import_rows(user, kind, upload, upload.name)
    except DomainError as exc:
        form.apply_domain_error(exc)
        return render(request, "registry/import.html", {**ctx, "form": form}, status=web_status(exc))
    report_data = report_workbook(report)
    counts = _report_counts(report)
    return render(request, "registry/import.html", {
        **ctx, "form": ImportForm(initial={"kind": kind}), "report": report, "kind_label": KIND_LABELS.get(kind),
        "counts": ([(_("已提交登记（新登记或待原辖区确认迁入）"), counts.get("submitted", 0))] if kind == "residents"
                   else [(_("新增"), counts.get("created", 0))])
        + [(_("更新"), counts.get("updated", 0)), (_("未变化"), counts.get("unchanged", 0)),
           (_("拒绝"), counts.get("rejected", 0))],
        "rejected": _rejected_rows(report),
        "report_href": f"data:{XLSX};base64,{base64.b64encode(report_data).decode()}",
        "report_name": _("导入结果-%(k)s-%(f)s.xlsx") % {"k": KIND_LABELS.get(kind), "f": upload.name.rsplit(".", 1)[0]},
    })


@registry_writer
@require_GET
def import_template(request, kind: str):
    if kind not in KIND_LABELS:
        return not_found(request)
    try:
        from gridgov.registry.excel.template import template_workbook
    except ImportError:
        return _excel_missing(request)
    return _xlsx_response(template_workbook(kind), _("%(k)s导入模板.xlsx") % {"k": KIND_LABELS[kind]})


EXPORT_QUERIES = {
    "residents": (RESIDENT_FILTERS, filtered_residents),
    "houses": (HOUSE_FILTERS, filtered_houses),
    "units": (UNIT_FILTERS, filtered_units),
    "key_persons": (KP_FILTERS, None),
}


@registry_reader
@never_cache
def export(request, kind: str):
    """The list as .xlsx with the list's filters: masked (GET), or full with a reason (POST, permission)."""
    user = request.user
    if kind not in EXPORT_QUERIES:
        return not_found(request)
    if kind == "key_persons" and not scope.may_see_key_person_details(user):
        return forbidden(request)
    full, reason = False, ""
    if request.method == "POST":
        if not scope.may_export_full(user):
            return forbidden(request, _("您没有导出完整个人信息的权限"))
        form = ExportForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("完整导出须填写导出事由"))
            return redirect(_list_url(kind, request.POST))
        full, reason = True, form.cleaned_data["reason"]
        source = request.POST
    else:
        source = request.GET
    names, query = EXPORT_QUERIES[kind]
    params = {k: (source.get(k) or "").strip() for k in names}
    if kind == "key_persons":
        qs = filtered_key_persons(user, params)
        if params.get("state") in ("ok", "due_soon", "overdue"):
            pks = [kp.pk for kp, st in visit_statuses(qs) if st.state == params["state"]]
            qs = KeyPerson.objects.filter(pk__in=pks)
    else:
        qs = query(user, params)
    try:
        from gridgov.registry.excel.export import export_workbook
    except ImportError:
        return _excel_missing(request)
    try:
        data = export_workbook(user, kind, qs, full=full, reason=reason)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect(_list_url(kind, source))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    suffix = _("完整") if full else _("脱敏")
    return _xlsx_response(data, f"{KIND_LABELS[kind]}-{suffix}-{stamp}.xlsx")


def _list_url(kind: str, source) -> str:
    names = {"residents": "resident_list", "houses": "house_list", "units": "unit_list", "key_persons": "kp_list"}
    url = reverse(f"registry:{names[kind]}")
    keep = {k: v for k, v in source.items() if k in EXPORT_QUERIES[kind][0] and v}
    if keep:
        from urllib.parse import urlencode

        url += "?" + urlencode(keep)
    return url


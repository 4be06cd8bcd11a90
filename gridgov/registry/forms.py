"""Registry web forms: they parse and render; the rules live in ``registry.services``.

A service's ``ValidationFailed`` comes back through :meth:`RegistryForm.apply_domain_error`, which
puts each message next to the field it belongs to (service field names are mapped to form fields).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import User
from gridgov.core import crypto
from gridgov.core.errors import DomainError
from gridgov.regions.models import Grid, Region
from gridgov.registry.models import House, KeyCategory, Resident, RiskLevel, Unit, Visit

# the most options a select is filled with (a township's houses fit; a city's do not: search instead)
SELECT_LIMIT = 500


def date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RegistryForm(forms.Form):
    """Maps a service's field errors onto this form; what has no field goes to ``extra_errors``."""

    # service field name -> form field name
    FIELD_MAP: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra_errors: dict[str, list[str]] = {}

    def apply_domain_error(self, exc: DomainError) -> None:
        for key, messages in (exc.fields or {}).items():
            name = self.FIELD_MAP.get(key, key)
            if name in self.fields:
                for msg in messages:
                    self.add_error(name, str(msg))
            else:
                self.extra_errors.setdefault(name, []).extend(str(m) for m in messages)
        if not exc.fields:
            self.add_error(None, str(exc.message))


# --- choices limited to the user's scope ----------------------------------------------------------


def communities_for(user) -> list[Region]:
    """The communities where ``user`` may register addresses."""
    qs = Region.objects.filter(level=Region.Level.COMMUNITY)
    if user.is_superuser or user.role == User.Role.ADMIN:
        return list(qs.order_by("code")[:SELECT_LIMIT])
    if user.role == User.Role.GRID_WORKER:
        return list(qs.filter(grids__staff__user=user).distinct().order_by("code"))
    if user.region_id:
        return list(qs.filter(code__startswith=user.region.code).order_by("code")[:SELECT_LIMIT])
    return []


def grids_for(user, communities: list[Region]) -> list[Grid]:
    qs = Grid.objects.filter(community__in=communities, active=True).select_related("community")
    if user.role == User.Role.GRID_WORKER and not user.is_superuser:
        qs = qs.filter(staff__user=user).distinct()
    return list(qs.order_by("code")[:SELECT_LIMIT])


def house_choices(user, selected: House | None = None) -> list[tuple[str, str]]:
    qs = House.objects.visible_to(user).select_related("address").order_by("address__code")
    houses = list(qs[:SELECT_LIMIT])
    if selected is not None and selected not in houses:
        houses.insert(0, selected)
    return [("", _("请选择现居房屋"))] + [(str(h.pk), h.address.text) for h in houses]


def resident_label(r: Resident) -> str:
    return f"{r.name}（{r.id_masked or r.get_id_type_display()}）"


def worker_choices(user) -> list[tuple[str, str]]:
    qs = User.objects.filter(role=User.Role.GRID_WORKER, is_active=True)
    if user.role == User.Role.GRID_WORKER and not user.is_superuser:
        qs = qs.filter(pk=user.pk)
    elif not (user.is_superuser or user.role == User.Role.ADMIN):
        qs = qs.filter(region__code__startswith=user.region.code) if user.region_id else qs.none()
    return [("", _("请选择责任网格员"))] + [(str(u.pk), u.display_name) for u in qs.order_by("username")[:SELECT_LIMIT]]


# --- addresses and houses -----------------------------------------------------------------------


class AddressFields(RegistryForm):
    """The parts of a standard address and its point (map click or GPS)."""

    FIELD_MAP = {"region": "community", "location": "location"}

    community = forms.ChoiceField(label=_("所属村(社区)"))
    grid = forms.ChoiceField(label=_("网格"), required=False)
    road = forms.CharField(label=_("街路巷/小区"), max_length=100,
                           widget=forms.TextInput(attrs={"placeholder": _("如：古城路18号院")}))
    building = forms.CharField(label=_("楼栋(门牌)号"), max_length=20, required=False,
                               widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    unit = forms.CharField(label=_("单元"), max_length=10, required=False,
                           widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    floor = forms.CharField(label=_("楼层"), max_length=10, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    room = forms.CharField(label=_("室"), max_length=20, required=False,
                           widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    lng = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180,
                           widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90,
                           widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.communities = communities_for(user)
        self.grids = grids_for(user, self.communities)
        self.fields["community"].choices = [("", _("请选择村(社区)"))] + [
            (c.code, c.name) for c in self.communities]
        self.fields["grid"].choices = [("", _("按定位点自动确定"))] + [
            (g.code, f"{g.name}（{g.community.name}）") for g in self.grids]
        if len(self.communities) == 1 and not self.is_bound:
            self.initial.setdefault("community", self.communities[0].code)

    def clean(self):
        data = super().clean()
        if (data.get("lng") is None) != (data.get("lat") is None):
            self.extra_errors.setdefault("location", []).append(str(_("经度和纬度须同时填写")))
            raise forms.ValidationError(_("位置信息不完整"))
        grid_code = data.get("grid") or ""
        community = data.get("community") or ""
        if grid_code and community and not grid_code.startswith(community):
            self.add_error("grid", _("该网格不属于所选村(社区)"))
        if not grid_code and data.get("lng") is None and self.user.role == User.Role.GRID_WORKER:
            # a grid worker's address must land in one of their grids, or they could not see it again
            mine = [g for g in self.grids if g.community.code == community]
            if len(mine) == 1:
                data["grid"] = mine[0].code
            elif community:
                self.add_error("grid", _("请选择网格，或在地图上点选位置"))
        return data

    def address_input(self):
        from gridgov.registry.services.addresses import AddressInput

        d = self.cleaned_data
        return AddressInput(region=d["community"], road=d["road"], building=d.get("building") or "",
                            unit=d.get("unit") or "", floor=d.get("floor") or "", room=d.get("room") or "",
                            lng=d.get("lng"), lat=d.get("lat"), grid=d.get("grid") or "")


class HouseFields(RegistryForm):
    structure = forms.ChoiceField(label=_("建筑结构"), choices=House.Structure.choices, initial=House.Structure.OTHER)
    use = forms.ChoiceField(label=_("房屋用途"), choices=House.Use.choices, initial=House.Use.RESIDENTIAL)
    status = forms.ChoiceField(label=_("使用状态"), choices=House.Status.choices,
                               initial=House.Status.OWNER_OCCUPIED)
    area = forms.DecimalField(label=_("面积(㎡)"), required=False, max_digits=9, decimal_places=2, min_value=0,
                              widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}))
    owner_name = forms.CharField(label=_("产权人姓名"), max_length=50, required=False)
    owner_phone = forms.CharField(label=_("产权人电话"), max_length=20, required=False,
                                  widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))

    def house_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"structure": d["structure"], "use": d["use"], "status": d["status"], "area": d.get("area"),
                "owner_name": d.get("owner_name") or "", "owner_phone": d.get("owner_phone") or ""}


class HouseForm(AddressFields, HouseFields):
    """A new house: its address and its own fields."""


class HouseEditForm(HouseFields):
    def __init__(self, *args, house: House | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if house is not None and not self.is_bound:
            self.initial.update({"structure": house.structure, "use": house.use, "status": house.status,
                                 "area": house.area, "owner_name": house.owner_name})
            self.fields["owner_phone"].help_text = _("已登记：%(p)s；不填则保持不变") % {
                "p": crypto.mask_phone(house.owner_phone) or "—"}


# --- residents ----------------------------------------------------------------------------------


class PersonFields(RegistryForm):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_type = forms.ChoiceField(label=_("证件类型"), choices=Resident.IdType.choices, initial=Resident.IdType.RIC)
    id_number = forms.CharField(label=_("证件号码"), max_length=32, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                              "spellcheck": "false"}))
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    household = forms.ChoiceField(label=_("人口类型"), choices=Resident.Household.choices,
                                  initial=Resident.Household.REGISTERED)


class ResidentForm(PersonFields):
    hukou_place = forms.CharField(label=_("户籍地"), max_length=100, required=False)
    relation = forms.CharField(label=_("与户主关系"), max_length=20, required=False,
                               widget=forms.TextInput(attrs={"list": "relations", "placeholder": _("如：户主、配偶、子女")}))
    moved_in = forms.DateField(label=_("迁入日期"), required=False, widget=date_input())
    sex = forms.ChoiceField(label=_("性别"), required=False,
                            choices=[("", _("按身份证号码确定")), ("M", _("男")), ("F", _("女"))])
    birth_date = forms.DateField(label=_("出生日期"), required=False, widget=date_input(),
                                 help_text=_("居民身份证可不填，由号码确定"))
    house = forms.ChoiceField(label=_("现居房屋"))

    def __init__(self, *args, user: User, house: House | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["house"].choices = house_choices(user, house)
        if house is not None and not self.is_bound:
            self.initial["house"] = str(house.pk)

    def resident_input(self, house: House):
        from gridgov.registry.services.residents import ResidentInput

        d = self.cleaned_data
        return ResidentInput(name=d["name"], id_type=d["id_type"], id_number=d.get("id_number") or "",
                             phone=d.get("phone") or "", household=d["household"],
                             hukou_place=d.get("hukou_place") or "", relation=d.get("relation") or "",
                             moved_in=d.get("moved_in"), birth_date=d.get("birth_date"), sex=d.get("sex") or "",
                             house=house)


class MoveForm(RegistryForm):
    house = forms.ChoiceField(label=_("迁入房屋"), required=False)
    on = forms.DateField(label=_("迁居日期"), required=False, widget=date_input())
    relation = forms.CharField(label=_("与户主关系"), max_length=20, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        choices = house_choices(user)
        self.fields["house"].choices = [("", _("迁出本地（不再居住在辖区）"))] + choices[1:]


class TenancyForm(RegistryForm):
    """Pick a tenant among the house's residents, or register a new one here."""

    NEW = "new"
    FIELD_MAP = {"name": "new_name", "id_type": "new_id_type", "id_number": "new_id_number", "phone": "new_phone"}

    tenant = forms.ChoiceField(label=_("承租人"))
    new_name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    new_id_type = forms.ChoiceField(label=_("证件类型"), choices=Resident.IdType.choices, initial=Resident.IdType.RIC,
                                    required=False)
    new_id_number = forms.CharField(label=_("证件号码"), max_length=32, required=False,
                                    widget=forms.TextInput(attrs={"autocomplete": "off"}))
    new_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False,
                                widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    start = forms.DateField(label=_("租期开始"), widget=date_input())
    end = forms.DateField(label=_("租期结束"), required=False, widget=date_input())
    contract_no = forms.CharField(label=_("合同编号"), max_length=50, required=False)

    def __init__(self, *args, tenants: list[Resident], **kwargs):
        super().__init__(*args, **kwargs)
        self.tenants = {str(r.pk): r for r in tenants}
        self.fields["tenant"].choices = ([("", _("请选择承租人"))] + [(k, resident_label(r)) for k, r in self.tenants.items()]
                                         + [(self.NEW, _("登记新的承租人…"))])

    def clean(self):
        data = super().clean()
        if data.get("tenant") == self.NEW and not (data.get("new_name") or "").strip():
            self.add_error("new_name", _("请填写承租人姓名"))
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("租期结束日期不能早于开始日期"))
        return data


# --- units --------------------------------------------------------------------------------------


class UnitFields(RegistryForm):
    name = forms.CharField(label=_("单位名称"), max_length=200)
    # 18 characters; room for the spaces people type between groups (the service normalizes them)
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=32, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                         "spellcheck": "false"}))
    kind = forms.ChoiceField(label=_("单位类型"), choices=Unit.Kind.choices, initial=Unit.Kind.ENTERPRISE)
    legal_rep = forms.CharField(label=_("法定代表人"), max_length=50, required=False)
    contact = forms.CharField(label=_("联系人"), max_length=50, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    key_flags = forms.MultipleChoiceField(label=_("重点单位类别"), required=False, widget=forms.CheckboxSelectMultiple,
                                          choices=list(Unit.KEY_FLAGS.items()))
    employees = forms.IntegerField(label=_("从业人数"), required=False, min_value=0, max_value=10_000_000,
                                   widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


class UnitForm(AddressFields, UnitFields):
    FIELD_MAP = {"region": "community", "location": "location", "address": "community"}

    def __init__(self, *args, unit: Unit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit
        if unit is not None:
            # the phone is personal data: never sent back in full (like a house owner's), blank keeps it
            self.fields["phone"].help_text = _("已登记：%(p)s；不填则保持不变") % {
                "p": crypto.mask_phone(unit.phone) or "—"}
        if unit is not None and not self.is_bound:
            a = unit.address
            self.initial.update({
                "name": unit.name, "uscc": unit.uscc, "kind": unit.kind, "legal_rep": unit.legal_rep,
                "contact": unit.contact, "key_flags": unit.key_flags, "employees": unit.employees,
                "community": a.region.code, "grid": a.grid.code if a.grid_id else "", "road": a.road,
                "building": a.building, "unit": a.unit, "floor": a.floor, "room": a.room, "lng": a.lng, "lat": a.lat,
            })

    def unit_input(self, address):
        from gridgov.registry.services.units import UnitInput

        d = self.cleaned_data
        return UnitInput(name=d["name"], address=address, uscc=d.get("uscc") or "", kind=d["kind"],
                         legal_rep=d.get("legal_rep") or "", contact=d.get("contact") or "",
                         phone=d.get("phone") or (self.unit.phone if self.unit is not None else ""),
                         key_flags=list(d.get("key_flags") or []),
                         employees=d.get("employees"))


# --- key persons and visits -----------------------------------------------------------------------


class KeyPersonForm(RegistryForm):
    resident = forms.ChoiceField(label=_("人员"))
    category = forms.ChoiceField(label=_("重点人员类别"))
    risk_level = forms.ChoiceField(label=_("风险等级"), choices=RiskLevel.choices, initial=RiskLevel.LOW)
    worker = forms.ChoiceField(label=_("责任网格员"), required=False)
    since = forms.DateField(label=_("列管日期"), required=False, widget=date_input())
    note = forms.CharField(label=_("备注"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user: User, residents: list[Resident], **kwargs):
        super().__init__(*args, **kwargs)
        self.residents = {str(r.pk): r for r in residents}
        self.fields["resident"].choices = [("", _("请选择人员"))] + [
            (k, resident_label(r)) for k, r in self.residents.items()]
        self.categories = {c.code: c for c in KeyCategory.objects.filter(active=True)}
        self.fields["category"].choices = [("", _("请选择类别"))] + [(c.code, c.name) for c in self.categories.values()]
        self.fields["worker"].choices = worker_choices(user)
        if user.role == User.Role.GRID_WORKER and not self.is_bound:
            self.initial.setdefault("worker", str(user.pk))

    def attribute_values(self, category: KeyCategory | None) -> dict:
        if category is None or not self.is_bound:
            return {}
        return {spec["key"]: self.data.get(f"attr_{spec['key']}", "") for spec in category.attributes}


class VisitForm(RegistryForm):
    method = forms.ChoiceField(label=_("走访方式"), choices=Visit.Method.choices, initial=Visit.Method.IN_PERSON,
                               widget=forms.RadioSelect)
    visited_at = forms.DateTimeField(label=_("走访时间"), required=False,
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                format="%Y-%m-%dT%H:%M"),
                                     input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
                                     help_text=_("不填则为当前时间"))
    findings = forms.CharField(label=_("走访情况"), max_length=4000,
                               widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("见到本人了吗？近况、思想动态、生活就业情况、需要的帮助……")}))
    abnormal = forms.BooleanField(label=_("发现异常"), required=False)
    lng = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180,
                           widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90,
                           widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))


# --- privacy, events, import ----------------------------------------------------------------------


class RevealForm(RegistryForm):
    reason = forms.CharField(label=_("查看事由"), max_length=200, min_length=2,
                             widget=forms.TextInput(attrs={"placeholder": _("如：核实身份办理某某事件")}))


class LinkEventForm(RegistryForm):
    FIELD_MAP = {"event": "number"}

    number = forms.CharField(label=_("事件编号"), max_length=20,
                             widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "SJ2026…"}))


IMPORT_KINDS = [
    ("residents", _("实有人口")),
    ("houses", _("实有房屋")),
    ("units", _("实有单位")),
    ("key_persons", _("重点人员")),
]


class ImportForm(RegistryForm):
    kind = forms.ChoiceField(label=_("数据类型"), choices=IMPORT_KINDS)
    file = forms.FileField(label=_("Excel 文件(.xlsx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 .xlsx 格式的 Excel 文件"))
        return f


class ExportForm(RegistryForm):
    reason = forms.CharField(label=_("导出事由"), max_length=200, min_length=2)

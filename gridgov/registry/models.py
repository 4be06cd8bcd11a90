"""一标三实 and 人地物事组织: standard addresses, houses, residents, units — and key populations.

Every record belongs to a region (and usually a grid) through its address, so the region
scope of issue 2 applies: ``Resident.objects.visible_to(user)`` and friends, in ``scope.py``.

Identity numbers are never stored in clear: ``id_number_enc`` (Fernet) for the value,
``id_hash`` (HMAC) for lookup and de-duplication, ``id_masked`` for lists.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import SealedPhone
from gridgov.core.models import AppendOnly


class ScopedQuerySet(models.QuerySet):
    """``visible_to(user)`` through the region path of the record's address."""

    region_path = "address__region__code"
    grid_path = "address__grid"

    def visible_to(self, user):
        from gridgov.registry.scope import registry_scope_q

        return self.filter(registry_scope_q(user, self.region_path, self.grid_path)).distinct()


class Address(models.Model):
    """标准地址: region + road/小区 + building + unit + floor + room, with a stable code."""

    code = models.CharField(_("地址编码"), max_length=24, unique=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="addresses",
                               verbose_name=_("所属村(社区)"))
    grid = models.ForeignKey("regions.Grid", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="addresses", verbose_name=_("网格"))
    road = models.CharField(_("街路巷/小区"), max_length=100)
    building = models.CharField(_("楼栋(门牌)号"), max_length=20, blank=True)
    unit = models.CharField(_("单元"), max_length=10, blank=True)
    floor = models.CharField(_("楼层"), max_length=10, blank=True)
    room = models.CharField(_("室"), max_length=20, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    # normalized (region, road, building, unit, floor, room): one place, one address
    key = models.CharField(max_length=255, unique=True, verbose_name=_("地址键"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("创建时间"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))

    class AddressQuerySet(ScopedQuerySet):
        region_path = "region__code"
        grid_path = "grid"

    objects = AddressQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("标准地址")
        verbose_name_plural = _("标准地址")

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        parts = [self.road]
        if self.building:
            parts.append(f"{self.building}号楼" if self.building.isdigit() else self.building)
        if self.unit:
            parts.append(f"{self.unit}单元" if self.unit.isdigit() else self.unit)
        if self.room:
            parts.append(f"{self.room}室" if self.room.isdigit() else self.room)
        return "".join(parts)


class House(models.Model):
    class Structure(models.TextChoices):
        STEEL_CONCRETE = "steel_concrete", _("钢混")
        FRAME = "frame", _("框架")
        BRICK_CONCRETE = "brick_concrete", _("砖混")
        BRICK_WOOD = "brick_wood", _("砖木")
        OTHER = "other", _("其他")

    class Use(models.TextChoices):
        RESIDENTIAL = "residential", _("住宅")
        COMMERCIAL = "commercial", _("商业")
        OFFICE = "office", _("办公")
        INDUSTRIAL = "industrial", _("工业")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        OWNER_OCCUPIED = "owner", _("自住")
        RENTED = "rented", _("出租")
        VACANT = "vacant", _("闲置")
        BUSINESS = "business", _("经营")
        OTHER = "other", _("其他")

    address = models.OneToOneField(Address, on_delete=models.PROTECT, related_name="house", verbose_name=_("地址"))
    structure = models.CharField(_("建筑结构"), max_length=16, choices=Structure.choices, default=Structure.OTHER)
    use = models.CharField(_("房屋用途"), max_length=16, choices=Use.choices, default=Use.RESIDENTIAL)
    status = models.CharField(_("使用状态"), max_length=16, choices=Status.choices, default=Status.OWNER_OCCUPIED)
    area = models.DecimalField(_("面积(㎡)"), max_digits=9, decimal_places=2, null=True, blank=True)
    owner = models.ForeignKey("Resident", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="owned_houses", verbose_name=_("产权人"))
    owner_name = models.CharField(_("产权人姓名"), max_length=50, blank=True)
    # phones are sealed like identity numbers (core.crypto.SealedPhone)
    owner_phone_enc = models.TextField(_("产权人电话(加密)"), blank=True, editable=False)
    owner_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False, verbose_name=_("产权人手机号摘要"))
    owner_phone = SealedPhone("owner_phone")
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("实有房屋")
        verbose_name_plural = _("实有房屋")

    def __str__(self) -> str:
        return str(self.address)


class Tenancy(models.Model):
    """出租屋管理: a tenant of a rented house and the contract period."""

    house = models.ForeignKey(House, on_delete=models.CASCADE, related_name="tenancies", verbose_name=_("房屋"))
    tenant = models.ForeignKey("Resident", on_delete=models.PROTECT, related_name="tenancies",
                               verbose_name=_("承租人"))
    start = models.DateField(_("租期开始"))
    end = models.DateField(_("租期结束"), null=True, blank=True)
    contract_no = models.CharField(_("合同编号"), max_length=50, blank=True)

    class Meta:
        ordering = ["-start"]
        verbose_name = _("租赁登记")
        verbose_name_plural = _("租赁登记")
        constraints = [models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                                              name="tenancy_end_after_start")]


class Resident(models.Model):
    class IdType(models.TextChoices):
        RIC = "ric", _("居民身份证")
        PASSPORT = "passport", _("护照")
        HK_MO = "hkmo", _("港澳居民来往内地通行证")
        TW = "tw", _("台湾居民来往大陆通行证")
        PR = "pr", _("外国人永久居留身份证")
        OTHER = "other", _("其他")

    class Sex(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")
        UNKNOWN = "", _("未知")

    class Household(models.TextChoices):
        REGISTERED = "registered", _("户籍人口")
        FLOATING = "floating", _("流动人口")
        OVERSEAS = "overseas", _("境外人员")

    name = models.CharField(_("姓名"), max_length=50)
    id_type = models.CharField(_("证件类型"), max_length=16, choices=IdType.choices, default=IdType.RIC)
    id_number_enc = models.TextField(_("证件号码(加密)"), blank=True)
    id_hash = models.CharField(max_length=64, blank=True, db_index=True, verbose_name=_("身份证号摘要"))
    id_masked = models.CharField(_("证件号码"), max_length=32, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True)
    phone_enc = models.TextField(_("联系电话(加密)"), blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False, verbose_name=_("手机号摘要"))
    phone = SealedPhone("phone")
    household = models.CharField(_("人口类型"), max_length=16, choices=Household.choices,
                                 default=Household.REGISTERED)
    hukou_place = models.CharField(_("户籍地"), max_length=100, blank=True)
    # where they live now; None when moved away (the history is in Residence)
    house = models.ForeignKey(House, null=True, blank=True, on_delete=models.SET_NULL, related_name="residents",
                              verbose_name=_("现居房屋"))
    # the region that keeps the record (the current house's community, or the last one)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="residents",
                               verbose_name=_("所属区划"))
    grid = models.ForeignKey("regions.Grid", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="residents", verbose_name=_("网格"))
    relation = models.CharField(_("与户主关系"), max_length=20, blank=True)
    moved_in = models.DateField(_("迁入日期"), null=True, blank=True)
    moved_out = models.DateField(_("迁出日期"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("创建时间"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))

    class ResidentQuerySet(ScopedQuerySet):
        region_path = "region__code"
        grid_path = "grid"

    objects = ResidentQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("实有人口")
        verbose_name_plural = _("实有人口")
        constraints = [
            models.UniqueConstraint(fields=["id_type", "id_hash"], condition=~Q(id_hash=""),
                                    name="one_resident_per_document"),
        ]
        permissions = [
            ("view_full_identity", _("可查看完整证件号码和电话（每次查看均记录）")),
            ("export_personal_data", _("可导出个人信息（每次导出均记录）")),
        ]

    def __str__(self) -> str:
        return self.name


class ImportDigest(models.Model):
    """What the resident import last found a person on record to be (:mod:`gridgov.registry.excel.batch`), as two
    keyed digests: ``row`` of the file's row that left the record unchanged or created it (its cells, the column
    mapping, the language), ``state`` of the record, its address and the row's community and grid as they were
    then.  An import of the same row counts the person unchanged without reading the row again while ``state``
    still matches the record; any change to the record by any path makes it stale, and the row is read as usual."""

    resident = models.OneToOneField(Resident, primary_key=True, on_delete=models.CASCADE, related_name="+",
                                    verbose_name=_("实有人口"))
    row = models.CharField(_("行摘要"), max_length=24, db_index=True)
    state = models.CharField(_("记录摘要"), max_length=16)

    class Meta:
        verbose_name = _("导入摘要")
        verbose_name_plural = _("导入摘要")


class Residence(models.Model):
    """One stay of a resident at a house: moving keeps the history."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="residences")
    house = models.ForeignKey(House, on_delete=models.PROTECT, related_name="residences")
    relation = models.CharField(_("与户主关系"), max_length=20, blank=True)
    moved_in = models.DateField(_("迁入日期"), null=True, blank=True)
    moved_out = models.DateField(_("迁出日期"), null=True, blank=True)

    class Meta:
        ordering = ["-moved_in", "-id"]
        verbose_name = _("居住记录")
        verbose_name_plural = _("居住记录")


class Unit(models.Model):
    """实有单位 / 社会组织."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        INDIVIDUAL = "individual", _("个体工商户")
        GOVERNMENT = "government", _("机关事业单位")
        SOCIAL_ORG = "social_org", _("社会组织")
        OTHER = "other", _("其他")

    KEY_FLAGS = {
        "hazardous": _("危化品"), "logistics": _("寄递物流"), "hotel": _("旅馆"), "internet_cafe": _("网吧"),
        "school": _("学校"), "hospital": _("医院"), "crowded": _("人员密集场所"), "fire_key": _("消防重点单位"),
    }

    name = models.CharField(_("单位名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    kind = models.CharField(_("单位类型"), max_length=16, choices=Kind.choices, default=Kind.ENTERPRISE)
    address = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="units", verbose_name=_("地址"))
    legal_rep = models.CharField(_("法定代表人"), max_length=50, blank=True)
    contact = models.CharField(_("联系人"), max_length=50, blank=True)
    phone_enc = models.TextField(_("联系电话(加密)"), blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False, verbose_name=_("手机号摘要"))
    phone = SealedPhone("phone")
    key_flags = models.JSONField(_("重点单位类别"), default=list, blank=True)
    employees = models.PositiveIntegerField(_("从业人数"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("实有单位")
        verbose_name_plural = _("实有单位")
        constraints = [
            models.UniqueConstraint(fields=["uscc"], condition=~Q(uscc=""), name="one_unit_per_credit_code"),
        ]

    def __str__(self) -> str:
        return self.name


class Change(AppendOnly):
    """Who changed which registry record, what and when (the history view). Append-only."""

    model = models.CharField(max_length=32, verbose_name=_("数据类型"))
    object_id = models.PositiveBigIntegerField(_("对象ID"))
    action = models.CharField(max_length=16, verbose_name=_("变更类型"))  # create / update / move / delete
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("操作人"))
    # {field: [old, new]} with personal values masked
    changes = models.JSONField(default=dict, verbose_name=_("变更内容"))
    source = models.CharField(max_length=32, blank=True, verbose_name=_("来源"))  # web / api / import:<file>
    created_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("变更时间"))

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"])]
        verbose_name = _("变更记录")
        verbose_name_plural = _("变更记录")


class AccessLog(AppendOnly):
    """Every full view or export of personal data: who, whose record, which fields, when, why."""

    class Action(models.TextChoices):
        VIEW = "view_full", _("查看完整信息")
        EXPORT = "export", _("导出")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人"))
    action = models.CharField(max_length=16, choices=Action.choices, verbose_name=_("访问类型"))
    model = models.CharField(max_length=32, verbose_name=_("数据类型"))
    object_id = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("对象ID"))
    object_label = models.CharField(max_length=200, blank=True, verbose_name=_("对象"))
    fields = models.JSONField(default=list, verbose_name=_("涉及字段"))
    reason = models.CharField(_("事由"), max_length=200)
    count = models.PositiveIntegerField(default=1, verbose_name=_("条数"))  # records in an export
    created_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("访问时间"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("个人信息访问日志")
        verbose_name_plural = _("个人信息访问日志")


class EventSubject(models.Model):
    """A resident, house or unit that an event concerns."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="subjects")
    resident = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    house = models.ForeignKey(House, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="events")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(resident__isnull=False, house__isnull=True, unit__isnull=True)
                           | Q(resident__isnull=True, house__isnull=False, unit__isnull=True)
                           | Q(resident__isnull=True, house__isnull=True, unit__isnull=False)),
                name="event_subject_exactly_one",
            ),
        ]


# --- key populations (重点人员) ------------------------------------------------------------------


class RiskLevel(models.TextChoices):
    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低")


class KeyCategory(models.Model):
    """A key-population category with its own attributes and visit intervals.

    ``attributes`` is a list of ``{"key", "label", "type": text|date|int|choice, "choices": [...],
    "required": bool}``; ``intervals`` maps risk level → days between visits.
    """

    code = models.CharField(_("类别编码"), max_length=32, unique=True)
    name = models.CharField(_("类别名称"), max_length=50)
    attributes = models.JSONField(_("专项属性"), default=list, blank=True)
    intervals = models.JSONField(_("走访周期(天)"), default=dict, blank=True)
    builtin = models.BooleanField(default=False, verbose_name=_("系统内置"))
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveIntegerField(default=0, verbose_name=_("排序"))

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("重点人员类别")
        verbose_name_plural = _("重点人员类别")

    def __str__(self) -> str:
        return self.name

    def interval_days(self, risk: str) -> int:
        default = {"high": 7, "medium": 30, "low": 30}
        return int(self.intervals.get(risk) or default.get(risk, 30))


class KeyPerson(models.Model):
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="key_roles",
                                 verbose_name=_("人员"))
    category = models.ForeignKey(KeyCategory, on_delete=models.PROTECT, related_name="people",
                                 verbose_name=_("类别"))
    risk_level = models.CharField(_("风险等级"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW)
    attributes = models.JSONField(_("专项信息"), default=dict, blank=True)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="key_people", verbose_name=_("责任网格员"))
    since = models.DateField(_("列管日期"), default=timezone.localdate)
    until = models.DateField(_("解除列管日期"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))

    class KeyPersonQuerySet(ScopedQuerySet):
        region_path = "resident__region__code"
        grid_path = "resident__grid"

        def visible_to(self, user):
            from gridgov.registry.scope import key_person_scope_q

            return self.filter(key_person_scope_q(user)).distinct()

        def active(self, on=None):
            on = on or timezone.localdate()
            return self.filter(since__lte=on).filter(Q(until__isnull=True) | Q(until__gt=on))

    objects = KeyPersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("重点人员")
        verbose_name_plural = _("重点人员")
        constraints = [
            models.UniqueConstraint(fields=["resident", "category"], condition=Q(until__isnull=True),
                                    name="one_open_listing_per_category"),
        ]

    def __str__(self) -> str:
        return f"{self.resident.name}({self.category.name})"

    @property
    def interval_days(self) -> int:
        return self.category.interval_days(self.risk_level)


class Visit(models.Model):
    class Method(models.TextChoices):
        IN_PERSON = "in_person", _("面访")
        PHONE = "phone", _("电话")
        VIDEO = "video", _("视频")

    key_person = models.ForeignKey(KeyPerson, on_delete=models.PROTECT, related_name="visits")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits",
                               verbose_name=_("走访人"))
    method = models.CharField(_("走访方式"), max_length=16, choices=Method.choices, default=Method.IN_PERSON)
    visited_at = models.DateTimeField(_("走访时间"), default=timezone.now, db_index=True)
    findings = models.TextField(_("走访情况"))
    abnormal = models.BooleanField(_("发现异常"), default=False)
    lng = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="visits/%Y/%m/", max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)


class VisitAlert(models.Model):
    """An overdue visit of a high-risk person raised to the worker and their center: once per due date."""

    key_person = models.ForeignKey(KeyPerson, on_delete=models.CASCADE, related_name="alerts")
    due = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key_person", "due"], name="uniq_visit_alert")]


class AddressSequence(models.Model):
    """Per-community counter for stable address codes."""

    region = models.OneToOneField("regions.Region", on_delete=models.CASCADE)
    last = models.PositiveIntegerField(default=0)


class TransferRequest(models.Model):
    """人口迁移申请: a writer registered someone whose record is kept outside their scope.

    Nothing of the resident changes until the side that keeps the record (whoever sees the resident
    now) confirms; the submitted values wait here.  The phone is kept encrypted, never in ``values``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        CONFIRMED = "confirmed", _("已确认迁入")
        REFUSED = "refused", _("未予确认")
        CANCELLED = "cancelled", _("已撤销")

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="transfer_requests",
                                 verbose_name=_("人员"))
    # the community that kept the record when the request was made, and the one the person moves into
    from_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("原登记村(社区)"))
    to_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("迁入村(社区)"))
    house = models.ForeignKey(House, on_delete=models.PROTECT, related_name="transfer_requests",
                              verbose_name=_("迁入房屋"))
    # the submitted values (name, household, hukou_place, relation, moved_in, birth_date, sex)
    values = models.JSONField(_("申请登记的信息"), default=dict)
    phone_enc = models.TextField(_("申请登记的电话(加密)"), blank=True, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("申请人"))
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now, db_index=True)
    source = models.CharField(_("来源"), max_length=32, blank=True)  # web / api / import:<file>
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("处理人"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    reason = models.CharField(_("理由"), max_length=200, blank=True)

    class TransferQuerySet(models.QuerySet):
        def visible_to(self, user):
            """The side that keeps the record: whoever may write the resident now, and — once decided — the
            centers of the community the record was kept in.  Never the requester's side as such: a pending
            request would tell them that the person is registered elsewhere."""
            from gridgov.accounts.models import User
            from gridgov.accounts.scope import NOTHING
            from gridgov.registry.scope import registry_scope_q

            if user is None or not getattr(user, "is_authenticated", False) or user.role == User.Role.LEADER:
                return self.filter(NOTHING)
            q = registry_scope_q(user, "resident__region__code", "resident__grid")
            if user.role == User.Role.OPERATOR and user.region_id:
                q |= Q(from_region__code__startswith=user.region.code) & ~Q(status="pending")
            return self.filter(q).distinct()

    objects = TransferQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("人口迁移申请")
        verbose_name_plural = _("人口迁移申请")
        constraints = [
            models.UniqueConstraint(fields=["resident", "house"], condition=Q(status="pending"),
                                    name="one_pending_transfer_per_resident_and_house"),
        ]

    def __str__(self) -> str:
        return f"{self.resident.name} → {self.to_region.name}"

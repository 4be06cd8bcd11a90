"""Events (事件) and their closed loop.

Declared on the case kernel (:mod:`gridgov.cases.models`): ``Event`` is a :class:`~gridgov.cases.models.Case`,
its log, attachments and SLA notices the kernel's bases. ``Event.status`` is written only by the
transition engine through the lifecycle in :mod:`gridgov.events.workflow`; what time changes (SLA state,
overdue) is derived at read time in :mod:`gridgov.events.sla`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases import marks
from gridgov.cases.models import CaseAttachment, CaseLog, CaseNotice, SweptCase, upload_path
from gridgov.cases.scope import NOTHING, case_scope_q, likely
from gridgov.core.crypto import SealedPhone
from gridgov.core.memo import RowMemo


class TimeUnit(models.TextChoices):
    NATURAL_HOURS = "natural_hours", _("自然时")
    WORKING_HOURS = "working_hours", _("工作时")
    WORKING_DAYS = "working_days", _("工作日")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    CRITICAL = "critical", _("特急")


class Category(models.Model):
    """Two-level taxonomy: a top-level group (矛盾纠纷 / 问题隐患 …) and its leaves."""

    code = models.CharField(_("分类编码"), max_length=16, unique=True)
    name = models.CharField(_("分类名称"), max_length=50)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("上级分类"),
    )
    default_department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.SET_NULL,
        verbose_name=_("默认处置部门"),
    )
    urgency = models.CharField(_("默认紧急程度"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    time_limit = models.PositiveIntegerField(_("处置时限"), default=5)
    time_unit = models.CharField(_("时限单位"), max_length=16, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS)
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("事件分类")
        verbose_name_plural = _("事件分类")

    def __str__(self) -> str:
        return self.name

    @property
    def is_leaf(self) -> bool:
        return self.parent_id is not None

    def clean(self) -> None:
        """Two levels, and a limit that leaves time to work (the admin's form calls this)."""
        from django.core.exceptions import ValidationError

        errors = {}
        if self.parent_id is not None:
            if self.parent_id == self.pk:
                errors["parent"] = _("上级分类不能是自己")
            elif self.parent.parent_id is not None:
                errors["parent"] = _("分类只有两级：上级分类必须是一级分类")
            elif self.pk and self.children.exists():
                errors["parent"] = _("该分类下已有子分类，不能再设上级分类")
        if self.time_limit < 1:
            errors["time_limit"] = _("处置时限至少为1")
        if errors:
            raise ValidationError(errors)


class Status(models.TextChoices):
    REPORTED = "reported", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("已合并")
    DISPATCHED = "dispatched", _("待签收")
    HANDLING = "handling", _("处置中")
    HANDLED = "handled", _("待核查")
    CLOSED = "closed", _("已结案")


OPEN_STATUSES = (Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.HANDLING, Status.HANDLED)


class Source(models.TextChoices):
    GRID_PATROL = "grid_patrol", _("网格员巡查")
    CITIZEN = "citizen", _("群众上报")
    HOTLINE = "hotline", _("热线")
    VIDEO = "video", _("视频发现")
    DEPARTMENT = "department", _("部门移交")
    SUPERIOR = "superior", _("上级交办")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class Supervision(models.TextChoices):
    NONE = "", _("无")
    YELLOW = "yellow", _("黄牌督办")
    RED = "red", _("红牌督办")


def event_scope_q(user) -> Q:
    """Which events a user may see: the kernel's rule; a liaison every case their department was ever
    dispatched to; a grid worker their grids', their own reports and the cases those were merged into."""
    return case_scope_q(user, liaison=_liaison_q, grid_worker=_grid_worker_q)


# The two roles that see events through a many-valued relation read it in a subquery (``pk IN (…)``), never a
# join: a join repeats an event once per matching row and the lists would need a DISTINCT over the whole scope.


def _liaison_q(user) -> Q:
    if user.department_id is None:
        return NOTHING
    through = Event.involved_departments.through
    # a large department is involved in a third of a city's events: never the rows to start a plan from (the
    # inbox's tabs start from the lead department's index and the calls; a list from the index of its order).
    # A correlated EXISTS, checked on each candidate row by the (event, department) key: as ``pk IN (…)`` SQLite
    # built the department's whole list of events (700,000 at 2,000,000 events) for every query, 200 ms each
    involved = through.objects.filter(event_id=models.OuterRef("pk"), department_id=user.department_id)
    return likely(Q(models.Exists(involved)), always=True)


def _grid_worker_q(user) -> Q:
    from gridgov.regions.models import GridStaff

    return (Q(grid_id__in=GridStaff.objects.filter(user=user).values("grid_id")) | Q(reporter=user)
            | Q(pk__in=Event.objects.filter(reporter=user, merged_into__isnull=False).values("merged_into_id")))


# The worklist's order — soonest deadline first, those without one last, newest first among equals — written
# with ``deadline IS NULL`` as its own key rather than ``NULLS LAST``: SQLite cannot build an index in a NULLS
# LAST order, and this way the same index (Event.Meta ``event_worklist_order``) hands the first page of any
# list to both databases without sorting the scope.
DEADLINE_MISSING = models.ExpressionWrapper(Q(deadline__isnull=True), output_field=models.BooleanField())
WORKLIST_ORDER = (DEADLINE_MISSING.asc(), models.F("deadline").asc(), models.F("created_at").desc(),
                  models.F("id").desc())


class EventQuerySet(models.QuerySet):
    def visible_to(self, user) -> EventQuerySet:
        """The one place that decides which events a user may see."""
        return self.filter(event_scope_q(user))

    def open(self) -> EventQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Event(SweptCase):
    # unique through Meta.constraints (uniq_event_number), not unique=True: on PostgreSQL that would add a second,
    # varchar_pattern_ops index for LIKE 'prefix%' that no query uses (docs/architecture.md "Indexes of the events table")
    number = models.CharField(_("事件编号"), max_length=20)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    # no index of its own: (category, status, created_at) serves the category's rows
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="events", verbose_name=_("分类"),
                                 db_index=False)
    title = models.CharField(_("标题"), max_length=100, blank=True)
    description = models.TextField(_("事件描述"))
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    grid = models.ForeignKey(
        "regions.Grid", null=True, blank=True, on_delete=models.PROTECT, related_name="events", verbose_name=_("网格")
    )
    urgency = models.CharField(_("紧急程度"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    people_involved = models.PositiveIntegerField(_("涉及人数"), default=0)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="reported_events",
        verbose_name=_("上报人"),
    )
    reporter_name = models.CharField(_("上报人姓名"), max_length=50, blank=True)
    # the reporter's phone is sealed like an identity number (core.crypto.SealedPhone)
    reporter_phone_enc = models.TextField(_("上报人电话(加密)"), blank=True, editable=False)
    # not indexed: the one lookup (a citizen's 查询 by number and phone) finds the row by its unique number
    reporter_phone_hash = models.CharField(max_length=64, blank=True, editable=False, verbose_name=_("上报人手机号摘要"))
    reporter_phone = SealedPhone("reporter_phone")

    # no index of its own: event_region_status (region, status) serves the region's rows
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="%(class)ss",
                               verbose_name=_("所属区划"), db_index=False)
    # no index of its own: (status, deadline) serves a status's rows
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REPORTED)
    # no index of its own: event_lead_status (lead_department, status) serves the department's rows
    lead_department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="lead_events",
        verbose_name=_("主办部门"), db_index=False,
    )
    assisting_departments = models.ManyToManyField(
        "accounts.Department", blank=True, related_name="assisting_events", verbose_name=_("协办部门")
    )
    # every department the case was ever dispatched to (lead or assisting): they keep read access
    involved_departments = models.ManyToManyField(
        "accounts.Department", blank=True, related_name="involved_events", verbose_name=_("参与过的部门")
    )

    # the deadline of the current stage (accept, handle or verify): Case's fields, the unit with its choices
    deadline_unit = models.CharField(max_length=16, choices=TimeUnit.choices, blank=True, verbose_name=_("时限单位"))

    rework_count = models.PositiveIntegerField(_("返工次数"), default=0)
    return_count = models.PositiveIntegerField(_("退回次数"), default=0)
    extension_count = models.PositiveIntegerField(_("延期次数"), default=0)
    reopen_count = models.PositiveIntegerField(_("重启次数"), default=0)
    escalation_count = models.PositiveIntegerField(_("上报上级次数"), default=0)
    resolved_on_spot = models.BooleanField(_("就地解决"), default=False)
    result = models.TextField(_("处置结果"), blank=True)

    # indexed only where set (Meta: event_merged_into): few cases are merged, and an index entry for every NULL
    # would cost each insert and each update of a case
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_events", verbose_name=_("合并至"),
        db_index=False,
    )
    supervision = models.CharField(_("督办"), max_length=8, choices=Supervision.choices, default="", blank=True)
    # set by the SLA sweep when an overdue case was raised to the next-level center
    escalated_center = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="overdue_events", verbose_name=_("上报至中心"),
    )

    rating = models.CharField(_("评价"), max_length=16, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=500, blank=True)
    # 跟踪回访 (gridgov/events/followup.py): the satisfaction of the 回访 that counts since the case was closed
    # and whom that 回访 asked (its rank) — it counts as the case's rating while the reporter has not rated; and
    # whether a 不满意 that counts still waits for the center: reopen or explain_dissatisfaction takes it off
    followup_rating = models.CharField(_("回访满意度"), max_length=16, choices=Rating.choices, blank=True)
    followup_respondent = models.CharField(_("计入的回访对象"), max_length=8, blank=True,
                                           choices=[("reporter", _("反映人本人")), ("other", _("其他当事人"))])
    # no index of its own: the partial index event_unsatisfied_pending holds exactly the rows where it is true
    dissatisfaction_pending = models.BooleanField(_("不满意待处理"), default=False)

    idempotency_scope = models.CharField(max_length=64, blank=True, verbose_name=_("防重复提交范围"))
    idempotency_key = models.CharField(max_length=128, blank=True, verbose_name=_("防重复提交键"))
    # the keyed hash of the first request's body (core/idempotency.py): a replay with another body is refused
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, editable=False, verbose_name=_("防重复提交指纹"))

    created_at = models.DateTimeField(_("上报时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        constraints = [
            models.UniqueConstraint(fields=["number"], name="uniq_event_number"),
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="uniq_event_idempotency",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["category", "status", "created_at"]),
            # the region and status ride along: a scope's or a status filter's misses are skipped in the index
            models.Index(*WORKLIST_ORDER, "region", "status", name="event_worklist_order"),
            # a region's events by status (the worklist's status chips, each counted from this index alone)
            models.Index(fields=["region", "status"], name="event_region_status"),
            # the 不满意待处理 chip: the few closed cases whose 不满意 the center still has to act on
            models.Index(fields=["region", "status"], condition=Q(dissatisfaction_pending=True),
                         name="event_unsatisfied_pending"),
            # the inbox's lead cases by state
            models.Index(fields=["lead_department", "status"], name="event_lead_status"),
            # the inbox's 已反馈 tab, newest change first
            models.Index(fields=["updated_at"], name="event_updated_at"),
            # the SLA sweep's cases still to escalate or remind (the marks; gridgov.cases.marks)
            *marks.sweep_indexes("event"),
            models.Index(fields=["merged_into"], condition=Q(merged_into__isnull=False), name="event_merged_into"),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EventLog(CaseLog):
    """One transition or note on an event.  Append-only."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="log", verbose_name=_("事件"))

    class Meta(CaseLog.Meta):
        verbose_name = _("事件流转记录")
        verbose_name_plural = _("事件流转记录")


attachment_path = upload_path  # the name the first migrations know


class Attachment(CaseAttachment):
    UPLOAD_DIR = "events"

    class Kind(models.TextChoices):
        PHOTO = "photo", _("照片")
        AUDIO = "audio", _("音频")
        VIDEO = "video", _("视频")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attachments")
    log = models.ForeignKey(EventLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta(CaseAttachment.Meta):
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    @property
    def url(self) -> str:
        """Served by a view that checks the viewer may see the event, never straight from storage."""
        from django.urls import reverse

        return reverse("attachment", args=[self.pk])


class ExtensionRequest(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        DENIED = "denied", _("未批准")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="extension_requests")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_deadline = models.DateTimeField(_("申请延期至"))
    reason = models.TextField(_("延期理由"))
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event"], condition=Q(state="pending"), name="one_pending_extension_per_event"
            )
        ]


class SlaNotice(CaseNotice):
    """A reminder or escalation the SLA sweep has made.

    The unique constraint on (event, kind, deadline) is what makes the sweep
    exactly-once per case and deadline, however many sweeps run at once.
    """

    class Kind(models.TextChoices):
        REMIND = "remind", _("即将超期提醒")
        ESCALATE = "escalate", _("超期升级")
        ASSIST_OVERDUE = "assist_overdue", _("协办未按时报到提醒")

    # no index of its own: uniq_sla_notice (event, kind, deadline) serves the event's notices
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sla_notices", db_index=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "kind", "deadline"], name="uniq_sla_notice"),
        ]


class FollowUp(models.Model):
    """A 回访: the center's operator or a grid worker of the case's grid called on (or visited) the reporter
    or another affected person after the case was closed, and asked whether they were satisfied. Written by
    the ``follow_up`` transition's effect (gridgov/events/followup.py), whose log row carries the same facts;
    never changed afterwards."""

    class Method(models.TextChoices):
        PHONE = "phone", _("电话回访")
        VISIT = "visit", _("上门回访")
        SMS = "sms", _("短信回访")
        OTHER = "other", _("其他方式")

    class Respondent(models.TextChoices):
        REPORTER = "reporter", _("反映人本人")
        OTHER = "other", _("其他当事人")

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="followups", verbose_name=_("事件"))
    method = models.CharField(_("回访方式"), max_length=8, choices=Method.choices)
    respondent = models.CharField(_("回访对象"), max_length=8, choices=Respondent.choices)
    respondent_name = models.CharField(_("受访人姓名"), max_length=50, blank=True)
    relationship = models.CharField(_("与事件关系"), max_length=50, blank=True)
    result = models.TextField(_("回访情况"))
    satisfaction = models.CharField(_("满意度"), max_length=16, choices=Rating.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("回访人"))
    created_at = models.DateTimeField(_("回访时间"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("事件回访")
        verbose_name_plural = _("事件回访")


class Assist(models.Model):
    """吹哨报到: one assisting department called to a case at dispatch — its 报到 (sign-in) and its part of the
    work (协办反馈). Written by the lifecycle's effects (:mod:`gridgov.events.assists`), never by a page.

    A new dispatch calls afresh; a return or a reopen withdraws the calls still open."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="assists", verbose_name=_("事件"))
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="assists",
                                   verbose_name=_("协办部门"))
    called_at = models.DateTimeField(_("吹哨时间"))
    report_deadline = models.DateTimeField(_("报到时限"))
    feedback_deadline = models.DateTimeField(_("协办反馈时限"), null=True, blank=True)
    reported_in_at = models.DateTimeField(_("报到时间"), null=True, blank=True)
    reported_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", verbose_name=_("报到人"))
    reported_on_time = models.BooleanField(_("按时报到"), null=True, blank=True)
    feedback_at = models.DateTimeField(_("协办反馈时间"), null=True, blank=True)
    feedback_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("反馈人"))
    feedback = models.TextField(_("协办反馈"), blank=True)
    feedback_on_time = models.BooleanField(_("按期反馈"), null=True, blank=True)
    # the 协办反馈 log row: its attachments are the department's photos
    feedback_log = models.ForeignKey(EventLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("协办反馈记录"))
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        ordering = ["called_at", "id"]
        verbose_name = _("协办（吹哨报到）")
        verbose_name_plural = _("协办（吹哨报到）")
        constraints = [
            models.UniqueConstraint(fields=["event", "department"],
                                    condition=Q(withdrawn_at__isnull=True, feedback_at__isnull=True),
                                    name="one_open_assist_per_department"),
        ]
        indexes = [models.Index(fields=["department", "reported_in_at"])]

    @property
    def is_open(self) -> bool:
        return self.withdrawn_at is None and self.feedback_at is None


# the categories by code, read on the intake's path without a query (gridgov.core.memo; saves and deletes bump it)
CATEGORIES = RowMemo(Category, "events.category")

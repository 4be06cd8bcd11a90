"""Petitions (信访): registration, the lifecycle under the 信访工作条例 (2022), deadlines, repeats.

Declared on the case kernel (:mod:`gridgov.cases.models`): ``Petition`` is a :class:`~gridgov.cases.models.Case`,
its log, attachments and SLA notices the kernel's bases. ``Petition.status`` is written only by the
transition engine through the lifecycle in :mod:`gridgov.petitions.workflow`; every transition appends
a :class:`PetitionLog` row, which is never updated or deleted.  What time changes (SLA state of the
current stage and of the 7-day reply, backlog by age) is derived at read time
(:mod:`gridgov.petitions.sla`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases import marks
from gridgov.cases.models import CaseAttachment, CaseLog, CaseNotice, CaseParty, SweptCase, upload_path
from gridgov.cases.scope import case_scope_q, of_department


class Channel(models.TextChoices):
    LETTER = "letter", _("来信")
    VISIT = "visit", _("来访")
    ONLINE = "online", _("网上")
    PHONE = "phone", _("电话")


class Status(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    HANDLING = "handling", _("办理中")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    TRANSFERRED = "transferred", _("已转送")
    REPLIED = "replied", _("已答复")
    REVIEWING = "reviewing", _("复查中")
    REVIEW_REPLIED = "review_replied", _("已复查")
    RECHECKING = "rechecking", _("复核中")
    RECHECK_REPLIED = "recheck_replied", _("已复核")
    CLOSED = "closed", _("已办结")


# not finished: still somebody's work (a transfer to a department in the system is that department's)
OPEN_STATUSES = (
    Status.REGISTERED, Status.HANDLING, Status.REPLIED, Status.REVIEWING, Status.REVIEW_REPLIED,
    Status.RECHECKING, Status.RECHECK_REPLIED,
)


def open_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}status__in": OPEN_STATUSES}) | Q(
        **{f"{prefix}status": Status.TRANSFERRED, f"{prefix}transferred_to_department__isnull": False}
    )


class PetitionQuerySet(models.QuerySet):
    def visible_to(self, user) -> PetitionQuerySet:
        """The one place that decides which petitions a user may see (outside it: 404)."""
        return self.filter(petition_scope_q(user)).distinct()

    def open(self) -> PetitionQuerySet:
        return self.filter(open_q())


def petition_scope_q(user) -> Q:
    """The kernel's rule; a liaison sees what was transferred or handed to their department, a grid worker
    what they registered."""
    return case_scope_q(
        user,
        liaison=of_department("transferred_to_department", "handling_department"),
        grid_worker=lambda u: Q(registered_by=u),
    )


class Petition(SweptCase):
    number = models.CharField(_("信访编号"), max_length=20, unique=True)
    channel = models.CharField(_("信访形式"), max_length=8, choices=Channel.choices)
    subject = models.CharField(_("信访事项"), max_length=200)
    demands = models.TextField(_("诉求"))
    # who the petition is addressed to: a department in the system, or free text
    target_department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("反映对象(部门)"),
    )
    target_agency = models.CharField(_("反映对象"), max_length=100, blank=True)
    # where the matter is (Case's field, with the petition's label)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="%(class)ss",
                               verbose_name=_("事项所在区划"))
    # the region whose center received it (an operator's own region; otherwise the matter's center)
    center = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="center_%(class)ss",
                               verbose_name=_("登记中心"))
    people_count = models.PositiveIntegerField(_("来访人数"), default=1)
    is_collective = models.BooleanField(_("联名/集体访"), default=False)
    events = models.ManyToManyField("events.Event", blank=True, related_name="petitions", verbose_name=_("关联事件"))
    disputes = models.ManyToManyField("disputes.Dispute", blank=True, related_name="petitions",
                                      verbose_name=_("关联纠纷"))

    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                      related_name="registered_petitions", verbose_name=_("登记人"))
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now, db_index=True)

    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REGISTERED,
                              db_index=True)
    handling_department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="handling_petitions",
        verbose_name=_("办理部门"),
    )
    transferred_to_department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="transferred_petitions",
        verbose_name=_("转送部门"),
    )
    transferred_to_agency = models.CharField(_("转送机关"), max_length=100, blank=True)
    decision_reason = models.TextField(_("不予受理理由"), blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    reply_text = models.TextField(_("书面答复意见"), blank=True)
    replied_on = models.DateField(_("书面答复日期"), null=True, blank=True)
    # 送达: the day the petitioner received the written reply; the 30-day 复查 window runs from it
    reply_delivered_on = models.DateField(_("书面答复送达日期"), null=True, blank=True)
    review_requested_at = models.DateTimeField(_("申请复查时间"), null=True, blank=True)
    review_replied_on = models.DateField(_("复查意见日期"), null=True, blank=True)
    # the day the petitioner received the review opinion; the 30-day 复核 window runs from it
    review_delivered_on = models.DateField(_("复查意见送达日期"), null=True, blank=True)
    recheck_requested_at = models.DateTimeField(_("申请复核时间"), null=True, blank=True)
    recheck_replied_on = models.DateField(_("复核意见日期"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)  # Case's field, the petition's label
    extension_days = models.PositiveIntegerField(_("已延长天数"), default=0)

    # the deadline of the current stage (acceptance, handling, review, recheck) is Case's: stage_started_at,
    # deadline, warn_at, deadline_unit (natural time: the periods are calendar days); None when none runs.
    # "群众来信件件有回复": the procedural reply a letter is owed (None for channels that owe none)
    ack_due_at = models.DateTimeField(_("程序性回复时限"), null=True, blank=True, db_index=True)
    ack_warn_at = models.DateTimeField(null=True, blank=True, verbose_name=_("告知临期提醒时间"))
    acked_at = models.DateTimeField(_("程序性回复时间"), null=True, blank=True)

    # 重复信访: the first petition of the group, and how many repeats the group has had
    repeat_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="repeats",
                                  verbose_name=_("首次信访"))
    repeat_count = models.PositiveIntegerField(_("重复次数"), default=0, db_index=True)
    # 领导包案
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="led_petitions", verbose_name=_("包案领导"))

    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("创建时间"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))

    objects = PetitionQuerySet.as_manager()

    class Meta:
        ordering = ["-registered_at"]
        verbose_name = _("信访件")
        verbose_name_plural = _("信访件")
        indexes = [models.Index(fields=["status", "deadline"]), models.Index(fields=["channel", "registered_at"]),
                   *marks.sweep_indexes("petition")]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES or (
            self.status == Status.TRANSFERRED and self.transferred_to_department_id is not None)

    @property
    def target_label(self) -> str:
        return self.target_department.name if self.target_department_id else self.target_agency

    @property
    def transferred_label(self) -> str:
        return self.transferred_to_department.name if self.transferred_to_department_id else self.transferred_to_agency


class Petitioner(CaseParty):
    """One petitioner: a registry resident when known; otherwise name, phone and an optional,
    encrypted identity number."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="petitioners", verbose_name=_("信访件"))
    resident = models.ForeignKey("registry.Resident", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="petitions_as_petitioner", verbose_name=_("实有人口"))
    # name and phone (sealed like the identity number): CaseParty's
    id_number_enc = models.TextField(blank=True, verbose_name=_("身份证号(加密)"))
    id_hash = models.CharField(max_length=64, blank=True, db_index=True, verbose_name=_("身份证号摘要"))
    id_masked = models.CharField(_("身份证号码"), max_length=32, blank=True)
    order = models.PositiveIntegerField(default=0, verbose_name=_("排序"))

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("信访人")
        verbose_name_plural = _("信访人")

    phone_masked = CaseParty.masked_phone  # the name the petition pages use


class PetitionLog(CaseLog):
    """One transition or note on a petition.  Append-only."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="log", verbose_name=_("信访件"))

    class Meta(CaseLog.Meta):
        verbose_name = _("信访办理记录")
        verbose_name_plural = _("信访办理记录")


attachment_path = upload_path  # the name the first migrations know


class PetitionAttachment(CaseAttachment):
    UPLOAD_DIR = "petitions"

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="attachments")
    log = models.ForeignKey(PetitionLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta(CaseAttachment.Meta):
        pass

    @property
    def url(self) -> str:
        from django.urls import reverse

        return reverse("petitions:attachment", args=[self.pk])


class Extension(models.Model):
    """延期: requested with a reason and a number of days, approved or denied by the center."""

    class State(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        DENIED = "denied", _("未批准")

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveIntegerField(_("延长天数"))
    reason = models.TextField(_("延期理由"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["petition"], condition=Q(state="pending"),
                                    name="one_pending_petition_extension"),
            # the regulation allows one extension: a second approval cannot be stored
            models.UniqueConstraint(fields=["petition"], condition=Q(state="approved"),
                                    name="one_approved_petition_extension"),
        ]


class PetitionNotice(CaseNotice):
    """A reminder or escalation the sweep has made; the unique constraint makes it exactly-once
    per petition, kind and deadline."""

    class Kind(models.TextChoices):
        REMIND = "remind", _("即将超期提醒")
        ESCALATE = "escalate", _("超期升级")
        ACK_REMIND = "ack_remind", _("来信回复即将超期")
        ACK_OVERDUE = "ack_overdue", _("来信未按期回复")

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=16, choices=Kind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["petition", "kind", "deadline"], name="uniq_petition_notice"),
        ]

"""Disputes (矛盾纠纷) and their mediation: parties, mediators (专家超市), sessions, agreements.

Declared on the case kernel (:mod:`gridgov.cases.models`): ``Dispute`` is a :class:`~gridgov.cases.models.Case`,
its log, session attachments and notices the kernel's bases. ``Dispute.status`` is written only by the
transition engine through the lifecycle in :mod:`gridgov.disputes.workflow`; every transition appends a
:class:`DisputeLog` row, which is never updated or deleted.  What time changes (SLA state, a
mediator's load and success rate) is derived at read time.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases import marks
from gridgov.cases.models import CaseAttachment, CaseLog, CaseNotice, CaseParty, SweptCase, upload_path
from gridgov.cases.scope import case_scope_q
from gridgov.core.crypto import SealedPhone
from gridgov.laws import taxonomy

# the taxonomy lives with the law library's consultation, which reads it too
DisputeType = taxonomy.DisputeType


class Channel(models.TextChoices):
    PEOPLE = "people", _("人民调解")
    ADMINISTRATIVE = "administrative", _("行政调解")
    JUDICIAL = "judicial", _("司法调解(诉前调解)")


class Status(models.TextChoices):
    REGISTERED = "registered", _("登记")
    ACCEPTED = "accepted", _("已受理")
    REJECTED = "rejected", _("不予受理")
    ASSIGNED = "assigned", _("已分派调解")
    MEDIATING = "mediating", _("调解中")
    SUCCEEDED = "succeeded", _("调解成功")
    FAILED = "failed", _("调解不成")
    FOLLOWED_UP = "followed_up", _("已回访")
    CLOSED = "closed", _("结案")


OPEN_STATUSES = (Status.REGISTERED, Status.ACCEPTED, Status.ASSIGNED, Status.MEDIATING, Status.SUCCEEDED,
                 Status.FAILED, Status.FOLLOWED_UP)
# the mediation deadline runs while the case waits for or is in mediation
RUNNING_STATUSES = (Status.ACCEPTED, Status.ASSIGNED, Status.MEDIATING)
LOAD_STATUSES = (Status.ASSIGNED, Status.MEDIATING)


class RiskGrade(models.TextChoices):
    GENERAL = "general", _("一般")
    SERIOUS = "serious", _("较大")
    MAJOR = "major", _("重大")


GRADE_ORDER = {RiskGrade.GENERAL: 0, RiskGrade.SERIOUS: 1, RiskGrade.MAJOR: 2}


class Referral(models.TextChoices):
    NONE = "", _("无")
    LITIGATION = "litigation", _("诉讼")
    ARBITRATION = "arbitration", _("仲裁")
    ADMINISTRATIVE = "administrative", _("行政裁决")
    PETITION = "petition", _("信访")


class Source(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员排查")
    CENTER = "center", _("中心登记")
    MEDIATOR = "mediator", _("调解员受理")
    CITIZEN = "citizen", _("群众申请")
    EVENT = "event", _("事件转入")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


# --- mediators (调解员"专家超市") -----------------------------------------------------------------


class Mediator(models.Model):
    class OrgKind(models.TextChoices):
        COMMITTEE = "committee", _("人民调解委员会")
        STUDIO = "studio", _("个人品牌调解室")
        PROFESSIONAL = "professional", _("行业性专业性调委会")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="mediator_profile", verbose_name=_("登录账号"))
    name = models.CharField(_("姓名"), max_length=50)
    org_kind = models.CharField(_("组织类型"), max_length=16, choices=OrgKind.choices, default=OrgKind.COMMITTEE)
    org_name = models.CharField(_("所在组织"), max_length=100)
    specialties = models.JSONField(_("擅长纠纷类型"), default=list, blank=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="mediators",
                               verbose_name=_("服务区域"))
    languages = models.CharField(_("语言/方言"), max_length=100, blank=True, default="普通话")
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    bio = models.TextField(_("简介"), blank=True)
    active = models.BooleanField(_("在岗"), default=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("创建时间"))

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("调解员")
        verbose_name_plural = _("调解员")

    def __str__(self) -> str:
        return self.name

    @property
    def specialty_labels(self) -> list[str]:
        labels = dict(DisputeType.choices)
        return [str(labels.get(s, s)) for s in self.specialties]


# --- disputes -----------------------------------------------------------------------------------


def dispute_scope_q(user) -> Q:
    """Who sees which disputes — the one place (behind ``Dispute.objects.visible_to``): the kernel's rule,
    and grid workers their grids' and their own, mediators theirs."""
    return case_scope_q(
        user,
        grid_worker=lambda u: Q(grid__staff__user=u) | Q(reporter=u),
        mediator=lambda u: Q(mediator__user=u),
    )


class DisputeQuerySet(models.QuerySet):
    def visible_to(self, user) -> DisputeQuerySet:
        return self.filter(dispute_scope_q(user)).distinct()

    def open(self) -> DisputeQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Dispute(SweptCase):
    number = models.CharField(_("纠纷编号"), max_length=20, unique=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    dispute_type = models.CharField(_("纠纷类型"), max_length=16, choices=DisputeType.choices)
    channel = models.CharField(_("调解渠道"), max_length=16, choices=Channel.choices, default=Channel.PEOPLE)
    description = models.TextField(_("纠纷简要情况"))
    amount = models.DecimalField(_("涉及金额(元)"), max_digits=14, decimal_places=2, default=0)
    people_count = models.PositiveIntegerField(_("涉及人数"), default=2)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地点"), max_length=200, blank=True)
    grid = models.ForeignKey("regions.Grid", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="disputes", verbose_name=_("网格"))
    event = models.OneToOneField("events.Event", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="dispute", verbose_name=_("来源事件"))

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="reported_disputes", verbose_name=_("登记人"))
    reporter_name = models.CharField(_("申请人/登记人姓名"), max_length=50, blank=True)
    # phones are sealed like identity numbers (core.crypto.SealedPhone)
    reporter_phone_enc = models.TextField(_("申请人/登记人电话(加密)"), blank=True, editable=False)
    reporter_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False, verbose_name=_("上报人手机号摘要"))
    reporter_phone = SealedPhone("reporter_phone")

    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REGISTERED,
                              db_index=True)
    mediator = models.ForeignKey(Mediator, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="disputes", verbose_name=_("调解员"))
    chosen_by_party = models.BooleanField(_("当事人选定调解员"), default=False)

    # risk: the grade the rules computed, the reasons, and an operator's override (logged)
    risk_computed = models.CharField(_("规则评定风险"), max_length=8, choices=RiskGrade.choices,
                                     default=RiskGrade.GENERAL)
    risk_reasons = models.JSONField(_("风险因素"), default=list, blank=True)
    risk_assessed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("风险评估时间"))
    risk_override = models.CharField(_("人工调整风险"), max_length=8, choices=RiskGrade.choices, blank=True)
    risk_override_reason = models.CharField(_("调整理由"), max_length=500, blank=True)

    # the mediation deadline: Case's stage fields, with the dispute's label
    deadline = models.DateTimeField(_("调解期限"), null=True, blank=True)

    referral = models.CharField(_("引导分流"), max_length=16, choices=Referral.choices, blank=True)
    result = models.TextField(_("调解结果"), blank=True)
    satisfaction = models.CharField(_("回访满意度"), max_length=16, choices=Satisfaction.choices, blank=True)
    reopen_count = models.PositiveIntegerField(_("重启次数"), default=0)

    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))
    # a retried registration (Idempotency-Key) finds the first one: per user, or per phone for citizens
    idempotency_scope = models.CharField(max_length=64, blank=True, verbose_name=_("防重复提交范围"))
    idempotency_key = models.CharField(max_length=128, blank=True, verbose_name=_("防重复提交键"))
    # the keyed hash of the first request's body (core/idempotency.py): a replay with another body is refused
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, editable=False, verbose_name=_("防重复提交指纹"))

    objects = DisputeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("矛盾纠纷")
        verbose_name_plural = _("矛盾纠纷")
        indexes = [models.Index(fields=["status", "deadline"]), models.Index(fields=["mediator", "status"]),
                   *marks.sweep_indexes("dispute")]
        constraints = [models.UniqueConstraint(fields=["idempotency_scope", "idempotency_key"],
                                               condition=~Q(idempotency_key=""), name="uniq_dispute_idempotency")]

    @property
    def risk_grade(self) -> str:
        return self.risk_override or self.risk_computed

    def get_risk_grade_display(self) -> str:
        return str(dict(RiskGrade.choices)[self.risk_grade])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Party(CaseParty):
    class Role(models.TextChoices):
        APPLICANT = "applicant", _("申请人")
        RESPONDENT = "respondent", _("被申请人")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties", verbose_name=_("纠纷"))
    role = models.CharField(_("当事人类型"), max_length=16, choices=Role.choices)
    resident = models.ForeignKey("registry.Resident", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="disputes", verbose_name=_("实有人口"))
    name = models.CharField(_("姓名/名称"), max_length=100)
    address = models.CharField(_("住址"), max_length=200, blank=True)

    class Meta:
        ordering = ["role", "id"]
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")


class DisputeLog(CaseLog):
    """One transition or note on a dispute.  Append-only."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="log", verbose_name=_("纠纷"))
    # on the outcome rows (succeed / fail): the mediator who mediated, so a reassigned case keeps its record
    mediator = models.ForeignKey("Mediator", null=True, blank=True, on_delete=models.PROTECT, related_name="outcomes", verbose_name=_("调解员"))

    class Meta(CaseLog.Meta):
        verbose_name = _("纠纷流转记录")
        verbose_name_plural = _("纠纷流转记录")


class Session(models.Model):
    class Mode(models.TextChoices):
        ONSITE = "onsite", _("现场调解")
        REMOTE = "remote", _("远程视频调解")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("纠纷"))
    held_at = models.DateTimeField(_("调解时间"))
    mode = models.CharField(_("方式"), max_length=8, choices=Mode.choices, default=Mode.ONSITE)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    video_link = models.CharField(_("视频会议链接"), max_length=300, blank=True)
    participants = models.CharField(_("参加人员"), max_length=500)
    minutes = models.TextField(_("调解笔录"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("记录人"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("创建时间"))

    class Meta:
        ordering = ["held_at", "id"]
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")


session_file_path = upload_path  # the name the first migrations know


class SessionAttachment(CaseAttachment):
    UPLOAD_DIR = "disputes"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attachments")


class Agreement(models.Model):
    """人民调解协议书: what the parties agreed, and whether it was performed."""

    class Performance(models.TextChoices):
        PENDING = "pending", _("待履行")
        FULFILLED = "fulfilled", _("已履行")
        PARTIAL = "partial", _("部分履行")
        NOT = "not", _("未履行")

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="agreement", verbose_name=_("纠纷"))
    facts = models.TextField(_("纠纷主要事实、争议事项"))
    terms = models.TextField(_("协议内容"))
    performance_deadline = models.DateField(_("履行期限"), null=True, blank=True)
    signed_on = models.DateField(_("协议签订日期"))
    performance = models.CharField(_("履行情况"), max_length=16, choices=Performance.choices,
                                   default=Performance.PENDING)
    performed_on = models.DateField(_("履行日期"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("创建人"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("调解协议")
        verbose_name_plural = _("调解协议")

    @property
    def confirmation_last_day(self):
        """The last day to apply for judicial confirmation (司法确认): 30 days from the agreement
        taking effect (人民调解法 第三十三条)."""
        return self.signed_on + timedelta(days=settings.GRIDGOV["DISPUTE_CONFIRM_DAYS"])


class DisputeNotice(CaseNotice):
    """A reminder the sweep made; the unique constraint makes it exactly-once per case and deadline."""

    class Kind(models.TextChoices):
        REMIND = "remind", _("即将超期提醒")
        OVERDUE = "overdue", _("超期通报")
        CONFIRM = "confirm", _("司法确认期限提醒")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=16, choices=Kind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dispute", "kind", "deadline"], name="uniq_dispute_notice")]


class DisputeArticle(models.Model):
    """A law article cited on a case (法律咨询 → 引用): written only by the workflow's ``cite_law`` action."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="cited_articles")
    article = models.ForeignKey("laws.Article", on_delete=models.CASCADE, related_name="disputes",
                                verbose_name=_("法条"))
    # the consultation's relevance (0–100, the share of its best hit's score; shown as 高/中/低 like the
    # consultation itself); None when the article was cited by hand. The raw score is never kept.
    relevance = models.PositiveSmallIntegerField(_("相关度"), null=True, blank=True)
    cited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("引用法条")
        verbose_name_plural = _("引用法条")
        constraints = [models.UniqueConstraint(fields=["dispute", "article"], name="cite_article_once")]

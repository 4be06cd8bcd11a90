"""重大决策社会稳定风险评估 (稳评): a major decision or project assessed before it is decided.

``Assessment`` is a :class:`~gridgov.cases.models.Case` on the kernel; its ``status`` is written only by the
lifecycle in :mod:`gridgov.assessments.workflow` (the steps 评估方案 → 风险调查 → 风险识别 → 评估论证 → 定级 →
决策 → 备案 → 跟踪 → 办结). Its child records — surveys, the risk register, the four findings — are written by
that lifecycle's effects, so every one of them has its log row.

``region``: the lowest region containing the whole affected area; ``center``: the county or city center that
runs the assessment. The affected area itself is ``affected_regions``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import Case, CaseLog
from gridgov.cases.scope import NOTHING


class Kind(models.TextChoices):
    LAND = "land", _("征地拆迁")
    PROJECT = "project", _("重大工程")
    POLICY = "policy", _("政策调整")
    ENTERPRISE = "enterprise", _("企业改制")
    OTHER = "other", _("其他")


class Status(models.TextChoices):
    PLAN = "plan", _("评估方案")
    SURVEY = "survey", _("风险调查")
    IDENTIFY = "identify", _("风险识别")
    ARGUE = "argue", _("评估论证")
    GRADE = "grade", _("定级")
    DECISION = "decision", _("决策")
    FILING = "filing", _("备案")
    TRACKING = "tracking", _("跟踪")
    CLOSED = "closed", _("已办结")


class Level(models.TextChoices):
    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低")


class Recommendation(models.TextChoices):
    IMPLEMENT = "implement", _("实施")
    POSTPONE = "postpone", _("暂缓实施")
    REJECT = "reject", _("不实施")


class Decision(models.TextChoices):
    ADOPTED = "adopted", _("决定实施")
    POSTPONED = "postponed", _("暂缓实施")
    REJECTED = "rejected", _("不予实施")


class Aspect(models.TextChoices):
    LEGALITY = "legality", _("合法性")
    REASONABLENESS = "reasonableness", _("合理性")
    FEASIBILITY = "feasibility", _("可行性")
    CONTROLLABILITY = "controllability", _("可控性")


class AssessmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> AssessmentQuerySet:
        """The one place that decides which assessments a user sees (outside it: 404)."""
        return self.filter(assessment_scope_q(user)).distinct()


def assessment_scope_q(user) -> Q:
    """An administrator sees every assessment; an operator or a leader those whose region or center lies in
    their own, and those whose affected area touches it (a township sees the county's assessment of a
    project in the township, and of one covering the whole county). Anybody else: nothing."""
    from gridgov.accounts.models import User

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.is_superuser or user.role == User.Role.ADMIN:
        return Q()
    if user.role not in (User.Role.OPERATOR, User.Role.LEADER) or not user.region_id:
        return NOTHING
    code = user.region.code
    return (Q(region__code__startswith=code) | Q(center__code__startswith=code)
            | Q(affected_regions__code__startswith=code) | Q(affected_regions__code__in=user.region.ancestors_codes()))


class Assessment(Case):
    number = models.CharField(_("稳评编号"), max_length=20, unique=True)
    status = models.CharField(_("环节"), max_length=16, choices=Status.choices, default=Status.PLAN, db_index=True)
    title = models.CharField(_("评估事项"), max_length=200)
    kind = models.CharField(_("事项类型"), max_length=16, choices=Kind.choices)
    responsible_body = models.CharField(_("决策主体"), max_length=100)
    assessing_body = models.CharField(_("评估主体"), max_length=100)
    third_party = models.BooleanField(_("第三方评估"), default=False)
    affected_regions = models.ManyToManyField("regions.Region", related_name="assessments_affecting",
                                              verbose_name=_("影响区域"))
    summary = models.TextField(_("事项概述"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="%(class)ss",
                               verbose_name=_("所涉区划"))
    center = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="center_%(class)ss",
                               verbose_name=_("组织评估中心"))

    plan = models.TextField(_("评估方案"), blank=True)
    risk_level = models.CharField(_("风险等级"), max_length=8, choices=Level.choices, blank=True)
    recommendation = models.CharField(_("评估建议"), max_length=16, choices=Recommendation.choices, blank=True)
    level_reason = models.TextField(_("定级理由"), blank=True)

    decision = models.CharField(_("决策结果"), max_length=16, choices=Decision.choices, blank=True)
    decided_on = models.DateField(_("决策日期"), null=True, blank=True)
    decision_note = models.TextField(_("决策说明"), blank=True)

    report = models.FileField(_("评估报告"), upload_to="assessments/%Y/%m/", max_length=200, blank=True)
    report_generated_at = models.DateTimeField(_("报告生成时间"), null=True, blank=True)
    report_sha256 = models.CharField(_("报告摘要(SHA-256)"), max_length=64, blank=True)

    filed_on = models.DateField(_("备案日期"), null=True, blank=True)
    filing_number = models.CharField(_("备案编号"), max_length=50, blank=True)
    filed_with = models.CharField(_("备案机关"), max_length=100, blank=True)

    implementation_started_on = models.DateField(_("实施开始日期"), null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("社会稳定风险评估")
        verbose_name_plural = _("社会稳定风险评估")


class AssessmentLog(CaseLog):
    """One transition of an assessment (a step finished, a survey or risk item recorded …). Append-only."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="log",
                                   verbose_name=_("稳评"))

    class Meta(CaseLog.Meta):
        verbose_name = _("稳评记录")
        verbose_name_plural = _("稳评记录")


class Survey(models.Model):
    """One 风险调查 activity: how, when, how many took part, and what they said."""

    class Method(models.TextChoices):
        NOTICE = "notice", _("公示")
        QUESTIONNAIRE = "questionnaire", _("问卷")
        FORUM = "forum", _("座谈")
        HEARING = "hearing", _("听证")
        EXPERT = "expert", _("专家咨询")
        LEGAL = "legal", _("合法性审查")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="surveys", verbose_name=_("稳评"))
    method = models.CharField(_("调查方式"), max_length=16, choices=Method.choices)
    held_on = models.DateField(_("日期"))
    participants = models.PositiveIntegerField(_("参与人数"))
    supporting = models.PositiveIntegerField(_("支持意见"), default=0)
    opposing = models.PositiveIntegerField(_("反对意见"), default=0)
    other = models.PositiveIntegerField(_("其他意见"), default=0)
    summary = models.TextField(_("主要意见"), blank=True)
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        ordering = ["held_on", "id"]
        verbose_name = _("风险调查")
        verbose_name_plural = _("风险调查")


class RiskItem(models.Model):
    """One row of the risk register; ``grade`` follows from likelihood and impact (:mod:`.risk`)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="risks", verbose_name=_("稳评"))
    item = models.CharField(_("风险点"), max_length=200)
    source = models.CharField(_("风险来源"), max_length=200)
    likelihood = models.PositiveSmallIntegerField(_("可能性(1-5)"))
    impact = models.PositiveSmallIntegerField(_("影响程度(1-5)"))
    grade = models.CharField(_("风险等级"), max_length=8, choices=Level.choices)
    mitigation = models.TextField(_("防范化解措施"))
    owner = models.CharField(_("责任单位"), max_length=100)
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("风险点")
        verbose_name_plural = _("风险点")


class Finding(models.Model):
    """评估论证 of one aspect (合法性、合理性、可行性、可控性): the finding and whether it passes."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="findings",
                                   verbose_name=_("稳评"))
    aspect = models.CharField(_("论证方面"), max_length=16, choices=Aspect.choices)
    text = models.TextField(_("论证意见"))
    passed = models.BooleanField(_("通过"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("论证意见")
        verbose_name_plural = _("论证意见")
        constraints = [models.UniqueConstraint(fields=["assessment", "aspect"], name="uniq_assessment_finding")]

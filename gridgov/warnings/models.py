"""Early warnings (预警): a case on the kernel, raised and updated by the rule engine (:mod:`.engine`).

``Warning.status`` is written only by the transition engine through :mod:`gridgov.warnings.workflow`; the
engine's upsert writes the figures a rule keeps finding (numbers, level, cases, last_seen, times_seen). At
most one open warning per de-duplication ``key`` — a partial unique constraint, so a race of two sweeps
cannot open a second one. :class:`RuleConfig` is what an administrator sets for a rule (on/off, params).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import Case, CaseLog
from gridgov.cases.scope import case_scope_q
from gridgov.cases.warnrules import LEVEL_LABELS, LEVELS


class Status(models.TextChoices):
    NEW = "new", _("新预警")
    ASSESSED = "assessed", _("已研判")
    HANDLING = "handling", _("处置中")
    RESOLVED = "resolved", _("已解除")
    FALSE_ALARM = "false_alarm", _("误报")


OPEN_STATUSES = (Status.NEW, Status.ASSESSED, Status.HANDLING)
CLOSED_STATUSES = (Status.RESOLVED, Status.FALSE_ALARM)
LEVEL_CHOICES = [(k, LEVEL_LABELS[k]) for k in LEVELS]


class WarningQuerySet(models.QuerySet):
    def visible_to(self, user) -> WarningQuerySet:
        """The one place that decides which warnings a user sees (outside it: 404)."""
        return self.filter(case_scope_q(user))

    def open(self) -> WarningQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Warning(Case):
    number = models.CharField(_("预警编号"), max_length=20, unique=True)
    rule = models.CharField(_("规则"), max_length=32, db_index=True)
    key = models.CharField(_("去重键"), max_length=200, db_index=True)
    level = models.CharField(_("预警级别"), max_length=8, choices=LEVEL_CHOICES)
    # the place: Case's region (the region the code lies in) and the code itself (a grid's or a region's)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="%(class)ss",
                               verbose_name=_("所属区划"))
    center = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="center_%(class)ss",
                               verbose_name=_("责任中心"))
    code = models.CharField(_("网格/区划代码"), max_length=15)
    title = models.CharField(_("标题"), max_length=200)
    explanation = models.TextField(_("预警说明"))
    numbers = models.JSONField(_("数据"), default=dict, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    first_seen = models.DateTimeField(_("首次发现"), default=timezone.now, db_index=True)
    last_seen = models.DateTimeField(_("最近发现"), default=timezone.now)
    times_seen = models.PositiveIntegerField(_("发现次数"), default=1)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True)
    assessment = models.TextField(_("研判意见"), blank=True)
    resolution = models.TextField(_("解除/误报理由"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = WarningQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen", "-id"]
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=Q(status__in=["new", "assessed", "handling"]),
                                    name="one_open_warning_per_key"),
        ]
        indexes = [models.Index(fields=["status", "level"]), models.Index(fields=["rule", "status"])]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def level_rank(self) -> int:
        return LEVELS.index(self.level)


class WarningCase(models.Model):
    """A case behind a warning: the lifecycle's kind (event, dispute, petition) or keyperson, and its id."""

    warning = models.ForeignKey(Warning, on_delete=models.CASCADE, related_name="cases", verbose_name=_("预警"))
    kind = models.CharField(_("类型"), max_length=16)
    case_id = models.BigIntegerField(_("案件ID"))

    class Meta:
        ordering = ["kind", "case_id"]
        verbose_name = _("预警关联案件")
        verbose_name_plural = _("预警关联案件")
        constraints = [models.UniqueConstraint(fields=["warning", "kind", "case_id"], name="uniq_warning_case")]


class WarningLog(CaseLog):
    """One transition on a warning. Append-only."""

    warning = models.ForeignKey(Warning, on_delete=models.PROTECT, related_name="log", verbose_name=_("预警"))

    class Meta(CaseLog.Meta):
        verbose_name = _("预警处置记录")
        verbose_name_plural = _("预警处置记录")


class WarningAction(models.Model):
    """A disposal action linked to a warning: a 督办 of an event behind it, a key-person visit, or a
    专项整治 (a text action with a responsible unit and a date)."""

    class Kind(models.TextChoices):
        SUPERVISION = "supervision", _("督办")
        VISIT = "visit", _("走访")
        RECTIFICATION = "rectification", _("专项整治")

    warning = models.ForeignKey(Warning, on_delete=models.CASCADE, related_name="actions", verbose_name=_("预警"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    summary = models.TextField(_("内容"))
    event = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("督办事件"))
    visit = models.ForeignKey("registry.Visit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("走访记录"))
    unit = models.CharField(_("责任单位"), max_length=100, blank=True)
    due_on = models.DateField(_("完成时限"), null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("操作人"))
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("处置措施")
        verbose_name_plural = _("处置措施")


class RuleConfig(models.Model):
    """An administrator's setting of one rule: on/off and parameters over the rule's defaults."""

    rule = models.CharField(_("规则"), max_length=32, unique=True)
    enabled = models.BooleanField(_("启用"), default=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["rule"]
        verbose_name = _("预警规则配置")
        verbose_name_plural = _("预警规则配置")

    def __str__(self) -> str:
        return self.rule

    def clean(self):
        from django.core.exceptions import ValidationError

        from gridgov.warnings.config import validate_params

        errors = validate_params(self.rule, self.params)
        if errors:
            raise ValidationError({"params": [f"{k}: {'；'.join(v)}" for k, v in errors.items()]})

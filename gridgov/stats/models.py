"""The statistics app's own tables."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.stats.models_reports import Report  # noqa: F401  (the archive of reports, 通报)


class EvaluationScheme(models.Model):
    """考核方案: a city's weights (and targets, star thresholds) for one subject of the evaluation, over the
    documented defaults (gridgov.stats.eval_config). Keys left out keep their default."""

    class Subject(models.TextChoices):
        REGION = "region", _("区域平安指数(县、乡镇、村社区、网格)")
        DEPARTMENT = "department", _("职能部门综合指标值")
        WORKER = "worker", _("网格员考核得分")

    subject = models.CharField(_("考核对象"), max_length=16, choices=Subject.choices, unique=True)
    weights = models.JSONField(
        _("权重"), default=dict, blank=True,
        help_text=_("如 {\"on_time_close_rate\": 40, \"control_rate\": 10}；未列出的指标用默认权重，见 docs/evaluation.md"))
    targets = models.JSONField(
        _("每周目标(网格员)"), default=dict, blank=True,
        help_text=_("仅网格员：如 {\"records\": 10, \"events\": 5, \"on_spot\": 2}，按统计周期天数折算"))
    star_thresholds = models.JSONField(
        _("星级阈值(区域)"), default=dict, blank=True,
        help_text=_("仅区域：如 {\"center\": [60, 70, 80, 90], \"grid\": [60, 70, 80, 90]}，依次为二至五星的最低平安指数"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("修改人"))

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")

    def __str__(self) -> str:
        return str(self.get_subject_display())

    def clean(self) -> None:
        from gridgov.stats import eval_config

        errors: dict[str, list[str]] = {}
        if self.subject in eval_config.SUBJECTS:
            errors.update(eval_config.check_weights(self.subject, self.weights or {}))
        if self.targets and self.subject != self.Subject.WORKER:
            errors["targets"] = [_("只有网格员考核有每周目标")]
        elif self.targets:
            errors.update(eval_config.check_targets(self.targets))
        if self.star_thresholds and self.subject != self.Subject.REGION:
            errors["star_thresholds"] = [_("只有区域平安指数有星级阈值")]
        elif self.star_thresholds:
            errors.update(eval_config.check_stars(self.star_thresholds))
        if errors:
            raise ValidationError(errors)

"""三报告: the analysis reports of a region and a period, draft → sent, with their DOCX and an append-only log.

One row per (region, period kind, period start, kind). The numbers of a report are the analysis snapshot it
was drafted from (``data``); its text is ``sections`` — a list of ``{"key", "title", "text", "edited"}`` that
an editor may change while the report is a draft. Sending archives it: the text, the numbers and the DOCX
never change again (:mod:`gridgov.analysis.reports` refuses with 409). The DOCX is stored under
``analysis/<region code>/…`` and served only by the views and endpoints that check the viewer's scope.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import AppendOnly


class AnalysisReport(models.Model):
    class Kind(models.TextChoices):
        SITUATION = "situation", _("治安/社会形势分析报告")
        DISPUTES = "disputes", _("矛盾纠纷分析报告")
        SPECIAL = "special", _("专题报告")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SENT = "sent", _("已报送")

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="analysis_reports",
                               verbose_name=_("区划"))
    kind = models.CharField(_("报告类型"), max_length=16, choices=Kind.choices)
    period_kind = models.CharField(_("周期类型"), max_length=8, default="month")
    period_start = models.DateField(_("统计周期起"))
    period_end = models.DateField(_("统计周期止"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(_("标题"), max_length=200)
    data = models.JSONField(_("分析数据"), default=dict)
    sections = models.JSONField(_("正文"), default=list)
    recipients = models.TextField(_("报送对象"), blank=True)
    generated_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("生成人"))
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("修改人"))
    sent_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("报送人"))
    docx = models.FileField(_("Word文件"), max_length=200, blank=True)
    docx_sha256 = models.CharField(_("Word文件摘要"), max_length=64, blank=True)
    docx_size = models.PositiveIntegerField(_("Word文件大小"), default=0)

    class Meta:
        ordering = ["-period_start", "region__code", "kind"]
        verbose_name = _("分析报告")
        verbose_name_plural = _("分析报告")
        constraints = [
            models.UniqueConstraint(fields=["region", "period_kind", "period_start", "kind"],
                                    name="uniq_analysis_report"),
        ]
        indexes = [models.Index(fields=["period_kind", "period_start"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class AnalysisReportLog(AppendOnly):
    """What happened to a report: drafted, redrafted, edited, sent — who and when (never changed)."""

    class Action(models.TextChoices):
        DRAFT = "draft", _("生成草稿")
        REDRAFT = "redraft", _("重新生成")
        EDIT = "edit", _("修改")
        SEND = "send", _("报送")

    report = models.ForeignKey(AnalysisReport, on_delete=models.PROTECT, related_name="log",
                               verbose_name=_("分析报告"))
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("分析报告记录")
        verbose_name_plural = _("分析报告记录")

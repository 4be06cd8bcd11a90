"""The analysis reports in /admin/: read only — they are drafted, edited and sent through gridgov.analysis.reports
(the pages and the API), which keep the DOCX and the log in step."""

from django.contrib import admin

from gridgov.analysis.models import AnalysisReport, AnalysisReportLog
from gridgov.cases.admin_labels import ReadOnlyInline


class LogInline(ReadOnlyInline):
    model = AnalysisReportLog
    fields = ("at", "action", "actor", "note")


@admin.register(AnalysisReport)
class AnalysisReportAdmin(admin.ModelAdmin):
    list_display = ("title", "region", "kind", "period_start", "status", "sent_at")
    list_filter = ("kind", "status", "period_kind")
    search_fields = ("title", "region__code", "region__name")
    fields = ("title", "region", "kind", "period_kind", "period_start", "period_end", "status", "recipients",
              "generated_at", "generated_by", "updated_at", "updated_by", "sent_at", "sent_by", "docx_sha256",
              "docx_size")
    readonly_fields = fields
    inlines = [LogInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

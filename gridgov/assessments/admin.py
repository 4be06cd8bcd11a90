"""稳评 are read here; they change only through the lifecycle (pages, API)."""

from django.contrib import admin

from gridgov.assessments.models import Assessment, AssessmentLog, Finding, RiskItem, Survey
from gridgov.assessments.workflow import LIFECYCLE
from gridgov.cases.admin_labels import CaseLogInline, ReadOnlyInline


class SurveyInline(ReadOnlyInline):
    model = Survey
    fields = ("method", "held_on", "participants", "supporting", "opposing", "other", "summary")


class RiskInline(ReadOnlyInline):
    model = RiskItem
    fields = ("item", "source", "likelihood", "impact", "grade", "mitigation", "owner")


class FindingInline(ReadOnlyInline):
    model = Finding
    fields = ("aspect", "passed", "text")


class LogInline(CaseLogInline):
    model = AssessmentLog
    lifecycle = LIFECYCLE


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "kind", "status", "risk_level", "region", "center", "created_at")
    list_filter = ("status", "kind", "risk_level")
    search_fields = ("number", "title", "responsible_body")
    inlines = [SurveyInline, RiskInline, FindingInline, LogInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Assessment._meta.concrete_fields] + ["affected_regions"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

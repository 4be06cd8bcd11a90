"""稳评 are read here; they change only through the lifecycle (pages, API)."""

from django.contrib import admin

from gridgov.assessments.models import Assessment, AssessmentLog, Finding, RiskItem, Survey
from gridgov.assessments.workflow import LIFECYCLE
from gridgov.cases.admin_labels import CaseLogLabels


class _ReadOnly(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class SurveyInline(_ReadOnly):
    model = Survey
    fields = ("method", "held_on", "participants", "supporting", "opposing", "other", "summary")
    readonly_fields = fields


class RiskInline(_ReadOnly):
    model = RiskItem
    fields = ("item", "source", "likelihood", "impact", "grade", "mitigation", "owner")
    readonly_fields = fields


class FindingInline(_ReadOnly):
    model = Finding
    fields = ("aspect", "passed", "text")
    readonly_fields = fields


class LogInline(CaseLogLabels, _ReadOnly):
    model = AssessmentLog
    lifecycle = LIFECYCLE
    fields = ("created_at", "actor_label", "action_name", "from_status_name", "to_status_name", "note")
    readonly_fields = fields


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

"""Administrators edit the taxonomy; events are read here and changed only through the workflow."""

from django.contrib import admin

from gridgov.cases.admin_labels import CaseLogInline, ReadOnlyInline
from gridgov.core.crypto import mask_phone
from gridgov.events.models import Assist, Category, Event, EventLog, FollowUp
from gridgov.events.workflow import LIFECYCLE


class ChildInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    fields = ("code", "name", "default_department", "urgency", "time_limit", "time_unit", "active", "order")
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent", "default_department", "urgency", "time_limit", "time_unit", "active")
    list_filter = ("parent", "time_unit", "urgency", "active")
    search_fields = ("code", "name")
    list_editable = ("default_department", "urgency", "time_limit", "time_unit", "active")
    inlines = [ChildInline]


class LogInline(CaseLogInline):
    model = EventLog
    lifecycle = LIFECYCLE


class FollowUpInline(ReadOnlyInline):
    model = FollowUp
    fields = ("created_at", "by", "method", "respondent", "respondent_name", "relationship", "satisfaction", "result")


class AssistInline(ReadOnlyInline):
    """吹哨报到: the assisting departments' calls, read-only (written by the workflow)."""

    model = Assist
    fields = ("department", "called_at", "report_deadline", "reported_in_at", "reported_on_time", "feedback_at",
              "feedback_on_time", "feedback", "withdrawn_at")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: a status written here would bypass the transition table and its log."""

    list_display = ("number", "category", "status", "center", "lead_department", "deadline", "created_at")
    list_filter = ("status", "source", "supervision")
    search_fields = ("number", "description", "address")
    inlines = [AssistInline, FollowUpInline, LogInline]

    # every column, in the order of the event itself (the kernel's Case declares region, center and the stage
    # fields first); gridgov/cases/tests/test_kernel.py checks the list stays complete
    fields_in_order = (
        "id", "number", "source", "category", "title", "description", "lng", "lat", "address", "grid", "region",
        "center", "urgency", "people_involved", "reporter", "reporter_name", "reporter_phone_enc",
        "reporter_phone_hash", "status", "lead_department", "stage_started_at", "deadline", "deadline_unit",
        "warn_at", "deadline_provisional", "due_at", "sla_overdue_for", "sla_near_due_for", "sla_overdue_todo", "sla_near_due_todo", "rework_count", "return_count", "extension_count", "reopen_count", "escalation_count",
        "resolved_on_spot", "result", "merged_into", "supervision", "escalated_center", "rating", "rating_comment",
        "followup_rating", "followup_respondent", "dissatisfaction_pending", "idempotency_scope", "idempotency_key", "idempotency_fingerprint", "created_at", "updated_at", "closed_at",
        "closed_on_time",
    )

    @admin.display(description="上报人电话")
    def reporter_phone_masked(self, obj):
        return mask_phone(obj.reporter_phone) if obj.reporter_phone_enc else "—"

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.fields_in_order)
        fields.insert(fields.index("reporter_phone_enc"), "reporter_phone_masked")  # the phone itself, masked
        return [*fields, "assisting_departments"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""Administrators edit the taxonomy; events are read here and changed only through the workflow."""

from django.contrib import admin

from gridgov.events.models import Assist, Category, Event, EventLog


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


class LogInline(admin.TabularInline):
    model = EventLog
    fields = ("created_at", "actor_label", "action", "from_status", "to_status", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AssistInline(admin.TabularInline):
    """吹哨报到: the assisting departments' calls, read-only (written by the workflow)."""

    model = Assist
    fields = ("department", "called_at", "report_deadline", "reported_in_at", "reported_on_time", "feedback_at",
              "feedback_on_time", "feedback", "withdrawn_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: a status written here would bypass the transition table and its log."""

    list_display = ("number", "category", "status", "center", "lead_department", "deadline", "created_at")
    list_filter = ("status", "source", "supervision")
    search_fields = ("number", "description", "address")
    inlines = [AssistInline, LogInline]

    # every column, in the order of the event itself (the kernel's Case declares region, center and the stage
    # fields first); gridgov/cases/tests/test_kernel.py checks the list stays complete
    fields_in_order = (
        "id", "number", "source", "category", "title", "description", "lng", "lat", "address", "grid", "region",
        "center", "urgency", "people_involved", "reporter", "reporter_name", "reporter_phone_enc",
        "reporter_phone_hash", "status", "lead_department", "stage_started_at", "deadline", "deadline_unit",
        "warn_at", "deadline_provisional", "due_at", "rework_count", "return_count", "extension_count", "reopen_count", "escalation_count",
        "resolved_on_spot", "result", "merged_into", "supervision", "escalated_center", "rating", "rating_comment",
        "idempotency_scope", "idempotency_key", "idempotency_fingerprint", "created_at", "updated_at", "closed_at",
        "closed_on_time",
    )

    def get_readonly_fields(self, request, obj=None):
        return [*self.fields_in_order, "assisting_departments"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

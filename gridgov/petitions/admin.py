"""Petitions are read here; they change only through the workflow (web, API)."""

from django.contrib import admin

from gridgov.cases.admin_labels import CaseLogInline, ReadOnlyInline
from gridgov.petitions.models import Petition, Petitioner, PetitionLog
from gridgov.petitions.workflow import LIFECYCLE


class PetitionerInline(ReadOnlyInline):
    model = Petitioner
    fields = ("name", "resident", "id_masked")


class LogInline(CaseLogInline):
    model = PetitionLog
    lifecycle = LIFECYCLE


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    list_display = ("number", "channel", "subject", "status", "region", "registered_at", "repeat_count", "leader")
    list_filter = ("status", "channel", "is_collective")
    search_fields = ("number", "subject")
    inlines = [PetitionerInline, LogInline]

    # every column, in the order of the petition itself (the kernel's Case declares region, center and the stage
    # fields first); gridgov/cases/tests/test_kernel.py checks the list stays complete
    fields_in_order = (
        "id", "number", "channel", "subject", "demands", "target_department", "target_agency", "region", "center",
        "people_count", "is_collective", "registered_by", "registered_at", "status", "handling_department",
        "transferred_to_department", "transferred_to_agency", "decision_reason", "accepted_at", "reply_text",
        "replied_on", "reply_delivered_on", "review_requested_at", "review_replied_on", "review_delivered_on",
        "recheck_requested_at", "recheck_replied_on", "closed_at", "closed_on_time", "due_at", "extension_days", "stage_started_at", "deadline",
        "deadline_unit", "warn_at", "deadline_provisional", "sla_overdue_for", "sla_near_due_for", "sla_overdue_todo", "sla_near_due_todo", "ack_due_at", "ack_warn_at", "acked_at", "repeat_of",
        "repeat_count", "leader", "created_at", "updated_at",
    )

    def get_readonly_fields(self, request, obj=None):
        return [*self.fields_in_order, "events"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

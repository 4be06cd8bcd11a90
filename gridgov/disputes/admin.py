from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gridgov.cases.admin_labels import CaseLogLabels
from gridgov.disputes.models import Agreement, Dispute, DisputeLog, Mediator, Party, Session
from gridgov.disputes.workflow import LIFECYCLE


@admin.register(Mediator)
class MediatorAdmin(admin.ModelAdmin):
    list_display = ("name", "org_kind", "org_name", "region", "active")
    list_filter = ("org_kind", "active")
    search_fields = ("name", "org_name")
    raw_id_fields = ("user", "region")


class ReadOnlyAdmin(admin.ModelAdmin):
    """What the workflow writes is read here, never edited (the 司法确认 window hangs on the agreement's date)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PartyInline(admin.TabularInline):
    model = Party
    extra = 0
    fields = ("role", "name", "phone_masked", "resident")
    readonly_fields = fields

    @admin.display(description=_("联系电话"))
    def phone_masked(self, obj) -> str:
        return obj.masked_phone

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    """Read-mostly: status and risk change only through the workflow (the case page / API)."""

    list_display = ("number", "dispute_type", "status", "risk_computed", "risk_override", "channel", "created_at")
    list_filter = ("status", "dispute_type", "channel", "risk_computed")
    search_fields = ("number", "description")
    # every column, in the order of the case itself (not the kernel's: Case declares region, center and the
    # stage fields first); gridgov/disputes/tests/test_kernel.py checks the list stays complete
    readonly_fields = (
        "id", "number", "source", "dispute_type", "channel", "description", "amount", "people_count", "lng", "lat",
        "address", "grid", "region", "center", "event", "reporter", "reporter_name", "reporter_phone_enc",
        "reporter_phone_hash", "status", "mediator", "chosen_by_party", "risk_computed", "risk_reasons",
        "risk_assessed_at", "risk_override", "risk_override_reason", "stage_started_at", "deadline", "deadline_unit",
        "warn_at", "deadline_provisional", "sla_overdue_for", "sla_near_due_for", "sla_overdue_todo", "sla_near_due_todo", "referral", "result", "satisfaction", "reopen_count", "created_at",
        "updated_at", "closed_at", "due_at", "closed_on_time", "idempotency_scope", "idempotency_key", "idempotency_fingerprint",
    )
    inlines = [PartyInline]


@admin.register(DisputeLog)
class DisputeLogAdmin(CaseLogLabels, ReadOnlyAdmin):
    lifecycle = LIFECYCLE
    list_display = ("dispute", "action_name", "from_status_name", "to_status_name", "actor_label", "created_at")
    fields = ("dispute", "actor", "actor_label", "action_name", "from_status_name", "to_status_name", "note", "data",
              "mediator", "created_at")
    readonly_fields = ("action_name", "from_status_name", "to_status_name")


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = ("dispute", "held_at", "mode", "place")


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ("dispute", "signed_on", "performance_deadline", "performance")

from django.contrib import admin

from gridgov.disputes.models import Agreement, Dispute, DisputeLog, Mediator, Party, Session


@admin.register(Mediator)
class MediatorAdmin(admin.ModelAdmin):
    list_display = ("name", "org_kind", "org_name", "region", "active")
    list_filter = ("org_kind", "active")
    search_fields = ("name", "org_name")
    raw_id_fields = ("user", "region")


class PartyInline(admin.TabularInline):
    model = Party
    extra = 0
    raw_id_fields = ("resident",)


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    """Read-mostly: status and risk change only through the workflow (the case page / API)."""

    list_display = ("number", "dispute_type", "status", "risk_computed", "risk_override", "channel", "created_at")
    list_filter = ("status", "dispute_type", "channel", "risk_computed")
    search_fields = ("number", "description")
    readonly_fields = [f.name for f in Dispute._meta.fields]
    inlines = [PartyInline]


@admin.register(DisputeLog)
class DisputeLogAdmin(admin.ModelAdmin):
    list_display = ("dispute", "action", "from_status", "to_status", "actor_label", "created_at")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(Session)
admin.site.register(Agreement)

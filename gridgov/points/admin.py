from django.contrib import admin

from .models import Participant, PointEntry, PointRule


@admin.register(PointRule)
class PointRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "points", "daily_cap", "active")
    list_filter = ("active",)


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "community", "balance", "created_at")
    list_filter = ("kind",)
    readonly_fields = ("balance",)


@admin.register(PointEntry)
class PointEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "participant", "rule", "points", "source", "reason")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

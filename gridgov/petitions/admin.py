"""Petitions are read here; they change only through the workflow (web, API)."""

from django.contrib import admin

from gridgov.petitions.models import Petition, Petitioner, PetitionLog


class PetitionerInline(admin.TabularInline):
    model = Petitioner
    fields = ("name", "resident", "id_masked")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class LogInline(admin.TabularInline):
    model = PetitionLog
    fields = ("created_at", "actor_label", "action", "from_status", "to_status", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    list_display = ("number", "channel", "subject", "status", "region", "registered_at", "repeat_count", "leader")
    list_filter = ("status", "channel", "is_collective")
    search_fields = ("number", "subject")
    inlines = [PetitionerInline, LogInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["events"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

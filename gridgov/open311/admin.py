"""Open311 in the admin: client applications (the key shown once, on creation or renewal), the services'
extra fields, and the requests filed (read only)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from gridgov.open311.models import ClientApplication, ServiceAttribute, ServiceRequest


def _show_key_once(request, app: ClientApplication, raw: str) -> None:
    messages.warning(request, _("“%(name)s”的 api_key（只显示这一次，请立即复制交给对方；系统只保存其摘要）：%(key)s")
                     % {"name": app.name, "key": raw})


@admin.register(ClientApplication)
class ClientApplicationAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "active", "rate_limit_per_hour", "contact", "created_by", "created_at",
                    "last_used_at")
    list_filter = ("active",)
    search_fields = ("name", "prefix", "contact")
    fields = ("name", "contact", "active", "rate_limit_per_hour", "prefix", "created_by", "created_at",
              "last_used_at")
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at")
    actions = ["renew_key"]

    def save_model(self, request, obj, form, change):
        raw = None
        if not change:
            raw = obj.new_key()
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if raw:
            _show_key_once(request, obj, raw)

    @admin.action(description=_("重新生成密钥（旧密钥立即失效）"))
    def renew_key(self, request, queryset):
        for app in queryset:
            raw = app.new_key()
            app.save(update_fields=["key_hash", "prefix"])
            _show_key_once(request, app, raw)


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ("category", "code", "description", "datatype", "required", "order", "active")
    list_filter = ("datatype", "required", "active")
    search_fields = ("code", "description", "category__code", "category__name")
    list_select_related = ("category",)


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ("event", "client", "token", "created_at")
    list_select_related = ("event", "client")
    search_fields = ("event__number", "token")
    readonly_fields = ("event", "client", "token", "attributes", "media_url", "created_at")

    def has_add_permission(self, request):
        return False  # filed through POST /open311/v2/requests only

    def has_delete_permission(self, request, obj=None):
        return False

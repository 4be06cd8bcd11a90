"""Open311 in the admin: client applications (the key shown once, on creation or renewal), the services'
extra fields, and the requests filed (read only)."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from gridgov.open311.models import ClientApplication, ServiceAttribute, ServiceRequest


def _key_page(request, issued: list):
    """The new keys on a page of their own, never in a message (messages may travel in a cookie) or a log."""
    response = TemplateResponse(request, "admin/open311/key_issued.html",
                                {"issued": issued, "title": _("Open311 api_key"), **admin.site.each_context(request)})
    response["Cache-Control"] = "no-store"
    return response


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
            request.open311_issued = [(obj, raw)]

    def response_add(self, request, obj, post_url_continue=None):
        issued = getattr(request, "open311_issued", None)
        if issued:
            return _key_page(request, issued)
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description=_("重新生成密钥（旧密钥立即失效）"))
    def renew_key(self, request, queryset):
        issued = []
        for app in queryset:
            raw = app.new_key()
            app.save(update_fields=["key_hash", "prefix"])
            issued.append((app, raw))
        return _key_page(request, issued)


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

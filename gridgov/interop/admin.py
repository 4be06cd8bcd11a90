"""The administrators' pages: subscriptions (with their secret set once), deliveries and the dead letters
(replay), department keys (issued here or with ``manage.py interop_key``)."""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.interop import keys, outbound
from gridgov.interop.models import Delivery, DepartmentKey, Subscription


def _action_choices() -> list[tuple[str, str]]:
    """The event workflow's human actions (the system's reminders and escalations are not pushed), by label."""
    from gridgov.cases.engine import system
    from gridgov.events.workflow import TRANSITIONS

    return [(code, f"{t.label}（{code}）") for code, t in TRANSITIONS.items() if t.who is not system]


class SubscriptionForm(forms.ModelForm):
    actions = forms.MultipleChoiceField(
        label=gettext_lazy("推送的操作"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("不勾选则按默认列表推送：派遣、核查、延期审批、退回、重启、督办、更正位置"))
    new_secret = forms.CharField(label=gettext_lazy("签名密钥"), required=False, max_length=200,
                                 help_text=gettext_lazy("留空：新建时自动生成（保存后显示一次），修改时保持不变"))

    class Meta:
        model = Subscription
        fields = ("department", "name", "url", "actions", "active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actions"].choices = _action_choices()


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("department", "name", "url", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("department__name", "department__code", "url", "name")

    def save_model(self, request, obj, form, change):
        secret = form.cleaned_data.get("new_secret") or ""
        if secret or not change:
            generated = not secret
            obj.secret = secret or secrets.token_urlsafe(32)
            if generated:
                messages.warning(request, _("签名密钥（只显示这一次，请交给部门系统）：%(s)s") % {"s": obj.secret})
        super().save_model(request, obj, form, change)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("uuid", "subscription", "event", "action", "state", "attempts", "next_attempt_at",
                    "delivered_at", "last_error")
    list_filter = ("state", "action")
    search_fields = ("uuid", "event__number")
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=gettext_lazy("重新推送选中的记录"))
    def replay(self, request, queryset):
        n = outbound.replay(list(queryset))
        self.message_user(request, _("已重新排入推送队列 %(n)d 条") % {"n": n}, messages.SUCCESS)


class DepartmentKeyForm(forms.ModelForm):
    class Meta:
        model = DepartmentKey
        fields = ("department", "name", "active")


@admin.register(DepartmentKey)
class DepartmentKeyAdmin(admin.ModelAdmin):
    form = DepartmentKeyForm
    list_display = ("department", "name", "prefix", "active", "created_by", "created_at", "last_used_at")
    list_filter = ("active",)
    search_fields = ("department__name", "department__code", "name", "prefix")
    readonly_fields = ("prefix", "user", "created_by", "created_at", "last_used_at")

    def get_fields(self, request, obj=None):
        return ("department", "name", "active") if obj is None else ("department", "name", "active", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (("department",) if obj is not None else ())

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, raw = keys.issue(obj.department, obj.name, created_by=request.user)
        obj.pk, obj.key_hash, obj.prefix, obj.user = key.pk, key.key_hash, key.prefix, key.user
        obj._state.adding = False
        messages.warning(request, _("部门接口密钥（只显示这一次）：%(k)s") % {"k": raw})

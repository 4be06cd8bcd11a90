from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core import crypto
from gridgov.core.errors import DomainError

from . import services
from .models import CatalogueItem, Participant, PointEntry, PointRule, Redemption


@admin.register(PointRule)
class PointRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "points", "daily_cap", "categories", "active")
    list_filter = ("active",)


class ParticipantForm(forms.ModelForm):
    """A grid volunteer (or a citizen) registered by the community: the phone they report with, sealed."""

    phone_number = forms.CharField(label=gettext_lazy("手机号"), max_length=20, required=False,
                                   help_text=gettext_lazy("志愿者用此手机号反映问题即可获得积分；保存后仅显示掩码"))

    class Meta:
        model = Participant
        fields = ("kind", "name", "community")

    def clean_phone_number(self):
        value = crypto.normalize_phone(self.cleaned_data.get("phone_number", ""))
        if not self.instance.pk or value:
            if not (len(value) == 11 and value.isdigit() and value.startswith("1")):
                raise forms.ValidationError(_("请填写11位手机号码"))
            clash = Participant.objects.filter(phone_hash=crypto.phone_hash(value)).exclude(pk=self.instance.pk)
            if clash.exists():
                raise forms.ValidationError(_("该手机号已登记为积分参与者"))
        return value

    def save(self, commit=True):
        if self.cleaned_data.get("phone_number"):
            self.instance.phone = self.cleaned_data["phone_number"]
        return super().save(commit)


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    form = ParticipantForm
    list_display = ("id", "kind", "masked_name", "masked_phone", "community", "balance", "created_at")
    list_filter = ("kind",)
    readonly_fields = ("balance",)
    raw_id_fields = ("community",)

    @admin.display(description=gettext_lazy("姓名"))
    def masked_name(self, obj):
        return services.mask_name(obj.name)

    @admin.display(description=gettext_lazy("手机号"))
    def masked_phone(self, obj):
        return crypto.mask_phone(obj.phone)


@admin.register(PointEntry)
class PointEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "participant", "kind", "rule", "points", "source", "reason")
    list_filter = ("kind", "rule")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CatalogueItem)
class CatalogueItemAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "cost", "stock", "active")
    list_filter = ("active",)
    search_fields = ("name",)
    raw_id_fields = ("community",)


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "participant", "item", "points", "status", "confirmed_by", "confirmed_at")
    list_filter = ("status",)
    readonly_fields = ("participant", "item", "points", "status", "created_at", "confirmed_by", "confirmed_at")
    actions = ["confirm", "cancel"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _each(self, request, queryset, act, done):
        n = 0
        for r in queryset:
            try:
                act(request.user, r.pk)
                n += 1
            except DomainError as exc:
                self.message_user(request, f"{r.pk}: {exc.message}", messages.WARNING)
        self.message_user(request, done % {"n": n})

    @admin.action(description=gettext_lazy("确认领取"))
    def confirm(self, request, queryset):
        self._each(request, queryset, services.confirm_redemption, _("已确认 %(n)s 条兑换"))

    @admin.action(description=gettext_lazy("取消并退还积分"))
    def cancel(self, request, queryset):
        self._each(request, queryset, services.cancel_redemption, _("已取消 %(n)s 条兑换并退还积分"))

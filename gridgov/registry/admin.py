"""Registry admin.

* Access log and change history: read-only, for administrators only (no add, change or delete — the
  rows are evidence).
* Key-population categories: editable (visit intervals per risk level, attribute definitions as JSON).
* Residents, houses, units, addresses: read here, changed only through the services (which write the
  history); an encrypted identity number is never displayed — the masked one is, and phones are masked.
"""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import User
from gridgov.core import crypto
from gridgov.registry.models import (
    AccessLog,
    Address,
    Change,
    House,
    KeyCategory,
    KeyPerson,
    Resident,
    RiskLevel,
    TransferRequest,
    Unit,
)


def _is_administrator(user) -> bool:
    return bool(user.is_active and user.is_staff and (user.is_superuser or user.role == User.Role.ADMIN))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by administrators; nobody adds, changes or deletes here."""

    def has_view_permission(self, request, obj=None):
        return _is_administrator(request.user)

    def has_module_permission(self, request):
        return _is_administrator(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}  # not even "delete selected"


CHANGE_ACTIONS = {"create": _("新增"), "update": _("修改"), "move": _("迁居"), "delete": _("删除")}
CHANGE_SOURCES = {"web": _("网页"), "api": _("接口"), "demo": _("演示数据")}


def _registry_model(code: str):
    try:
        return apps.get_model("registry", code)
    except LookupError:
        return None


def model_label(code: str) -> str:
    """The Chinese name of a registry model stored by its code ("resident" → 实有人口)."""
    model = _registry_model(code)
    return str(model._meta.verbose_name) if model else code


class CodeNames:
    """The codes the audit tables store (model, action, source, field names), shown by their Chinese names."""

    @admin.display(description=_("数据类型"), ordering="model")
    def model_name(self, obj) -> str:
        return model_label(obj.model)

    @admin.display(description=_("涉及字段"))
    def field_names(self, obj) -> str:
        model = _registry_model(obj.model)
        names = []
        for name in obj.fields or []:
            try:
                names.append(str(model._meta.get_field(name).verbose_name) if model else name)
            except Exception:  # a field since removed: its code
                names.append(name)
        return "、".join(names)

    @admin.display(description=_("变更类型"), ordering="action")
    def action_name(self, obj) -> str:
        return str(CHANGE_ACTIONS.get(obj.action, obj.action))

    @admin.display(description=_("来源"), ordering="source")
    def source_name(self, obj) -> str:
        kind, _sep, rest = (obj.source or "").partition(":")
        if kind == "import":
            return _("导入 %(file)s") % {"file": rest}
        return str(CHANGE_SOURCES.get(obj.source, obj.source))


class ModelFilter(admin.SimpleListFilter):
    """The audit tables' 数据类型 filter, by the models' Chinese names."""

    title = _("数据类型")
    parameter_name = "model"

    def lookups(self, request, model_admin):
        codes = model_admin.model.objects.order_by("model").values_list("model", flat=True).distinct()
        return [(code, model_label(code)) for code in codes]

    def queryset(self, request, queryset):
        return queryset.filter(model=self.value()) if self.value() else queryset


class ChangeActionFilter(admin.SimpleListFilter):
    title = _("变更类型")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return list(CHANGE_ACTIONS.items())

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AccessLog)
class AccessLogAdmin(CodeNames, ReadOnlyAdmin):
    list_display = ("created_at", "actor", "action", "model_name", "object_label", "field_names", "count", "reason")
    list_filter = ("action", ModelFilter)
    search_fields = ("actor__username", "actor__full_name", "object_label", "reason")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)


@admin.register(Change)
class ChangeAdmin(CodeNames, ReadOnlyAdmin):
    list_display = ("created_at", "actor", "model_name", "object_id", "action_name", "source_name")
    list_filter = (ModelFilter, ChangeActionFilter)
    search_fields = ("actor__username", "actor__full_name", "source")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)


ATTRIBUTE_TYPES = {"text", "date", "int", "choice"}


class KeyCategoryForm(forms.ModelForm):
    class Meta:
        model = KeyCategory
        fields = ("code", "name", "intervals", "attributes", "active", "order")
        help_texts = {
            "intervals": _('各风险等级的走访周期(天)，如 {"high": 7, "medium": 15, "low": 30}'),
            "attributes": _('专项属性列表，如 [{"key": "guardian", "label": "监护人", "type": "text", "required": true}]；'
                            "type 可为 text / date / int / choice（choice 须有 choices 列表）"),
        }

    def clean_intervals(self):
        value = self.cleaned_data.get("intervals") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError(_("走访周期应为对象，键为 high / medium / low"))
        for key, days in value.items():
            if key not in RiskLevel.values:
                raise forms.ValidationError(_("未知的风险等级：%(k)s") % {"k": key})
            if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 366:
                raise forms.ValidationError(_("走访周期应为1到366之间的整数天"))
        return value

    def clean_attributes(self):
        value = self.cleaned_data.get("attributes") or []
        if not isinstance(value, list):
            raise forms.ValidationError(_("专项属性应为列表"))
        keys = set()
        for spec in value:
            if not isinstance(spec, dict) or not spec.get("key") or not spec.get("label"):
                raise forms.ValidationError(_("每个专项属性须有 key 和 label"))
            if spec["key"] in keys:
                raise forms.ValidationError(_("专项属性 key 重复：%(k)s") % {"k": spec["key"]})
            keys.add(spec["key"])
            kind = spec.get("type", "text")
            if kind not in ATTRIBUTE_TYPES:
                raise forms.ValidationError(_("未知的属性类型：%(t)s") % {"t": kind})
            if kind == "choice" and not (isinstance(spec.get("choices"), list) and spec["choices"]):
                raise forms.ValidationError(_("选择型属性“%(l)s”须有 choices 列表") % {"l": spec["label"]})
        return value


@admin.register(KeyCategory)
class KeyCategoryAdmin(admin.ModelAdmin):
    form = KeyCategoryForm
    list_display = ("code", "name", "intervals", "active", "order", "builtin")
    list_editable = ("active", "order")
    list_filter = ("active", "builtin")
    search_fields = ("code", "name")

    def get_readonly_fields(self, request, obj=None):
        # built-in categories keep their code: services and imports refer to it
        return ("code",) if obj is not None and obj.builtin else ()

    def has_delete_permission(self, request, obj=None):
        return False if obj is not None and obj.builtin else super().has_delete_permission(request, obj)


class RegistryRecordAdmin(ReadOnlyAdmin):
    """Read-only: changes go through the services so that each one is in the history."""

    def has_view_permission(self, request, obj=None):
        return _is_administrator(request.user) or super(ReadOnlyAdmin, self).has_view_permission(request, obj)

    def has_module_permission(self, request):
        return _is_administrator(request.user) or super(ReadOnlyAdmin, self).has_module_permission(request)


@admin.register(Address)
class AddressAdmin(RegistryRecordAdmin):
    list_display = ("code", "full_text", "region", "grid", "lng", "lat")
    search_fields = ("code", "road")
    list_select_related = ("region", "grid")
    exclude = ("key",)

    @admin.display(description=_("地址"))
    def full_text(self, obj) -> str:
        return obj.text


@admin.register(House)
class HouseAdmin(RegistryRecordAdmin):
    list_display = ("address", "status", "use", "structure", "area", "owner_name")
    list_filter = ("status", "use", "structure")
    search_fields = ("address__road", "address__code", "owner_name")
    list_select_related = ("address",)
    exclude = ("owner_phone_enc", "owner_phone_hash", "owner")
    readonly_fields = ("owner_phone_masked",)

    @admin.display(description=_("产权人电话"))
    def owner_phone_masked(self, obj):
        return crypto.mask_phone(obj.owner_phone)


@admin.register(Resident)
class ResidentAdmin(RegistryRecordAdmin):
    list_display = ("name", "id_type", "id_masked", "phone_masked", "household", "region", "grid", "house")
    list_filter = ("household", "id_type", "sex")
    search_fields = ("name",)
    list_select_related = ("region", "grid", "house__address")
    # the encrypted number, its lookup hash and the phone never reach the page, nor the full birth date:
    # it is the part of the number that the mask hides (the full values: the resident page's logged reveal)
    exclude = ("id_number_enc", "id_hash", "phone_enc", "phone_hash", "birth_date")
    readonly_fields = ("phone_masked", "birth_year")

    @admin.display(description=_("联系电话"))
    def phone_masked(self, obj):
        return crypto.mask_phone(obj.phone)

    @admin.display(description=_("出生年份"))
    def birth_year(self, obj):
        return obj.birth_date.year if obj.birth_date else "—"


@admin.register(Unit)
class UnitAdmin(RegistryRecordAdmin):
    list_display = ("name", "uscc", "kind", "address", "employees")
    list_filter = ("kind",)
    search_fields = ("name", "uscc")
    list_select_related = ("address",)
    exclude = ("phone_enc", "phone_hash")  # masked like everywhere else (the export and the API mask it too)
    readonly_fields = ("phone_masked",)

    @admin.display(description=_("联系电话"))
    def phone_masked(self, obj):
        return crypto.mask_phone(obj.phone)


@admin.register(KeyPerson)
class KeyPersonAdmin(RegistryRecordAdmin):
    list_display = ("resident", "category", "risk_level", "worker", "since", "until")
    list_filter = ("category", "risk_level")
    search_fields = ("resident__name",)
    list_select_related = ("resident", "category", "worker")


@admin.register(TransferRequest)
class TransferRequestAdmin(ReadOnlyAdmin):
    """人口迁移申请: evidence of who asked for whom and who decided; decided through the pages and the API only."""

    list_display = ("requested_at", "resident", "from_region", "to_region", "requested_by", "status", "decided_by",
                    "decided_at")
    list_filter = ("status",)
    search_fields = ("resident__name", "requested_by__username", "decided_by__username")
    date_hierarchy = "requested_at"
    list_select_related = ("resident", "from_region", "to_region", "requested_by", "decided_by")
    exclude = ("phone_enc", "values")  # shown masked, as on the pages: phone masked, birth year only
    readonly_fields = ("submitted",)

    @admin.display(description=_("申请登记的信息"))
    def submitted(self, obj):
        from gridgov.registry import transfers

        return transfers.submitted_values(obj)

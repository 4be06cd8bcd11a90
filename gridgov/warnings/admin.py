"""Warnings are read here (they change only through the workflow); rule settings are edited here."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gridgov.cases import warnrules
from gridgov.cases.admin_labels import CaseLogInline, ReadOnlyInline
from gridgov.warnings.config import clean_params
from gridgov.warnings.models import RuleConfig, Warning, WarningCase, WarningLog
from gridgov.warnings.workflow import LIFECYCLE


class CaseInline(ReadOnlyInline):
    model = WarningCase
    fields = ("kind", "case_id")


class LogInline(CaseLogInline):
    model = WarningLog
    lifecycle = LIFECYCLE


@admin.register(Warning)
class WarningAdmin(admin.ModelAdmin):
    list_display = ("number", "rule", "level", "title", "status", "region", "last_seen", "times_seen")
    list_filter = ("status", "level", "rule")
    search_fields = ("number", "title", "key")
    inlines = [CaseInline, LogInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RuleConfigForm(forms.ModelForm):
    rule = forms.ChoiceField(label=_("规则"), choices=())

    class Meta:
        model = RuleConfig
        fields = ("rule", "enabled", "params")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [(s.key, f"{s.label}（{s.key}）") for s in warnrules.rules()]
        self.fields["params"].help_text = "；".join(
            f"{s.key}: " + "，".join(f"{p.key}={p.default}（{p.label}）" for p in s.params) for s in warnrules.rules())

    def clean(self):
        data = super().clean()
        rule, params = data.get("rule"), data.get("params")
        if rule and params is not None:
            cleaned, errors = clean_params(rule, params)
            if errors:
                self.add_error("params", [f"{k}：{'；'.join(v)}" for k, v in errors.items()])
            else:
                data["params"] = cleaned
        return data


@admin.register(RuleConfig)
class RuleConfigAdmin(admin.ModelAdmin):
    form = RuleConfigForm
    list_display = ("rule", "rule_label", "enabled", "params", "updated_at")
    list_filter = ("enabled",)

    @admin.display(description=_("规则名称"))
    def rule_label(self, obj) -> str:
        try:
            return str(warnrules.spec(obj.rule).label)
        except KeyError:
            return obj.rule

"""Web forms for petitions: they parse and render; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Department
from gridgov.petitions import services
from gridgov.petitions.models import Channel
from gridgov.regions.models import Region


class PetitionForm(forms.Form):
    channel = forms.ChoiceField(label=_("信访形式"), choices=[("", _("请选择"))] + list(Channel.choices),
                                required=False)
    subject = forms.CharField(label=_("信访事项"), max_length=200, required=False,
                              widget=forms.TextInput(attrs={"placeholder": _("例如：小区物业乱收费")}))
    demands = forms.CharField(label=_("诉求"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    region = forms.ChoiceField(label=_("事项所在区划"), required=False)
    target_department = forms.ChoiceField(label=_("反映对象（部门）"), required=False)
    target_agency = forms.CharField(label=_("反映对象（其他机关/单位）"), max_length=100, required=False)
    people_count = forms.IntegerField(label=_("来访/联名人数"), required=False, min_value=0, max_value=100000)
    collective = forms.BooleanField(label=_("联名信/集体访"), required=False)
    events = forms.CharField(label=_("关联事件编号"), required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("多个用逗号分隔，例如 SJ2026112300001")}))

    disputes = forms.CharField(label=_("关联纠纷编号"), required=False,
                               widget=forms.TextInput(attrs={"placeholder": _("多个用逗号分隔，例如 JF2026112300001")}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        base = user.region if user is not None and user.region_id else None
        regions = Region.objects.filter(code__startswith=base.code, level__lte=base.level + 2) if base else \
            Region.objects.filter(level__lte=Region.Level.TOWNSHIP)
        self.fields["region"].choices = [(r.code, "\u3000" * max(r.level - (base.level if base else 1), 0) + r.name)
                                         for r in regions.order_by("code")[:500]]
        if base:
            self.fields["region"].initial = base.code
        self.fields["target_department"].choices = [("", _("（不选则填写下方其他机关）"))] + [
            (d.code, d.name) for d in Department.objects.filter(active=True).order_by("code")]

    def to_input(self, rows, uploads) -> services.PetitionInput:
        d = self.cleaned_data
        return services.PetitionInput(
            channel=d.get("channel") or "", subject=d.get("subject") or "", demands=d.get("demands") or "",
            region=d.get("region") or "", target_department=d.get("target_department") or "",
            target_agency=d.get("target_agency") or "", people_count=d.get("people_count") or 0,
            collective=bool(d.get("collective")), petitioners=rows, attachments=list(uploads),
            events=_numbers(d.get("events")), disputes=_numbers(d.get("disputes")),
        )


def _numbers(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").replace("，", ",").split(",") if x.strip()]


class PetitionerForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    id_number = forms.CharField(label=_("身份证号码"), max_length=18, required=False,
                                help_text=_("已在基础数据中登记的，将直接关联该人员"))


PetitionerFormSet = forms.formset_factory(PetitionerForm, extra=3, max_num=50)

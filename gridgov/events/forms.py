"""Event forms (report, citizen report, tracking): they parse and render; the rules live in the services
(errors come back as DomainError)."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import User
from gridgov.core.errors import DomainError
from gridgov.events import services
from gridgov.events.models import Category, Source, Urgency


def category_choices(leaves_only: bool = True) -> list:
    """Active categories grouped by their parent (rendered as <optgroup>).

    With ``leaves_only=False`` (worklist filter) a parent is itself selectable as "全部…"."""
    cats = list(Category.objects.filter(active=True).select_related("parent").order_by("order", "code"))
    parents = [c for c in cats if c.parent_id is None]
    choices: list = [("", _("请选择事件分类") if leaves_only else _("全部分类"))]
    for parent in parents:
        leaves = [(c.code, c.name) for c in cats if c.parent_id == parent.pk]
        if not leaves_only:
            leaves.insert(0, (parent.code, _("全部%(name)s") % {"name": parent.name}))
        if leaves:
            choices.append((parent.name, leaves))
    return choices


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class _EventFormBase(forms.Form):
    category = forms.ChoiceField(label=_("事件分类"), required=False)
    description = forms.CharField(
        label=_("事件描述"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("发生了什么？请描述具体情况（至少5个字）")}),
    )
    lng = forms.FloatField(
        label=_("经度"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    lat = forms.FloatField(
        label=_("纬度"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    address = forms.CharField(
        label=_("地址"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如：某某路某号附近")}),
    )
    idempotency_key = forms.CharField(required=False, max_length=128, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())
        self.extra_errors: dict[str, list[str]] = {}

    def apply_domain_error(self, exc: DomainError) -> None:
        """Show a service's field errors next to the fields they belong to."""
        for key, messages in (exc.fields or {}).items():
            if key in self.fields and key != "idempotency_key":
                for msg in messages:
                    self.add_error(key, str(msg))
            else:
                self.extra_errors.setdefault(key, []).extend(str(m) for m in messages)
        if not exc.fields:
            self.add_error(None, str(exc.message))

    def note_files_lost(self, uploads) -> None:
        """A browser cannot keep chosen files across a re-rendered form: say so."""
        if uploads:
            self.extra_errors.setdefault("attachments", []).append(str(_("请重新选择要上传的文件")))

    @property
    def key(self) -> str:
        if self.is_bound:
            return (self.data.get("idempotency_key") or "").strip()
        return self.initial.get("idempotency_key", "")


class ReportForm(_EventFormBase):
    """A report by a grid worker (or an operator/administrator entering one from another source)."""

    people_involved = forms.IntegerField(
        label=_("涉及人数"),
        required=False,
        min_value=0,
        max_value=100000,
        initial=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"), required=False, choices=[("", _("按分类默认"))] + list(Urgency.choices)
    )
    source = forms.ChoiceField(
        label=_("来源"), required=False,
        widget=forms.Select(attrs={"data-reveals": ".caller", "data-reveals-value": Source.HOTLINE}),
    )
    # 热线 (12345): the caller, who follows and rates the case with this phone (gridgov/events/hotline.py)
    reporter_name = forms.CharField(label=_("来电人姓名"), required=False, max_length=50)
    reporter_phone = forms.CharField(
        label=_("来电人手机号"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off", "placeholder": _("11位手机号")}),
    )
    resolve_on_spot = forms.BooleanField(
        label=_("已就地解决"), required=False, widget=forms.CheckboxInput(attrs={"data-reveals": ".field.onspot"})
    )
    on_spot_result = forms.CharField(
        label=_("处置情况"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("如何解决的？请同时上传现场照片")}),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        allowed = services.SOURCES_BY_ROLE.get(user.role, set())
        if user.role == User.Role.GRID_WORKER or len(allowed) <= 1:
            del self.fields["source"]
        else:
            labels = dict(Source.choices)
            self.fields["source"].choices = [(s, labels[s]) for s in Source.values if s in allowed]
        if Source.HOTLINE not in allowed or "source" not in self.fields:
            del self.fields["reporter_name"]
            del self.fields["reporter_phone"]
        if user.role != User.Role.GRID_WORKER:
            del self.fields["resolve_on_spot"]
            del self.fields["on_spot_result"]

    def to_input(self, uploads) -> services.EventInput:
        d = self.cleaned_data
        return services.EventInput(
            category=d.get("category") or "",
            description=d.get("description") or "",
            lng=d.get("lng"),
            lat=d.get("lat"),
            address=d.get("address") or "",
            source=d.get("source") or "",
            urgency=d.get("urgency") or "",
            people_involved=d.get("people_involved") or 0,
            resolve_on_spot=bool(d.get("resolve_on_spot")),
            on_spot_result=d.get("on_spot_result") or "",
            reporter_name=(d.get("reporter_name") or "").strip(),
            reporter_phone=(d.get("reporter_phone") or "").strip(),
            attachments=list(uploads),
        )


class CitizenReportForm(_EventFormBase):
    reporter_phone = forms.CharField(
        label=_("手机号码"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": _("11位手机号")}),
    )
    reporter_name = forms.CharField(label=_("姓名（可不填）"), required=False, max_length=50)

    def to_input(self, uploads) -> services.EventInput:
        d = self.cleaned_data
        return services.EventInput(
            category=d.get("category") or "",
            description=d.get("description") or "",
            lng=d.get("lng"),
            lat=d.get("lat"),
            address=d.get("address") or "",
            reporter_phone=(d.get("reporter_phone") or "").strip(),
            reporter_name=(d.get("reporter_name") or "").strip(),
            attachments=list(uploads),
        )


class TrackForm(forms.Form):
    number = forms.CharField(
        label=_("事件编号"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "SJ2026…", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("上报时填写的手机号"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

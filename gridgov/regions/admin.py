"""Admin for the division tree and the grids (with their staff)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gridgov.regions.geojson import GeometryError, check_boundary
from gridgov.regions.models import GRID_CODE_LENGTH, Grid, GridStaff, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    list_select_related = ["parent"]
    ordering = ["code"]


class GridStaffInline(admin.TabularInline):
    model = GridStaff
    extra = 0
    raw_id_fields = ["user"]


class GridForm(forms.ModelForm):
    class Meta:
        model = Grid
        fields = ["code", "name", "kind", "dedicated_type", "community", "boundary", "households", "active"]

    def clean_boundary(self):
        boundary = self.cleaned_data.get("boundary")
        if boundary in (None, ""):
            return None
        try:
            return check_boundary(boundary)
        except GeometryError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        cleaned = super().clean()
        code, community = cleaned.get("code"), cleaned.get("community")
        if code and not (code.isdigit() and len(code) == GRID_CODE_LENGTH):
            self.add_error("code", _("网格编码应为 15 位数字（12 位村(社区)代码 + 3 位序号）"))
        elif code and community and not code.startswith(community.code):
            self.add_error("code", _("网格编码应以所属村(社区)代码开头"))
        if community and community.level != Region.Level.COMMUNITY:
            self.add_error("community", _("所属区划应为村(社区)"))
        return cleaned


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    form = GridForm
    list_display = ["code", "name", "kind", "dedicated_type", "community", "households", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["community"]
    list_select_related = ["community"]
    readonly_fields = ["updated_at"]
    inlines = [GridStaffInline]
    ordering = ["code"]

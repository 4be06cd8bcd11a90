"""Admin for the working-day calendar: day overrides and published yearly schedules."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gridgov.worktime.calendar import package_holiday_name, package_knows, weekday_label
from gridgov.worktime.models import CalendarDay, CalendarYear

YEAR_GUIDANCE = _(
    "在软件包尚未收录的年份，请先录入全年节假日及调休上班日，再勾选已录入全年安排。"
    "未勾选前，该年份的办理时限只按周末计算，并标记为“暂定”。"
)


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "is_workday", "note"]
        help_texts = {
            "date": _("需要调整的日期。此处的设置优先于软件包内置的法定节假日安排。"),
            "is_workday": _("勾选表示当天上班（如周末调休上班日）；不勾选表示当天休息（如法定节假日）。"),
            "note": _("例如：国庆节、春节调休上班。"),
        }


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    form = CalendarDayForm
    list_display = ["date", "weekday", "is_workday", "note", "package_status"]
    list_filter = ["is_workday"]
    search_fields = ["note"]
    date_hierarchy = "date"
    ordering = ["date"]
    fieldsets = [(None, {"fields": ["date", "is_workday", "note"], "description": YEAR_GUIDANCE})]

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return weekday_label(obj.date)

    @admin.display(description=_("软件包判定"))
    def package_status(self, obj: CalendarDay) -> str:
        if not package_knows(obj.date.year):
            return str(_("未收录"))
        import chinese_calendar

        status = _("工作日") if chinese_calendar.is_workday(obj.date) else _("休息日")
        name = package_holiday_name(obj.date)
        return f"{status}（{name}）" if name else str(status)


class CalendarYearForm(forms.ModelForm):
    class Meta:
        model = CalendarYear
        fields = ["year", "published", "note"]
        help_texts = {
            "year": _("软件包已收录的年份无需在此登记。"),
            "published": YEAR_GUIDANCE,
        }


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    form = CalendarYearForm
    list_display = ["year", "published", "package_known", "note"]
    list_filter = ["published"]
    ordering = ["-year"]
    fieldsets = [(None, {"fields": ["year", "published", "note"], "description": YEAR_GUIDANCE})]

    @admin.display(description=_("软件包已收录"), boolean=True)
    def package_known(self, obj: CalendarYear) -> bool:
        return package_knows(obj.year)

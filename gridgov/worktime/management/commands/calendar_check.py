"""``manage.py calendar_check YEAR``: is the year's holiday schedule known, and what is in it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.worktime.calendar import SOURCE_OVERRIDE, SOURCE_PACKAGE, SOURCE_PUBLISHED, Calendar, weekday_label


class Command(BaseCommand):
    help = "Show whether a year's holiday schedule is known and list its weekday holidays and weekend make-up workdays."

    def add_arguments(self, parser) -> None:
        parser.add_argument("year", type=int)

    def handle(self, *args, **options) -> None:
        year = options["year"]
        if not 1900 <= year <= 9999:
            raise CommandError(_("年份应在 1900 至 9999 之间：%(year)s") % {"year": year})
        calendar = Calendar()
        source = calendar.year_source(year)
        if source == SOURCE_PACKAGE:
            self.stdout.write(_("%(year)s 年：已知（软件包 chinese-calendar 已收录）") % {"year": year})
        elif source == SOURCE_PUBLISHED:
            self.stdout.write(_("%(year)s 年：已知（管理员已录入全年安排）") % {"year": year})
        else:
            self.stdout.write(
                _("%(year)s 年：未知（软件包未收录，管理员也未录入全年安排）；该年的时限只按周末计算，标记为暂定")
                % {"year": year}
            )

        days = calendar.special_days(year)
        holidays = [d for d in days if not d.is_workday]
        workdays = [d for d in days if d.is_workday]
        self._section(_("非周末的节假日（%(count)s 天）") % {"count": len(holidays)}, holidays)
        self._section(_("周末调休上班日（%(count)s 天）") % {"count": len(workdays)}, workdays)

    def _section(self, title: str, days) -> None:
        self.stdout.write("")
        self.stdout.write(title)
        if not days:
            self.stdout.write("  " + _("（无）"))
        for item in days:
            origin = _("管理员录入") if item.source == SOURCE_OVERRIDE else _("软件包")
            note = f" {item.note}" if item.note else ""
            self.stdout.write(f"  {item.day.isoformat()} {weekday_label(item.day)}{note} [{origin}]")

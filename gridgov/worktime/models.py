"""Administrator overrides of the statutory working-day calendar."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """One day whose working status an administrator has set.

    Overrides win over the ``chinese-calendar`` package.  This is how next
    year's holidays and 调休 make-up workdays are entered before the package
    knows them.
    """

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")

    def __str__(self) -> str:
        return f"{self.date} {'工作日' if self.is_workday else '休息日'}"


class CalendarYear(models.Model):
    """A year whose whole holiday schedule an administrator has entered.

    Deadlines in a year that is neither known to the package nor published
    here are still computed (weekends only) but flagged as provisional.
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    published = models.BooleanField(_("已录入全年安排"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("年度节假日安排")
        verbose_name_plural = _("年度节假日安排")

    def __str__(self) -> str:
        return str(self.year)

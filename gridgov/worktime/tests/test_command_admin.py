"""calendar_check and the admin pages."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from gridgov.worktime.models import CalendarDay, CalendarYear


def run(year) -> str:
    out = StringIO()
    call_command("calendar_check", str(year), stdout=out)
    return out.getvalue()


def test_calendar_check_package_year(db):
    out = run(2026)
    assert "2026 年：已知（软件包" in out
    assert "2026-10-01 周四 国庆节" in out
    assert "2026-09-25 周五 中秋" in out
    assert "2026-10-10 周六 国庆节" in out
    assert "2026-09-20 周日 国庆节" in out
    assert "2026-10-03" not in out  # a weekend day off is not listed
    assert "非周末的节假日（19 天）" in out
    assert "周末调休上班日（6 天）" in out


def test_calendar_check_unknown_then_published(db):
    assert "2027 年：未知" in run(2027)
    CalendarYear.objects.create(year=2027)
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    CalendarDay.objects.create(date=date(2027, 2, 20), is_workday=True, note="春节调休")
    out = run(2027)
    assert "2027 年：已知（管理员已录入全年安排）" in out
    assert "2027-01-01 周五 元旦 [管理员录入]" in out
    assert "2027-02-20 周六 春节调休 [管理员录入]" in out


def test_calendar_check_override_in_package_year(db):
    CalendarDay.objects.create(date=date(2026, 10, 8), is_workday=False, note="")
    assert "2026-10-08 周四 [管理员录入]" in run(2026)


def test_calendar_check_rejects_bad_year(db):
    with pytest.raises(CommandError):
        run(12)


@pytest.mark.parametrize("model", ["calendarday", "calendaryear"])
def test_admin_pages(admin_client, model, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path  # the shared var/static may not exist
    CalendarDay.objects.create(date=date(2026, 10, 8), is_workday=False, note="临时休息")
    CalendarYear.objects.create(year=2027)
    changelist = admin_client.get(reverse(f"admin:worktime_{model}_changelist"))
    assert changelist.status_code == 200
    add = admin_client.get(reverse(f"admin:worktime_{model}_add"))
    assert add.status_code == 200
    assert "请先录入全年节假日及调休上班日，再勾选已录入全年安排" in add.content.decode()

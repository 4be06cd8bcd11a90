"""The module-level calendar functions reuse one Calendar per thread until the overrides change."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.cache import cache

from gridgov.worktime import calendar as workcal
from gridgov.worktime.models import CalendarDay, CalendarYear

TZ = ZoneInfo("Asia/Shanghai")
WED_1000 = datetime(2026, 10, 7, 10, 0, tzinfo=TZ)  # last day of the National Day break: a holiday


def test_repeated_deadlines_query_the_overrides_once(db, django_assert_num_queries):
    workcal.add_time(WED_1000, 1, workcal.WORKING_DAYS)
    with django_assert_num_queries(0):
        for _ in range(5):
            workcal.add_time(WED_1000, 1, workcal.WORKING_DAYS)
            workcal.is_workday(date(2026, 10, 9))


def test_saving_an_override_is_seen_by_the_next_deadline(db):
    assert workcal.is_workday(date(2026, 10, 9)) == (True, True)
    CalendarDay.objects.create(date=date(2026, 10, 9), is_workday=False, note="临时休息")
    assert workcal.is_workday(date(2026, 10, 9)) == (False, True)


def test_deleting_an_override_is_seen_by_the_next_deadline(db):
    day = CalendarDay.objects.create(date=date(2026, 10, 9), is_workday=False, note="临时休息")
    assert workcal.is_workday(date(2026, 10, 9)) == (False, True)
    day.delete()
    assert workcal.is_workday(date(2026, 10, 9)) == (True, True)


def test_publishing_a_year_is_seen_by_the_next_deadline(db):
    assert not workcal.package_knows(2040)
    assert workcal.is_workday(date(2040, 3, 5)) == (True, False)
    CalendarYear.objects.create(year=2040)
    assert workcal.is_workday(date(2040, 3, 5)) == (True, True)


def test_a_cleared_cache_forces_a_reload(db, django_assert_num_queries):
    workcal.is_workday(date(2026, 10, 9))
    cache.clear()  # the stamp is gone: another process may have changed the calendar meanwhile
    with django_assert_num_queries(1):
        workcal.is_workday(date(2026, 10, 9))


def test_changed_working_hours_are_not_served_from_the_old_calendar(db, settings):
    start = datetime(2026, 11, 24, 8, 30, tzinfo=TZ)
    assert workcal.add_time(start, 1, workcal.WORKING_HOURS).at == datetime(2026, 11, 24, 9, 30, tzinfo=TZ)
    settings.GRIDGOV = {**settings.GRIDGOV, "WORKING_HOURS": "09:00-12:00,13:00-17:00"}
    assert workcal.add_time(start, 1, workcal.WORKING_HOURS).at == datetime(2026, 11, 24, 10, 0, tzinfo=TZ)

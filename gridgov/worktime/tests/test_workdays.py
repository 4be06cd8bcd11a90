"""Which days are workdays: overrides, the package, published years, unknown years."""

from datetime import date, timedelta

import chinese_calendar
import pytest

from gridgov.events.models import TimeUnit
from gridgov.worktime import calendar as wt
from gridgov.worktime.calendar import Calendar, is_workday
from gridgov.worktime.models import CalendarDay, CalendarYear

from .conftest import at


def test_package_facts_2026_national_day():
    """The facts the deadline tests below rely on, straight from chinese_calendar 1.11."""
    assert chinese_calendar.is_workday(date(2026, 9, 20))  # Sunday make-up workday
    assert chinese_calendar.is_workday(date(2026, 9, 30))  # Wednesday, last workday before the holiday
    for d in range(1, 8):
        assert not chinese_calendar.is_workday(date(2026, 10, d))
    assert chinese_calendar.is_workday(date(2026, 10, 8))  # Thursday
    assert chinese_calendar.is_workday(date(2026, 10, 9))  # Friday
    assert chinese_calendar.is_workday(date(2026, 10, 10))  # Saturday make-up workday (调休)
    assert not chinese_calendar.is_workday(date(2026, 10, 11))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


def test_is_workday_2026_national_day(db):
    assert is_workday(date(2026, 9, 20)) == (True, True)
    assert is_workday(date(2026, 9, 30)) == (True, True)
    for d in range(1, 8):
        assert is_workday(date(2026, 10, d)) == (False, True)
    assert is_workday(date(2026, 10, 8)) == (True, True)
    assert is_workday(date(2026, 10, 9)) == (True, True)
    assert is_workday(date(2026, 10, 10)) == (True, True)
    assert is_workday(date(2026, 10, 11)) == (False, True)


def test_override_beats_package(db):
    CalendarDay.objects.create(date=date(2026, 10, 8), is_workday=False, note="临时休息")
    CalendarDay.objects.create(date=date(2026, 10, 3), is_workday=True, note="应急值守")
    assert is_workday(date(2026, 10, 8)) == (False, True)
    assert is_workday(date(2026, 10, 3)) == (True, True)
    # and the deadline follows: 2 working hours from Wednesday 30 Sep 17:00 → 30 min that day,
    # then Saturday 3 Oct (override workday) 08:30 + 1.5 h = 10:00
    assert wt.add_time(at(2026, 9, 30, 17), 2, "working_hours").at == at(2026, 10, 3, 10)


def test_unknown_year_uses_weekdays_and_is_not_known(db):
    assert is_workday(date(2027, 1, 1)) == (True, False)  # Friday; really 元旦, but nobody said so yet
    assert is_workday(date(2027, 1, 2)) == (False, False)  # Saturday


def test_override_in_unknown_year_is_known(db):
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    assert is_workday(date(2027, 1, 1)) == (False, True)
    assert is_workday(date(2027, 1, 4)) == (True, False)


def test_published_year_is_known(db):
    CalendarYear.objects.create(year=2027, published=True)
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    assert is_workday(date(2027, 1, 1)) == (False, True)
    assert is_workday(date(2027, 1, 4)) == (True, True)
    assert is_workday(date(2027, 1, 9)) == (False, True)


def test_unpublished_year_is_still_unknown(db):
    CalendarYear.objects.create(year=2027, published=False)
    assert is_workday(date(2027, 1, 4)) == (True, False)


def test_year_before_package_range(db):
    assert is_workday(date(2003, 6, 2)) == (True, False)  # a Monday


def test_year_source(db):
    CalendarYear.objects.create(year=2028, published=True)
    CalendarYear.objects.create(year=2029, published=False)
    cal = Calendar()
    assert cal.year_source(2026) == wt.SOURCE_PACKAGE
    assert cal.year_source(2028) == wt.SOURCE_PUBLISHED
    assert cal.year_source(2029) == wt.SOURCE_UNKNOWN
    assert cal.year_source(2027) == wt.SOURCE_UNKNOWN


def test_calendar_loads_overrides_in_one_query(db, django_assert_num_queries):
    for d in range(1, 29):
        CalendarDay.objects.create(date=date(2027, 2, d), is_workday=d % 2 == 0)
    CalendarYear.objects.create(year=2027)
    cal = Calendar()
    with django_assert_num_queries(2):  # overrides for the range + published years
        cal.preload(date(2027, 1, 1), date(2027, 3, 31))
        results = [cal.is_workday(date(2027, 1, 1) + timedelta(days=i)) for i in range(90)]
    assert all(known for _, known in results)
    with django_assert_num_queries(0):  # cached
        assert cal.is_workday(date(2027, 2, 2)) == (True, True)
        assert cal.is_workday(date(2027, 2, 3)) == (False, True)


def test_calendar_extends_its_range_on_demand(db, django_assert_num_queries):
    CalendarDay.objects.create(date=date(2026, 12, 20), is_workday=True, note="值班")
    cal = Calendar()
    with django_assert_num_queries(1):
        assert cal.is_workday(date(2026, 11, 2)) == (True, True)
        assert cal.is_workday(date(2026, 11, 30)) == (True, True)  # inside the preloaded margin
    with django_assert_num_queries(1):
        assert cal.is_workday(date(2026, 12, 20)) == (True, True)  # one query extends the range
        assert cal.is_workday(date(2026, 12, 27)) == (False, True)  # by a whole chunk
    with django_assert_num_queries(1):
        assert cal.is_workday(date(2026, 6, 1)) == (True, True)  # and backwards


def test_units_match_event_time_units():
    assert set(wt.UNITS) == set(TimeUnit.values)

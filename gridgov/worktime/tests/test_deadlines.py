"""add_time for the three units.

Default working hours: 08:30-12:00 (3.5 h) and 13:30-17:30 (4 h), 7.5 h a day;
one working day is 7.5 working hours counted from the start.
"""

from datetime import UTC, date, datetime
from time import perf_counter

import pytest

from gridgov.worktime import calendar as wt
from gridgov.worktime.calendar import Calendar, Deadline, add_time
from gridgov.worktime.models import CalendarDay, CalendarYear

from .conftest import SHANGHAI, at


def test_working_days_across_national_day_2026(db):
    # Dispatched Wednesday 30 Sep 09:00, limit 3 working days = 22.5 working hours.
    #   30 Sep: 09:00-12:00 + 13:30-17:30             =  7.0 h  (15.5 h left)
    #   1-7 Oct: National Day holiday                  =  0
    #   8 Oct (Thu): full day                          =  7.5 h  ( 8.0 h left)
    #   9 Oct (Fri): full day                          =  7.5 h  ( 0.5 h left)
    #  10 Oct (Sat, 调休 make-up workday): 08:30 + 0.5 h = 09:00
    # i.e. 30 Sep 09:00 → 8 Oct 09:00 (1) → 9 Oct 09:00 (2) → 10 Oct 09:00 (3):
    # the case falls due on the make-up Saturday, not on Friday 9 Oct.
    deadline = add_time(at(2026, 9, 30, 9), 3, "working_days")
    assert deadline == Deadline(at(2026, 10, 10, 9), provisional=False)
    assert deadline.at.tzinfo is not None


def test_one_working_day_is_same_time_next_workday(db):
    # Tuesday 10:00 + 1 working day → Wednesday 10:00
    assert add_time(at(2026, 10, 13, 10), 1, "working_days").at == at(2026, 10, 14, 10)
    # Friday 10:00 → Monday 10:00
    assert add_time(at(2026, 10, 16, 10), 1, "working_days").at == at(2026, 10, 19, 10)


def test_working_days_from_after_hours_end_at_end_of_nth_workday(db):
    # dispatched Tuesday 19:00: counting starts Wednesday 08:30; 2 days end Thursday 17:30
    assert add_time(at(2026, 10, 13, 19), 2, "working_days").at == at(2026, 10, 15, 17, 30)


def test_working_hours_into_make_up_saturday(db):
    # Friday 9 Oct 16:30 + 3 h: 16:30-17:30 (1 h), then Saturday 10 Oct is a 调休 workday:
    # 08:30 + 2 h = 10:30
    assert add_time(at(2026, 10, 9, 16, 30), 3, "working_hours") == Deadline(at(2026, 10, 10, 10, 30), False)


def test_working_hours_weekend_start(db):
    # Saturday 17 Oct 10:00 (an ordinary weekend) → counting starts Monday 19 Oct 08:30
    assert add_time(at(2026, 10, 17, 10), 2, "working_hours").at == at(2026, 10, 19, 10, 30)


def test_working_hours_holiday_start(db):
    # 3 Oct (National Day) → counting starts Thursday 8 Oct 08:30
    # 08:30 + 3.5 h = 12:00 (end of period), 0.5 h more → 14:00
    assert add_time(at(2026, 10, 3, 15), 4, "working_hours").at == at(2026, 10, 8, 14)


def test_working_hours_lunch_start(db):
    # Thursday 15 Oct 12:30 (lunch) → counting starts 13:30
    assert add_time(at(2026, 10, 15, 12, 30), 1, "working_hours").at == at(2026, 10, 15, 14, 30)


def test_working_hours_crossing_lunch(db):
    # 11:00 + 2 h: 11:00-12:00, 13:30-14:30
    assert add_time(at(2026, 10, 15, 11), 2, "working_hours").at == at(2026, 10, 15, 14, 30)


def test_working_hours_after_hours_start(db):
    # Thursday 19:00 → Friday 08:30 + 1 h
    assert add_time(at(2026, 10, 15, 19), 1, "working_hours").at == at(2026, 10, 16, 9, 30)


def test_working_hours_before_hours_start(db):
    assert add_time(at(2026, 10, 15, 6), 1, "working_hours").at == at(2026, 10, 15, 9, 30)


def test_deadline_exactly_at_end_of_period_stays_there(db):
    # morning period ends at 12:00 - not 13:30
    assert add_time(at(2026, 10, 15, 9), 3, "working_hours").at == at(2026, 10, 15, 12)
    # afternoon ends at 17:30 - not 08:30 the next morning
    assert add_time(at(2026, 10, 15, 14, 30), 3, "working_hours").at == at(2026, 10, 15, 17, 30)
    # a whole day from 08:30 ends 17:30 the same day
    assert add_time(at(2026, 10, 15, 8, 30), 1, "working_days").at == at(2026, 10, 15, 17, 30)


def test_start_at_end_of_period_moves_to_next_period(db):
    assert add_time(at(2026, 10, 15, 12), 1, "working_hours").at == at(2026, 10, 15, 14, 30)
    assert add_time(at(2026, 10, 15, 17, 30), 1, "working_hours").at == at(2026, 10, 16, 9, 30)


def test_zero_amount_is_start(db):
    assert add_time(at(2026, 10, 17, 10), 0, "working_hours") == Deadline(at(2026, 10, 17, 10), False)


def test_natural_hours(db):
    # clock time: weekends and holidays do not matter
    assert add_time(at(2026, 10, 1, 22), 4, "natural_hours") == Deadline(at(2026, 10, 2, 2), False)
    assert add_time(at(2027, 6, 1, 9), 48, "natural_hours") == Deadline(at(2027, 6, 3, 9), False)


def test_utc_input_gives_shanghai_deadline(db):
    start = datetime(2026, 10, 15, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    deadline = add_time(start, 3, "working_hours")
    assert deadline.at == at(2026, 10, 15, 12)
    assert deadline.at.utcoffset().total_seconds() == 8 * 3600


def test_invalid_arguments(db):
    with pytest.raises(ValueError):
        add_time(datetime(2026, 10, 15, 9), 1, "working_hours")  # naive
    with pytest.raises(ValueError):
        add_time(at(2026, 10, 15, 9), -1, "working_hours")
    with pytest.raises(ValueError):
        add_time(at(2026, 10, 15, 9), 1, "fortnights")


def test_unknown_year_is_provisional_until_published(db):
    # Thursday 31 Dec 2026 09:00 + 2 working days.  2027 is not in the package:
    # weekends only → Fri 1 Jan 09:00 (1), Mon 4 Jan 09:00 (2), provisional.
    start = at(2026, 12, 31, 9)
    assert add_time(start, 2, "working_days") == Deadline(at(2027, 1, 4, 9), provisional=True)

    # The administrator enters 元旦 and publishes the year:
    # Mon 4 Jan 09:00 (1), Tue 5 Jan 09:00 (2), no longer provisional.
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    CalendarYear.objects.create(year=2027, published=True)
    assert add_time(start, 2, "working_days") == Deadline(at(2027, 1, 5, 9), provisional=False)


def test_deadline_in_unknown_year_with_only_an_override_is_still_provisional(db):
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    deadline = add_time(at(2026, 12, 31, 9), 2, "working_days")
    assert deadline == Deadline(at(2027, 1, 5, 9), provisional=True)  # 4 Jan itself is unknown


def test_provisional_only_when_an_unknown_day_is_walked_over(db):
    # ends on 31 Dec 2026 17:30 exactly: 2027 is never looked at
    assert add_time(at(2026, 12, 31, 8, 30), 1, "working_days").provisional is False
    # after hours on 31 Dec: the whole limit lies in 2027
    assert add_time(at(2026, 12, 31, 18), 1, "working_hours").provisional is True


def test_thirty_working_days_without_query_per_day(db, django_assert_max_num_queries):
    CalendarDay.objects.create(date=date(2026, 11, 11), is_workday=False, note="测试")
    with django_assert_max_num_queries(1):  # one overrides query; 2026 is a package year
        deadline = add_time(at(2026, 9, 28, 10), 30, "working_days")
    # 30 workdays after Mon 28 Sep: 29, 30 Sep; 8, 9, 10 (Sat, 调休) Oct; then weekdays,
    # skipping Wed 11 Nov (override) → the 30th is Mon 16 Nov, due at 10:00
    cal = Calendar()
    assert cal.working_seconds_between(at(2026, 9, 28, 10), deadline.at) == 30 * 27000
    assert deadline.at == at(2026, 11, 16, 10)


def test_thirty_working_days_in_unknown_year_two_queries(db, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # overrides + published years
        deadline = add_time(at(2027, 3, 1, 10), 30, "working_days")
    assert deadline == Deadline(at(2027, 4, 12, 10), provisional=True)  # 6 weeks of weekdays


def test_thirty_working_days_is_fast(db):
    cal = Calendar()
    cal.preload(date(2026, 1, 1), date(2026, 12, 31))
    began = perf_counter()
    for month in range(1, 11):
        cal.add_time(datetime(2026, month, 2, 9, tzinfo=SHANGHAI), 30, wt.WORKING_DAYS)
    assert perf_counter() - began < 0.5  # ~1 ms each in practice

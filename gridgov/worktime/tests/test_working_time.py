"""working_seconds_between and elapsed_fraction."""

import pytest

from gridgov.worktime.calendar import (
    Calendar,
    add_time,
    add_working_seconds,
    elapsed_fraction,
    working_seconds_between,
)

from .conftest import at

HOUR = 3600


def test_working_seconds_across_weekend_and_lunch(db):
    # Fri 16 Oct 11:00-12:00 (1 h) + 13:30-17:30 (4 h); Sat/Sun nothing;
    # Mon 19 Oct 08:30-12:00 (3.5 h) + 13:30-14:30 (1 h)  = 9.5 h
    assert working_seconds_between(at(2026, 10, 16, 11), at(2026, 10, 19, 14, 30)) == int(9.5 * HOUR)


def test_working_seconds_across_lunch(db):
    assert working_seconds_between(at(2026, 10, 15, 11), at(2026, 10, 15, 14)) == int(1.5 * HOUR)
    assert working_seconds_between(at(2026, 10, 15, 12, 10), at(2026, 10, 15, 13, 20)) == 0


def test_working_seconds_over_national_day(db):
    # 30 Sep 17:00 → 8 Oct 09:00: 0.5 h + 0.5 h; the week of holidays counts nothing
    assert working_seconds_between(at(2026, 9, 30, 17), at(2026, 10, 8, 9)) == HOUR
    # the 调休 Saturday counts
    assert working_seconds_between(at(2026, 10, 10, 0), at(2026, 10, 11, 0)) == int(7.5 * HOUR)


def test_working_seconds_reversed_or_empty(db):
    assert working_seconds_between(at(2026, 10, 19, 10), at(2026, 10, 16, 10)) == 0
    assert working_seconds_between(at(2026, 10, 16, 10), at(2026, 10, 16, 10)) == 0
    assert working_seconds_between(at(2026, 10, 17, 9), at(2026, 10, 18, 17)) == 0  # weekend


def test_working_seconds_whole_year_2026(db, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        seconds = working_seconds_between(at(2026, 1, 1), at(2027, 1, 1))
    workdays = 261 - 19 + 6  # weekdays − weekday holidays + weekend make-up days (see calendar_check 2026)
    assert seconds == workdays * int(7.5 * HOUR)


def test_elapsed_fraction_working_hours_over_weekend(db):
    start = at(2026, 10, 16, 16, 30)  # Friday
    deadline = add_time(start, 2, "working_hours").at
    assert deadline == at(2026, 10, 19, 9, 30)  # Monday
    assert elapsed_fraction(start, deadline, at(2026, 10, 17, 12), "working_hours") == 0.5  # Saturday: 1 h of 2
    assert elapsed_fraction(start, deadline, at(2026, 10, 19, 9), "working_hours") == 0.75
    assert elapsed_fraction(start, deadline, deadline, "working_hours") == 1.0
    assert elapsed_fraction(start, deadline, at(2026, 10, 19, 10, 30), "working_hours") == 1.5
    assert elapsed_fraction(start, deadline, at(2026, 10, 16, 9), "working_hours") == 0.0  # before start


def test_elapsed_fraction_working_days_over_lunch(db):
    start = at(2026, 10, 15, 11)
    deadline = add_time(start, 1, "working_days").at
    assert deadline == at(2026, 10, 16, 11)
    # at 13:00 only 11:00-12:00 has counted: 1 h of 7.5 h
    assert elapsed_fraction(start, deadline, at(2026, 10, 15, 13), "working_days") == pytest.approx(1 / 7.5)
    assert elapsed_fraction(start, deadline, at(2026, 10, 15, 13, 30), "working_days") == pytest.approx(1 / 7.5)


def test_elapsed_fraction_natural_hours(db):
    start = at(2026, 10, 17, 10)  # a Saturday: natural hours ignore the calendar
    deadline = add_time(start, 4, "natural_hours").at
    assert deadline == at(2026, 10, 17, 14)
    assert elapsed_fraction(start, deadline, at(2026, 10, 17, 11), "natural_hours") == 0.25
    assert elapsed_fraction(start, deadline, at(2026, 10, 17, 16), "natural_hours") == 1.5


def test_elapsed_fraction_empty_limit(db):
    start = at(2026, 10, 15, 10)
    assert elapsed_fraction(start, start, at(2026, 10, 15, 9), "working_hours") == 0.0
    assert elapsed_fraction(start, start, start, "working_hours") == 1.0
    assert elapsed_fraction(start, start, at(2026, 10, 15, 11), "natural_hours") == 1.0
    # no working time between start and deadline (a Saturday)
    sat, sun = at(2026, 10, 17, 9), at(2026, 10, 18, 9)
    assert elapsed_fraction(sat, sun, at(2026, 10, 17, 10), "working_days") == 0.0
    assert elapsed_fraction(sat, sun, at(2026, 10, 18, 10), "working_days") == 1.0


def test_elapsed_fraction_rejects_unknown_unit(db):
    with pytest.raises(ValueError):
        elapsed_fraction(at(2026, 10, 15, 10), at(2026, 10, 15, 12), at(2026, 10, 15, 11), "weeks")


def test_one_calendar_for_many_computations(db, django_assert_max_num_queries):
    cal = Calendar()
    with django_assert_max_num_queries(2):
        for day in range(12, 17):
            start = at(2026, 10, day, 10)
            deadline = cal.add_time(start, 5, "working_days").at
            cal.elapsed_fraction(start, deadline, at(2026, 10, 20, 10), "working_days")


def test_add_working_seconds(db):
    # 80 % of one working day (6 h) from Tuesday 10:00: 10:00-12:00, 13:30-17:30 → 17:30 that day
    start = at(2026, 10, 13, 10)
    deadline = add_time(start, 1, "working_days").at
    warn = add_working_seconds(start, int(working_seconds_between(start, deadline) * 0.8))
    assert warn.at == at(2026, 10, 13, 17, 30)
    assert add_working_seconds(start, 0).at == start
    assert add_working_seconds(at(2026, 9, 30, 17), 3600).at == at(2026, 10, 8, 9)  # over National Day
    with pytest.raises(ValueError):
        add_working_seconds(start, -1)

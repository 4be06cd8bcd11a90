"""The WORKING_HOURS setting and limit strings."""

from datetime import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from gridgov.worktime.calendar import (
    Calendar,
    add_time,
    daily_working_seconds,
    limit_from_settings,
    parse_limit,
    parse_working_hours,
    working_periods,
)

from .conftest import at


def set_working_hours(settings, value):
    settings.GRIDGOV = {**settings.GRIDGOV, "WORKING_HOURS": value}


def test_default_working_hours():
    assert working_periods() == ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))
    assert daily_working_seconds() == 27000


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "office hours",
        "08:30-12:00;13:30-17:30",
        "08:30-12:00,",
        "0830-1200",
        "08:30-12:00-13:00",
        "12:00-08:30",
        "08:30-08:30",
        "08:30-12:00,11:00-17:30",  # overlap
        "13:30-17:30,08:30-12:00",  # out of order
        "25:00-26:00",
        "08:61-12:00",
        "08:30-24:00",
    ],
)
def test_bad_working_hours_raise(settings, value):
    set_working_hours(settings, value)
    with pytest.raises(ImproperlyConfigured, match="WORKING_HOURS"):
        working_periods()
    with pytest.raises(ImproperlyConfigured, match="WORKING_HOURS"):
        Calendar()


def test_bad_working_hours_message_is_clear(settings):
    set_working_hours(settings, "12:00-08:30")
    with pytest.raises(ImproperlyConfigured, match="ends before it starts"):
        working_periods()


def test_other_working_hours(settings, db):
    set_working_hours(settings, " 9:00-12:00 , 14:00-18:00 ")
    assert parse_working_hours(" 9:00-12:00 , 14:00-18:00 ") == ((time(9), time(12)), (time(14), time(18)))
    assert daily_working_seconds() == 7 * 3600
    # one working day is now 7 h: Thursday 11:00 → Friday 11:00 still
    assert add_time(at(2026, 10, 15, 11), 1, "working_days").at == at(2026, 10, 16, 11)
    # 4 h from 11:00: 11-12, 14-17
    assert add_time(at(2026, 10, 15, 11), 4, "working_hours").at == at(2026, 10, 15, 17)


def test_single_period_adjacent_periods(settings, db):
    set_working_hours(settings, "09:00-12:00,12:00-17:00")
    assert add_time(at(2026, 10, 15, 11), 2, "working_hours").at == at(2026, 10, 15, 13)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("4 working_hours", (4, "working_hours")),
        ("1 working_days", (1, "working_days")),
        ("  24   natural_hours ", (24, "natural_hours")),
        ("0 working_hours", (0, "working_hours")),
    ],
)
def test_parse_limit(text, expected):
    assert parse_limit(text) == expected


@pytest.mark.parametrize("text", ["", "4", "working_hours", "4 hours", "-1 working_days", "1.5 working_days", "x y"])
def test_parse_limit_rejects(text):
    with pytest.raises(ValueError):
        parse_limit(text)


def test_limits_from_settings(settings):
    assert limit_from_settings("ACCEPT_LIMIT") == (4, "working_hours")
    assert limit_from_settings("VERIFY_LIMIT") == (1, "working_days")
    settings.GRIDGOV = {**settings.GRIDGOV, "VERIFY_LIMIT": "one day"}
    with pytest.raises(ImproperlyConfigured, match="VERIFY_LIMIT"):
        limit_from_settings("VERIFY_LIMIT")

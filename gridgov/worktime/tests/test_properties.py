"""Property tests: add_time and working_seconds_between agree."""

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgov.worktime.calendar import Calendar, daily_working_seconds

from .conftest import SHANGHAI

starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31, 23, 59, 59), timezones=st.just(SHANGHAI)
)
# The database is only read: one test transaction for all examples is fine.
db_settings = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@db_settings
@given(start=starts, hours=st.integers(min_value=0, max_value=300))
def test_working_hours_round_trip(db, start, hours):
    cal = Calendar()
    deadline = cal.add_time(start, hours, "working_hours")
    assert deadline.at >= start
    assert cal.working_seconds_between(start, deadline.at) == hours * 3600
    # 2025-2026 are package years: provisional only when the walk reaches 2027
    if deadline.at.year <= 2026:
        assert not deadline.provisional


@db_settings
@given(start=starts, days=st.integers(min_value=0, max_value=30))
def test_working_days_round_trip(db, start, days):
    cal = Calendar()
    deadline = cal.add_time(start, days, "working_days")
    assert deadline.at >= start
    assert cal.working_seconds_between(start, deadline.at) == days * daily_working_seconds()


@db_settings
@given(start=starts, hours=st.integers(min_value=1, max_value=100))
def test_deadline_is_the_earliest_such_moment(db, start, hours):
    # one second earlier the limit has not yet run out
    cal = Calendar()
    deadline = cal.add_time(start, hours, "working_hours").at
    assert cal.working_seconds_between(start, deadline - timedelta(seconds=1)) == hours * 3600 - 1


@db_settings
@given(a=starts, b=starts, c=starts)
def test_working_seconds_is_additive(db, a, b, c):
    a, b, c = sorted((a, b, c))
    cal = Calendar()
    assert cal.working_time_between(a, c) == cal.working_time_between(a, b) + cal.working_time_between(b, c)


@db_settings
@given(start=starts, seconds=st.integers(min_value=0, max_value=40 * 27000))
def test_working_seconds_round_trip(db, start, seconds):
    cal = Calendar()
    moment = cal.add_working_seconds(start, seconds).at
    assert moment >= start
    assert cal.working_seconds_between(start, moment) == seconds

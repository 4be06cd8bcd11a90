"""Working-day calendar and deadline arithmetic.

Which days are workdays
-----------------------
:meth:`Calendar.is_workday` answers ``(is_workday, known)`` for a date, in this
order:

1. a :class:`~gridgov.worktime.models.CalendarDay` override entered by an
   administrator wins (``known=True``);
2. otherwise the ``chinese-calendar`` package, for the years it has data for
   (``known=True``);
3. otherwise, if the administrator has published the year's whole schedule
   (``CalendarYear(year, published=True)``), the weekday rule Monday–Friday,
   the holidays and 调休 make-up days having been entered as overrides
   (``known=True``);
4. otherwise the weekday rule alone, ``known=False``: deadlines computed over
   such days are flagged *provisional*.

Working time
------------
Every workday has the same working periods, read from
``settings.GRIDGOV["WORKING_HOURS"]`` (default ``"08:30-12:00,13:30-17:30"``,
i.e. 7.5 working hours a day).  Times are wall-clock times in
``settings.TIME_ZONE`` (Asia/Shanghai); arithmetic is done on real elapsed
time, so a zone with daylight-saving changes would still count correctly.

Deadline rules (:func:`add_time`)
---------------------------------
``natural_hours``
    ``start + amount`` hours of clock time, whatever the calendar says.
``working_hours``
    ``amount`` hours of working time counted from ``start``.  A start outside
    working time (night, lunch break, weekend, holiday) begins counting at the
    start of the next working period.  A deadline that falls exactly on the end
    of a working period stays there (17:30, not 08:30 the next workday).
``working_days``
    **N working days = N × (working hours of one day) of working time counted
    from ``start``**, with the same rules as ``working_hours``.  This is the
    rule used by 12345 hotline systems: a case dispatched on Tuesday 10:00 with
    a limit of 1 working day is due on Wednesday 10:00 (when both are
    workdays); a case dispatched at 19:00 or during a weekend is due at the end
    of the N-th following workday.  Because every limit is a quantity of
    working time, the share of the limit used so far (:func:`elapsed_fraction`)
    is measured the same way for hours and days.

A deadline is ``provisional`` when any day the computation had to look at is
not known (rule 4 above).  ``amount == 0`` gives ``start`` itself.

Efficiency
----------
A :class:`Calendar` loads the overrides for a whole date range in one query
and the published years in another, and caches both, so walking over many days
does not query the database per day.  The module-level functions use
:func:`shared`, one ``Calendar`` per process and thread that is reused until the
calendar changes: saving or deleting a ``CalendarDay`` or ``CalendarYear``
(admin, services, ``save()``/``delete()``) bumps a version stamp kept in the
Django cache, and every use compares its stamp with that one (one cache read;
a missing stamp — a cleared cache — counts as a change).  With Redis as the
cache (production) every process sees an edit at once; with the local-memory
cache of the demo the other processes see it when their copy is older than
``SHARED_MAX_AGE`` seconds.  ``QuerySet.update()``/``bulk_create()`` on those
tables send no signal: call :func:`calendar_changed` after them.  Code that
computes many deadlines at once (lists, statistics) may also create its own
``Calendar`` and call its methods.
"""

from __future__ import annotations

import functools
import math
import re
import threading
import time as clock
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# The values of gridgov.events.models.TimeUnit, repeated here so that the
# calendar does not import the events app (which depends on it).
NATURAL_HOURS = "natural_hours"
WORKING_HOURS = "working_hours"
WORKING_DAYS = "working_days"
UNITS = (NATURAL_HOURS, WORKING_HOURS, WORKING_DAYS)

# Where the answer of Calendar.year_source() comes from.
SOURCE_PACKAGE = "package"
SOURCE_PUBLISHED = "published"
SOURCE_UNKNOWN = "unknown"
# SpecialDay.source of a day an administrator entered.
SOURCE_OVERRIDE = "override"

# Give up when this many consecutive days have no working time at all
# (only possible with absurd overrides); prevents an endless walk.
MAX_IDLE_DAYS = 400
# Extra days loaded beyond what a computation is expected to need.
_PRELOAD_MARGIN_DAYS = 45
# Minimum extension of the cached range of overrides.
_EXTEND_DAYS = 120

_HOUR = timedelta(hours=1)
_SECOND = timedelta(seconds=1)


# --------------------------------------------------------------------------
# settings


WorkingPeriods = tuple[tuple[time, time], ...]

_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")


def _parse_clock(text: str, setting: str) -> time:
    match = _TIME_RE.match(text.strip())
    if not match:
        raise ImproperlyConfigured(f"{setting}: {text.strip()!r} is not a time of the form HH:MM")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ImproperlyConfigured(f"{setting}: {text.strip()!r} is not a valid time of day")
    return time(hour, minute)


@functools.lru_cache(maxsize=16)
def parse_working_hours(value: str) -> WorkingPeriods:
    """Parse ``"HH:MM-HH:MM,HH:MM-HH:MM"`` into ordered ``(start, end)`` pairs.

    Periods must be non-empty, within one day, in ascending order and must not
    overlap.  Anything else raises :class:`ImproperlyConfigured`.
    """
    setting = 'GRIDGOV["WORKING_HOURS"]'
    if not isinstance(value, str) or not value.strip():
        raise ImproperlyConfigured(f'{setting} must list working periods like "08:30-12:00,13:30-17:30", got {value!r}')
    periods: list[tuple[time, time]] = []
    for part in value.split(","):
        pieces = part.split("-")
        if len(pieces) != 2:
            raise ImproperlyConfigured(
                f"{setting}: {part.strip()!r} in {value!r} is not a period of the form HH:MM-HH:MM"
            )
        begin, end = _parse_clock(pieces[0], setting), _parse_clock(pieces[1], setting)
        if end <= begin:
            raise ImproperlyConfigured(f"{setting}: period {part.strip()!r} in {value!r} ends before it starts")
        if periods and begin < periods[-1][1]:
            raise ImproperlyConfigured(
                f"{setting}: period {part.strip()!r} in {value!r} overlaps or precedes the period before it; "
                "list periods in ascending order without overlaps"
            )
        periods.append((begin, end))
    return tuple(periods)


def working_periods() -> WorkingPeriods:
    """The configured working periods of a workday."""
    return parse_working_hours(settings.GRIDGOV["WORKING_HOURS"])


def _period_length(begin: time, end: time) -> timedelta:
    return datetime.combine(date.min, end) - datetime.combine(date.min, begin)


def daily_working_seconds() -> int:
    """Working seconds in one workday (27 000 for the default 7.5 hours)."""
    return sum(int(_period_length(b, e) / _SECOND) for b, e in working_periods())


_LIMIT_RE = re.compile(r"^\s*(\d+)\s+([a-z_]+)\s*$")


def parse_limit(text: str) -> tuple[int, str]:
    """Parse a limit such as ``"4 working_hours"`` into ``(4, "working_hours")``.

    Raises :class:`ValueError` for anything that is not a non-negative integer
    followed by one of :data:`UNITS`.
    """
    match = _LIMIT_RE.match(text or "")
    if not match or match.group(2) not in UNITS:
        raise ValueError(f"{text!r} is not a time limit like '4 working_hours' (units: {', '.join(UNITS)})")
    return int(match.group(1)), match.group(2)


def limit_from_settings(key: str) -> tuple[int, str]:
    """Parse ``settings.GRIDGOV[key]`` (e.g. ``"ACCEPT_LIMIT"``); a bad value is ImproperlyConfigured."""
    try:
        return parse_limit(settings.GRIDGOV[key])
    except (KeyError, ValueError) as exc:
        raise ImproperlyConfigured(f'GRIDGOV["{key}"]: {exc}') from exc


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --------------------------------------------------------------------------
# the package


@functools.lru_cache(maxsize=256)
def package_knows(year: int) -> bool:
    """Whether ``chinese-calendar`` has the holiday schedule of ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def package_holiday_name(day: date) -> str:
    """The Chinese name of the holiday a package-known day belongs to ('' if none)."""
    if not package_knows(day.year):
        return ""
    _, name = chinese_calendar.get_holiday_detail(day)
    if not name:
        return ""
    try:
        return chinese_calendar.Holiday(name).chinese
    except ValueError:
        return name


WEEKDAY_LABELS = (_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日"))


def weekday_label(day: date) -> str:
    """The Chinese name of the day of the week (周一 … 周日)."""
    return str(WEEKDAY_LABELS[day.weekday()])


def _weekday_rule(day: date) -> bool:
    return day.weekday() < 5


# --------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class Deadline:
    """When a limit runs out; ``provisional`` if an unknown calendar year was involved."""

    at: datetime
    provisional: bool = False


@dataclass(frozen=True)
class SpecialDay:
    """A day that differs from the weekday rule: a weekday off or a weekend make-up workday."""

    day: date
    is_workday: bool
    note: str
    source: str  # SOURCE_OVERRIDE or SOURCE_PACKAGE


# --------------------------------------------------------------------------
# the calendar


class Calendar:
    """Workday lookups and working-time arithmetic with cached database data.

    Overrides are loaded for a contiguous range of dates, extended (one query
    per extension) when a lookup falls outside it; the set of published years is
    loaded once.  An instance is meant to be short-lived (one request, one
    batch): it does not see overrides saved after it loaded them.
    """

    def __init__(self, periods: WorkingPeriods | None = None, zone: ZoneInfo | None = None) -> None:
        self.periods = periods if periods is not None else working_periods()
        if not self.periods:
            raise ImproperlyConfigured('GRIDGOV["WORKING_HOURS"] defines no working period')
        self.zone = zone or local_zone()
        self.day_length = sum((_period_length(b, e) for b, e in self.periods), timedelta())
        self._overrides: dict[date, tuple[bool, str]] = {}
        self._loaded: tuple[date, date] | None = None
        self._published: frozenset[int] | None = None

    # --- database -----------------------------------------------------

    def _query_overrides(self, first: date, last: date) -> None:
        from gridgov.worktime.models import CalendarDay

        rows = CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "is_workday", "note")
        for day, workday, note in rows:
            self._overrides[day] = (workday, note)

    def preload(self, first: date, last: date) -> None:
        """Make sure overrides from ``first`` to ``last`` are cached (at most two queries)."""
        if last < first:
            first, last = last, first
        if self._loaded is None:
            self._query_overrides(first, last)
            self._loaded = (first, last)
            return
        # Extend by at least a chunk, so that many computations with slowly
        # moving start dates do not query once each.
        lo, hi = self._loaded
        chunk = timedelta(days=_EXTEND_DAYS)
        if first < lo:
            first = min(first, lo - chunk)
            self._query_overrides(first, lo - timedelta(days=1))
            lo = first
        if last > hi:
            last = max(last, hi + chunk)
            self._query_overrides(hi + timedelta(days=1), last)
            hi = last
        self._loaded = (lo, hi)

    def _ensure(self, day: date) -> None:
        if self._loaded is None:
            self.preload(day, day + timedelta(days=_PRELOAD_MARGIN_DAYS))
        elif not self._loaded[0] <= day <= self._loaded[1]:
            self.preload(day, day)

    def published_years(self) -> frozenset[int]:
        if self._published is None:
            from gridgov.worktime.models import CalendarYear

            self._published = frozenset(CalendarYear.objects.filter(published=True).values_list("year", flat=True))
        return self._published

    # --- days ---------------------------------------------------------

    def override(self, day: date) -> tuple[bool, str] | None:
        """The administrator's ``(is_workday, note)`` for ``day``, if any."""
        self._ensure(day)
        return self._overrides.get(day)

    def is_workday(self, day: date) -> tuple[bool, bool]:
        """``(is_workday, known)`` for ``day``; see the module docstring for the order."""
        found = self.override(day)
        if found is not None:
            return found[0], True
        if package_knows(day.year):
            return chinese_calendar.is_workday(day), True
        if day.year in self.published_years():
            return _weekday_rule(day), True
        return _weekday_rule(day), False

    def year_source(self, year: int) -> str:
        """Where the schedule of ``year`` comes from: package, published or unknown."""
        if package_knows(year):
            return SOURCE_PACKAGE
        if year in self.published_years():
            return SOURCE_PUBLISHED
        return SOURCE_UNKNOWN

    def special_days(self, year: int) -> list[SpecialDay]:
        """Weekdays off and weekend workdays of ``year`` that this calendar knows, by date."""
        first, last = date(year, 1, 1), date(year, 12, 31)
        self.preload(first, last)
        result = []
        day = first
        while day <= last:
            workday, _known = self.is_workday(day)
            if workday != _weekday_rule(day):
                found = self._overrides.get(day)
                if found is not None:
                    note, source = found[1] or package_holiday_name(day), SOURCE_OVERRIDE
                else:
                    note, source = package_holiday_name(day), SOURCE_PACKAGE
                result.append(SpecialDay(day, workday, note, source))
            day += timedelta(days=1)
        return result

    # --- working time -------------------------------------------------

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"an aware datetime is required, got naive {moment!r}")
        return moment.astimezone(self.zone)

    def _day_periods(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The working periods of ``day`` as UTC datetimes (whether or not it is a workday)."""
        for begin, end in self.periods:
            yield (
                datetime.combine(day, begin, tzinfo=self.zone).astimezone(UTC),
                datetime.combine(day, end, tzinfo=self.zone).astimezone(UTC),
            )

    def _advance(self, start: datetime, amount: timedelta) -> Deadline:
        """Walk ``amount`` of working time forward from ``start``."""
        local_start = self._local(start)
        if amount <= timedelta(0):
            return Deadline(local_start, False)
        # Expected span: the working days needed, twice over for weekends and
        # holidays, plus a margin; anything beyond is loaded on demand.
        days_needed = math.ceil(amount / self.day_length)
        day = local_start.date()
        self.preload(day, day + timedelta(days=2 * days_needed + _PRELOAD_MARGIN_DAYS))

        cursor = local_start.astimezone(UTC)
        remaining = amount
        provisional = False
        idle = 0
        while idle <= MAX_IDLE_DAYS:
            usable = [(max(b, cursor), e) for b, e in self._day_periods(day) if e > cursor]
            if usable:
                workday, known = self.is_workday(day)
                provisional = provisional or not known
                if workday:
                    idle = 0
                    for begin, end in usable:
                        available = end - begin
                        if remaining <= available:
                            return Deadline((begin + remaining).astimezone(self.zone), provisional)
                        remaining -= available
                else:
                    idle += 1
            day += timedelta(days=1)
        raise ValueError(
            f"no working time in {MAX_IDLE_DAYS} consecutive days up to {day}; check the calendar overrides"
        )

    def add_time(self, start: datetime, amount: int, unit: str) -> Deadline:
        """The deadline of a limit of ``amount`` ``unit`` started at ``start``."""
        if amount < 0:
            raise ValueError(f"a time limit cannot be negative: {amount}")
        if unit == NATURAL_HOURS:
            return Deadline((self._local(start).astimezone(UTC) + amount * _HOUR).astimezone(self.zone), False)
        if unit == WORKING_HOURS:
            return self._advance(start, amount * _HOUR)
        if unit == WORKING_DAYS:
            return self._advance(start, amount * self.day_length)
        raise ValueError(f"unknown time unit {unit!r} (expected one of {', '.join(UNITS)})")

    def add_working_seconds(self, start: datetime, seconds: int) -> Deadline:
        """The moment ``seconds`` of working time after ``start`` (same rules as ``working_hours``).

        Used for moments inside a limit, e.g. the near-due warning at 80 % of
        the working time between a stage's start and its deadline.
        """
        if seconds < 0:
            raise ValueError(f"working time cannot be negative: {seconds}")
        return self._advance(start, seconds * _SECOND)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time in ``[a, b)``; zero when ``b <= a``."""
        a_utc, b_utc = self._local(a).astimezone(UTC), self._local(b).astimezone(UTC)
        if b_utc <= a_utc:
            return timedelta(0)
        first, last = a_utc.astimezone(self.zone).date(), b_utc.astimezone(self.zone).date()
        self.preload(first, last)
        total = timedelta(0)
        day = first
        while day <= last:
            overlaps = [(max(begin, a_utc), min(end, b_utc)) for begin, end in self._day_periods(day) if end > a_utc]
            overlaps = [(lo, hi) for lo, hi in overlaps if hi > lo]
            if overlaps and self.is_workday(day)[0]:
                total += sum((hi - lo for lo, hi in overlaps), timedelta())
            day += timedelta(days=1)
        return total

    def working_seconds_between(self, a: datetime, b: datetime) -> int:
        """Whole working seconds in ``[a, b)``; 0 when ``b <= a``."""
        return self.working_time_between(a, b) // _SECOND

    def elapsed_fraction(self, start: datetime, deadline: datetime, now: datetime, unit: str) -> float:
        """Share of the limit from ``start`` to ``deadline`` used up at ``now``.

        Clock time for ``natural_hours``, working time for the working units.
        0.0 before ``start``; not capped at 1.0 (a natural-hours case at 150 %
        of its limit gives 1.5; a working-time case only grows during working
        time).  When the limit is empty (``deadline`` at or before ``start``,
        or no working time between them) the answer is 0.0 before ``deadline``
        and 1.0 from it on.  Decide "overdue" by comparing ``now`` with the
        deadline, not with this fraction.
        """
        if unit not in UNITS:
            raise ValueError(f"unknown time unit {unit!r} (expected one of {', '.join(UNITS)})")
        start, deadline, now = (self._local(x).astimezone(UTC) for x in (start, deadline, now))
        if unit == NATURAL_HOURS:
            total = deadline - start
            used = now - start
        else:
            total = self.working_time_between(start, deadline)
            used = self.working_time_between(start, now)
        if total <= timedelta(0):
            return 1.0 if now >= deadline else 0.0
        if used <= timedelta(0):
            return 0.0
        return used / total


# --------------------------------------------------------------------------
# the shared calendar (module docstring, "Efficiency")

VERSION_KEY = "worktime:calendar-version"
SHARED_MAX_AGE = 60  # seconds; bounds how stale a copy can be when the cache is not shared between processes
_shared = threading.local()


def _version() -> str:
    from django.core.cache import cache

    version = cache.get(VERSION_KEY)
    if version is None:  # first use, or the cache was cleared: a new stamp, so every copy reloads
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY) or ""
    return version


def calendar_changed(**_kwargs) -> None:
    """A ``CalendarDay`` or ``CalendarYear`` changed: every shared calendar reloads at its next use."""
    from django.core.cache import cache
    from django.db import transaction

    def bump() -> None:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        _shared.__dict__.clear()

    bump()  # this transaction sees its own change at once …
    transaction.on_commit(bump)  # … and a copy another process loaded before the commit is dropped after it


def shared() -> Calendar:
    """This thread's reusable ``Calendar``: rebuilt when the calendar data, the working hours or the time zone
    changed, or when it is older than ``SHARED_MAX_AGE``."""
    key = (_version(), working_periods(), settings.TIME_ZONE)
    current = getattr(_shared, "calendar", None)
    if current is None or _shared.key != key or clock.monotonic() - _shared.built > SHARED_MAX_AGE:
        current = Calendar()
        _shared.calendar, _shared.key, _shared.built = current, key, clock.monotonic()
    return current


def is_workday(day: date) -> tuple[bool, bool]:
    """``(is_workday, known)`` for ``day``."""
    return shared().is_workday(day)


def add_time(start: datetime, amount: int, unit: str) -> Deadline:
    """The deadline of ``amount`` ``unit`` (natural_hours / working_hours / working_days) from ``start``."""
    return shared().add_time(start, amount, unit)


def add_working_seconds(start: datetime, seconds: int) -> Deadline:
    """The moment ``seconds`` of working time after ``start``."""
    return shared().add_working_seconds(start, seconds)


def working_seconds_between(a: datetime, b: datetime) -> int:
    """Working seconds between ``a`` and ``b`` (0 if ``b <= a``)."""
    return shared().working_seconds_between(a, b)


def elapsed_fraction(start: datetime, deadline: datetime, now: datetime, unit: str) -> float:
    """Share of the limit used at ``now``; see :meth:`Calendar.elapsed_fraction`."""
    return shared().elapsed_fraction(start, deadline, now, unit)

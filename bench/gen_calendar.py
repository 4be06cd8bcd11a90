"""Working-time deadlines for millions of stages at once (bench/generate.py's calendar).  A benchmark helper.

:class:`WorkAxis` asks the project's own :class:`gridgov.worktime.calendar.Calendar` once per day of the
generated span (which days are workdays, which are known) and turns the answer into a sorted array of
working periods in UTC microseconds with the working time elapsed before each.  Then

* ``W(t)``, the working time elapsed at ``t``, is a ``searchsorted`` on the period starts;
* ``add_time(start, amount, unit)`` is ``W⁻¹(W(start) + amount)``: a ``searchsorted`` on the periods'
  cumulative ends, so a deadline that falls exactly on the end of a period stays there (17:30), and a start
  outside working time counts from the next period — the rules of ``Calendar._advance``;
* ``warn_at`` is ``workflow.warn_moment``: ``NEAR_DUE_RATIO`` of the whole working seconds between the
  stage's start and its deadline, added to the start.

All times are int64 microseconds since the epoch (UTC).  ``gridgov/core/tests/test_bench_generate.py`` checks
the results against ``Calendar.add_time`` and ``cases.sla.warn_moment`` on random moments.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

US = 1_000_000
HOUR_US = 3600 * US
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NATURAL, WORKING_HOURS, WORKING_DAYS = 0, 1, 2
UNIT_CODES = {"natural_hours": NATURAL, "working_hours": WORKING_HOURS, "working_days": WORKING_DAYS}


def to_us(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86400 + delta.seconds) * US + delta.microseconds


def from_us(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=int(value))


class WorkAxis:
    """The working periods of every day from ``first`` to ``last`` (local dates), as the Calendar sees them."""

    def __init__(self, first, last, calendar=None):
        from gridgov.worktime import calendar as workcal

        cal = calendar or workcal.Calendar()
        cal.preload(first, last)
        self.zone = cal.zone
        self.day_length_us = int(cal.day_length / timedelta(microseconds=1))
        self.first = first
        starts, ends, unknown = [], [], []
        self.day_end_us = []  # the end of the day's last period (whether or not a workday)
        day = first
        while day <= last:
            workday, known = cal.is_workday(day)
            unknown.append(0 if known else 1)
            periods = [(to_us(datetime.combine(day, b, tzinfo=self.zone)),
                        to_us(datetime.combine(day, e, tzinfo=self.zone))) for b, e in cal.periods]
            self.day_end_us.append(periods[-1][1])
            if workday:
                for b, e in periods:
                    starts.append(b)
                    ends.append(e)
            day += timedelta(days=1)
        self.last = last
        self.p_start = np.array(starts, dtype=np.int64)
        self.p_end = np.array(ends, dtype=np.int64)
        lengths = self.p_end - self.p_start
        self.cum_end = np.cumsum(lengths)
        self.cum_start = self.cum_end - lengths
        self.day_end_us = np.array(self.day_end_us, dtype=np.int64)
        # unknown days up to and including day i (prefix sums): a deadline is provisional when a day it looked at is
        self.unknown_upto = np.cumsum(np.array(unknown, dtype=np.int64))
        self.offset_us = int(datetime.combine(first, datetime.min.time(), tzinfo=self.zone).utcoffset()
                             / timedelta(microseconds=1))
        self.first_day_us = to_us(datetime.combine(first, datetime.min.time(), tzinfo=self.zone))

    # --- days -----------------------------------------------------------------------------------

    def day_index(self, t: np.ndarray) -> np.ndarray:
        """The local day of ``t`` as an index from ``first`` (the zone's offset must be fixed over the span)."""
        return (t - self.first_day_us) // (86400 * US)

    # --- working time -----------------------------------------------------------------------------

    def worked(self, t: np.ndarray) -> np.ndarray:
        """Working microseconds from the axis' start to ``t``."""
        i = np.searchsorted(self.p_start, t, side="right") - 1
        inside = np.clip(t - self.p_start[np.maximum(i, 0)], 0, None)
        length = self.cum_end[np.maximum(i, 0)] - self.cum_start[np.maximum(i, 0)]
        return np.where(i < 0, 0, self.cum_start[np.maximum(i, 0)] + np.minimum(inside, length))

    def at_worked(self, w: np.ndarray) -> np.ndarray:
        """The first moment by which ``w`` working microseconds have elapsed (``w`` > 0)."""
        j = np.searchsorted(self.cum_end, w, side="left")
        if (j >= len(self.cum_end)).any():
            raise SystemExit("a deadline falls beyond the generated calendar span; widen WorkAxis")
        return self.p_start[j] + (w - self.cum_start[j])

    def add_time(self, start: np.ndarray, amount: np.ndarray, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``Calendar.add_time`` element-wise: (deadline µs, provisional) for units coded by UNIT_CODES."""
        start = np.asarray(start, dtype=np.int64)
        amount = np.asarray(amount, dtype=np.int64)
        unit = np.asarray(unit)
        span = np.where(unit == WORKING_DAYS, amount * self.day_length_us, amount * HOUR_US)
        working = (unit != NATURAL) & (amount > 0)
        out = start + np.where(unit == NATURAL, amount * HOUR_US, 0)
        if working.any():
            s = start[working]
            out[working] = self.at_worked(self.worked(s) + span[working])
        # provisional: an unknown day among those Calendar._advance looked at (from the first day with working
        # time left after the start, through the deadline's day)
        first_day = self.day_index(start)
        first_day = np.where(start >= self.day_end_us[np.clip(first_day, 0, len(self.day_end_us) - 1)],
                             first_day + 1, first_day)
        last_day = self.day_index(out)
        before = np.where(first_day > 0, self.unknown_upto[np.clip(first_day - 1, 0, None)], 0)
        provisional = working & ((self.unknown_upto[np.clip(last_day, 0, len(self.unknown_upto) - 1)] - before) > 0)
        return out, provisional

    def warn_at(self, start: np.ndarray, deadline: np.ndarray, unit: np.ndarray, ratio: float) -> np.ndarray:
        """``cases.sla.warn_moment`` element-wise (working units; natural hours are done with timedelta)."""
        total_s = (self.worked(deadline) - self.worked(start)) // US
        secs = np.floor(total_s * ratio).astype(np.int64)
        out = start.copy()
        moving = secs > 0
        if moving.any():
            out[moving] = self.at_worked(self.worked(start[moving]) + secs[moving] * US)
        return out

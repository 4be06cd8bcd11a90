"""Deadlines of the 信访工作条例 (2022) as configurable defaults (``settings.GRIDGOV``, env ``GRIDGOV_*``).

| key | default | rule |
|---|---|---|
| PETITION_ACCEPT_DAYS | 15 | decide on acceptance (受理 / 不予受理 / 转送) within 15 days of registration (条例 §31–32); a department a petition was transferred to gets 15 days from the transfer |
| PETITION_HANDLE_DAYS | 60 | finish (written reply) within 60 days of acceptance (§35) |
| PETITION_EXTENSION_MAX_DAYS | 30 | one extension, approved, of at most 30 days (§35) |
| PETITION_ACK_DAYS | 7 | procedural reply to a letter (群众来信件件有回复) |
| PETITION_ACK_CHANNELS | letter | channels that owe the procedural reply (comma-separated) |
| PETITION_REVIEW_WINDOW_DAYS | 30 | 复查 may be requested within 30 days of the written reply, 复核 within 30 days of the review reply (§36, §37) |
| PETITION_REVIEW_DAYS | 30 | the review / recheck opinion is due within 30 days of the request |
| PETITION_REPEAT_SIMILARITY | 0.5 | subject token overlap (see services.subject_similarity) that makes a repeat |
| PETITION_BACKLOG_REPEATS | 3 | a petition repeated this often is a backlog case (积案) |

**Days are calendar days** (the regulation says 日, not 工作日), counted as the law counts periods
(民法典 §201, §203): the day the period starts is not counted and the period ends at 24:00 of its last
day. **When the last day is not a working day** — a statutory holiday or a weekend rest day (民法典 §203
"期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日") — the period ends at 24:00 of the
first working day after it, read from the working-day calendar (gridgov.worktime.calendar: the
chinese-calendar package, the administrator's overrides and published years, else Monday–Friday), so a
调休 make-up Saturday is a working day and a last day on it stays. Registration on 2026-09-16 with 15
days: the 15th day is 2026-10-01 (National Day), the holiday runs to 10-07, so the period ends at 24:00
of 2026-10-08 (stored as 2026-10-09 00:00). A letter registered on Monday (at any hour) with 7 days to
reply is due by the end of the next Monday. The 30-day windows work the same way on dates: 复查 runs from
the day the petitioner *received* the written reply (``reply_delivered_on``, 送达日期), 复核 from the day
they received the review opinion (``review_delivered_on``); a window whose document has no recorded
delivery has not started (待送达). An approved extension of N days runs on from the end of the period
it extends (the moved last day, if it was moved): N more days, and the rule applies again to the new
last day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings

from gridgov.worktime import calendar as workcal

DEFAULTS = {
    "PETITION_ACCEPT_DAYS": 15,
    "PETITION_HANDLE_DAYS": 60,
    "PETITION_EXTENSION_MAX_DAYS": 30,
    "PETITION_ACK_DAYS": 7,
    "PETITION_ACK_CHANNELS": "letter",
    "PETITION_REVIEW_WINDOW_DAYS": 30,
    "PETITION_REVIEW_DAYS": 30,
    "PETITION_REPEAT_SIMILARITY": 0.5,
    "PETITION_BACKLOG_REPEATS": 3,
}


def get(key: str):
    value = settings.GRIDGOV.get(key, DEFAULTS[key])
    default = DEFAULTS[key]
    if isinstance(default, bool) or isinstance(default, str):
        return value
    return type(default)(value)


def ack_channels() -> set[str]:
    return {c.strip() for c in str(get("PETITION_ACK_CHANNELS")).split(",") if c.strip()}


def first_working_day(day: date, cal: workcal.Calendar | None = None) -> date:
    """``day`` itself when it is a working day, else the first working day after it (民法典 §203)."""
    cal = cal or workcal.Calendar()
    for _ in range(workcal.MAX_IDLE_DAYS):
        if cal.is_workday(day)[0]:
            return day
        day += timedelta(days=1)
    raise ValueError(f"no working day in {workcal.MAX_IDLE_DAYS} days up to {day}; check the calendar overrides")


def last_day(start: date, days: int, cal: workcal.Calendar | None = None) -> date:
    """The last day of a period of ``days`` days that starts on ``start`` (the day of the event, not
    counted: 民法典 §201), moved to the first working day when it is a holiday or rest day (§203)."""
    return first_working_day(start + timedelta(days=days), cal)


def end_of_day(day: date) -> datetime:
    """24:00 of ``day`` in local time (stored as 00:00 of the next day)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=workcal.local_zone())


def days_after(start: datetime, days: int) -> datetime:
    """When a period of ``days`` days started at ``start`` runs out: 24:00 of its (moved) last day."""
    return end_of_day(last_day(start.astimezone(workcal.local_zone()).date(), days))


def extended(deadline: datetime, days: int) -> datetime:
    """The end of a period whose end was ``deadline`` (24:00 of its last day) prolonged by ``days`` days."""
    old_last_day = deadline.astimezone(workcal.local_zone()).date() - timedelta(days=1)
    return end_of_day(last_day(old_last_day, days))

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
day. A letter registered on Monday (at any hour) with 7 days to reply is due by the end of the next
Monday; the 30-day windows work the same way on dates, so a reply dated D may be challenged through
the whole of day D+30 and not on D+31. No deadline is moved off a holiday.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

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


def days_after(start: datetime, days: int) -> datetime:
    """The end (24:00, local time) of the ``days``-th calendar day after the day of ``start``."""
    zone = workcal.local_zone()
    last_day = start.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)

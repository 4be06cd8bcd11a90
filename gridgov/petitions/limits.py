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

**Days are calendar days** (the regulation says 日, not 工作日): an N-day deadline is the start
plus N × 24 natural hours (``add_time(start, N*24, "natural_hours")``). The 30-day windows are
counted on dates: the day of the reply is not counted (民法典 §201), so a reply dated D may be
challenged through the whole of day D+30 and not on D+31. No deadline is moved off a holiday.
"""

from __future__ import annotations

from datetime import datetime

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
    """Calendar days as natural time."""
    return workcal.add_time(start, days * 24, workcal.NATURAL_HOURS).at

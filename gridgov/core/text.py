"""Control characters: refused on input, replaced on output.

Input: text with a C0 control character other than tab, line feed and carriage return is refused everywhere (API:
422 ``不能包含控制字符`` naming the field; web pages: 400 naming the field) — PostgreSQL cannot store NUL at all,
and XML (xlsx, docx) can hold none of them.  Output: a value stored before that rule, or written past it (an
import, the shell), is still exported: ``xml_safe`` replaces each such character with U+FFFD at the point where a
cell or a paragraph is written, so one bad character never breaks a whole export.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
REPLACEMENT = "\ufffd"
MESSAGE = _("不能包含控制字符")


def has_control(value: str) -> bool:
    return CONTROL_RE.search(value) is not None


def xml_safe(value):
    """The value with XML-illegal control characters replaced (anything not a str is returned as it is)."""
    if isinstance(value, str) and CONTROL_RE.search(value):
        return CONTROL_RE.sub(REPLACEMENT, value)
    return value


PK_MAX = 2**63 - 1  # the largest id a 64-bit integer column holds


def as_pk(value) -> int | None:
    """A database id from text a person or a query string gave: ASCII digits within 1..2^63−1, else None.
    (``str.isdigit`` alone lets through "²" and "١", and a longer number overflows SQLite's INTEGER: a 500.)"""
    raw = str(value if value is not None else "").strip()
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    number = int(raw)
    return number if 1 <= number <= PK_MAX else None

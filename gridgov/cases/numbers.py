"""The one number sequencer: prefix + YYYYMMDD + a 5-digit sequence of the day (SJ2026112300017).

Each lifecycle has its prefix (SJ 事件, JF 纠纷, XF 信访 …); the counter of a (prefix, day) is one row,
incremented by a single ``UPDATE … SET last = last + 1 … RETURNING last``.  The UPDATE locks the row (the
write lock on SQLite) until the caller's transaction ends, so concurrent intakes queue on it: numbers are
unique, and a create that rolls back takes its increment with it, so there are no gaps.  Because of that lock
a new case is numbered at the end of its transaction (:meth:`gridgov.cases.engine.Lifecycle.open`: the row is
inserted under a :func:`provisional` number, then numbered by one UPDATE).  The first number
of a day creates the row (a concurrent first creator loses the unique constraint and uses the winner's row).
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, connection, transaction

from gridgov.cases.models import DailySequence


def _increment(prefix: str, day) -> int | None:
    table = connection.ops.quote_name(DailySequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE {table} SET "last" = "last" + 1 WHERE "prefix" = %s AND "day" = %s RETURNING "last"',
                       [prefix, day])
        row = cursor.fetchone()
    return None if row is None else row[0]


def next_number(day, prefix: str = "SJ") -> str:
    """The next number of ``prefix`` on ``day``: one statement once the day has begun. Call it inside the
    transaction that writes the numbered row, as late in it as possible (the row stays locked to commit)."""
    last = _increment(prefix, day)
    if last is None:  # the day's first number
        try:
            with transaction.atomic():
                DailySequence.objects.create(prefix=prefix, day=day, last=0)
        except IntegrityError:
            pass  # another intake created it first
        last = _increment(prefix, day)
    return f"{prefix}{day:%Y%m%d}{last:05d}"


def provisional() -> str:
    """A unique stand-in for a new case's number until :func:`next_number` is drawn at the end of its
    transaction (:meth:`gridgov.cases.engine.Lifecycle.open`). It is never committed nor seen by anyone else:
    the row is numbered in the transaction that inserts it. ``~`` sorts after every real number."""
    return "~" + secrets.token_hex(9)

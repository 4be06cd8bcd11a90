"""Django's SQLite backend, except that ``flush`` may empty the append-only logs.

On SQLite ``flush`` (run by the test runner between transactional tests) is a list of ``DELETE FROM``
statements, which the append-only triggers (gridgov.core.appendonly) refuse.  Here the flush SQL opens
the bypass first and closes it last; Django runs the list in one transaction, so nothing else ever sees
the bypass.  PostgreSQL's ``flush`` is ``TRUNCATE``, which fires no row trigger, and needs nothing.
"""

import secrets

from django.db.backends.sqlite3 import base, operations

from gridgov.core import appendonly


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        sql = super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if not sql:
            return sql
        opening, closing = appendonly.bypass_statements(f"flush-{secrets.token_hex(8)}")
        return opening + sql + closing


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

"""``column IN (many values)`` sent as ONE parameter, whatever the number of values.

A set-based step (the sweep's batch, the registry import's chunk) filters by a few thousand keys at a time. As
``filter(pk__in=ids)`` that is one prepared parameter per value: a different statement text for every count, a
long parse, and on SQLite a bound on the number of parameters. :func:`one_of` sends the values as one:

* PostgreSQL: ``column = ANY(%s)`` with the values as one array (psycopg adapts a Python list); the planner
  reads it as an index condition, as it does ``IN (…)``;
* SQLite: ``column IN (SELECT value FROM json_each(%s))`` with the values as one JSON list; SQLite looks each
  value up in the column's index;
* another database: ``column IN (…)`` — :func:`one_of` builds a plain ``__in`` filter there, so the lookup
  itself only has the two forms.

Values are integers (keys) or text (digests, codes); ``int`` and ``str`` are the two JSON/array kinds read back
unchanged by both databases.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db.models import F, Lookup, Q


class _OneOf(Lookup):
    lookup_name = "gg_one_of"
    prepare_rhs = False

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]

    def as_sqlite(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*params, json.dumps(list(self.rhs))]


def one_of(name: str, values: Iterable[int | str]) -> Q | Lookup:
    """A filter keeping the rows whose field ``name`` (``"pk"``, ``"id_hash"``, ``"house__grid_id"`` …) is one of
    ``values`` (``int`` or ``str``), as one parameter on PostgreSQL and SQLite."""
    from django.db import connection

    values = list(values)
    for v in values:
        if not isinstance(v, int | str) or isinstance(v, bool):
            raise TypeError(f"one_of takes int or str values, not {type(v).__name__}")
    if connection.vendor in ("postgresql", "sqlite"):
        return _OneOf(F(name), values)
    return Q(**{f"{name}__in": values})

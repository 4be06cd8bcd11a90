"""Inserting many rows of one model with the values prepared once per column, for the hot paths of bulk writes
(the registry import): the rows ``bulk_create`` would store, without building a model instance per row and
compiling every value through the field layers.

:func:`insert_rows` takes the values by column (attribute name → a list with one value per row, or one value for
every row) and fills the columns not given as ``Model()`` and ``save()`` would: a field's default (a callable one is
called once per call, not once per row), ``auto_now``/``auto_now_add`` fields the current time (also once per call;
``bulk_create`` reads the clock per object, microseconds apart).  Each column's values go through the field's own
``get_db_prep_save`` — except plain ``str`` values of text columns and plain ``int`` values of integer columns and
keys, which that method returns as they are — so the database is given exactly what ``bulk_create`` gives it.

The primary keys come back in the rows' order.  A model whose key is not automatic (a one-to-one key) is given its
keys as a column like any other, and they come back as given.  For an automatic key:

* SQLite: one ``executemany`` INSERT, the keys from ``last_insert_rowid()`` — consecutive, because the insert
  runs inside a transaction that holds SQLite's write lock (the project opens transactions ``IMMEDIATE``) and an
  ``AUTOINCREMENT`` key is one more than the largest one so far;
* PostgreSQL: the keys taken from the table's sequence (``nextval`` once per row, one query), then the rows sent
  with ``COPY … FROM STDIN`` (psycopg's ``cursor.copy``).

No signals are sent (``bulk_create`` sends none either) and the model's ``save()`` is not called."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

_TEXT = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}
_INTEGER = {"IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
            "PositiveBigIntegerField", "PositiveSmallIntegerField", "AutoField", "BigAutoField", "SmallAutoField"}


@lru_cache(maxsize=64)
def _fields(model) -> tuple[models.Field | None, list[models.Field]]:
    """The automatic primary key (None when the key is given) and the columns to fill."""
    pk = model._meta.pk
    if not isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
        return None, list(model._meta.concrete_fields)
    return pk, [f for f in model._meta.concrete_fields if f is not pk]


def _kind(field: models.Field) -> type | None:
    """The Python type whose values ``get_db_prep_save`` hands on unchanged for this field (and None); ``date``
    for a date column, whose dates it hands to ``adapt_datefield_value``."""
    internal = field.get_internal_type()
    if field.is_relation:
        internal = field.target_field.get_internal_type()
    if internal in _TEXT:
        return str
    if internal in _INTEGER:
        return int
    if internal == "DateField":
        return date  # (and None)
    return None


def _column(field: models.Field, values, n: int, connection) -> list:
    prep = field.get_db_prep_save
    if not isinstance(values, list):  # one value for every row: prepared once
        return [prep(values, connection)] * n
    if len(values) != n:
        raise ValueError(f"{field.name}: {len(values)} values for {n} rows")
    kind = _kind(field)
    if kind is date:  # what DateField.get_db_prep_save makes of a date, without its layers
        adapt = connection.ops.adapt_datefield_value
        return [adapt(v) if type(v) is date else prep(v, connection) for v in values]
    if kind is None:
        return [prep(v, connection) for v in values]
    return [v if v is None or type(v) is kind else prep(v, connection) for v in values]


def _default(field: models.Field, now) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now if isinstance(field, models.DateTimeField) else date.today()
    return field.get_default()


def defaults(model, now=None) -> dict[str, Any]:
    """The values :func:`insert_rows` gives the columns it is not given (attribute name → value), ``now`` the
    time of ``auto_now`` fields."""
    _pk, fields = _fields(model)
    now = now or timezone.now()
    return {f.attname: _default(f, now) for f in fields}


def insert_rows(model, n: int, columns: dict[str, Sequence | Any], *, using: str = DEFAULT_DB_ALIAS) -> list[int]:
    """Insert ``n`` rows of ``model``; ``columns`` maps a field's attribute name (``house_id``, not ``house``) to a
    list of ``n`` values or to one value (anything but a list) for every row.  Returns the new primary keys in
    the rows' order.  See the module docstring."""
    if n == 0:
        return []
    pk, fields = _fields(model)
    unknown = set(columns) - {f.attname for f in fields}
    if unknown:
        raise ValueError(f"{model._meta.label}: no such columns {sorted(unknown)}")
    if pk is None and not isinstance(columns.get(model._meta.pk.attname), list):
        raise ValueError(f"{model._meta.label}: the keys ({model._meta.pk.attname}) are given, one a row")
    connection = connections[using]
    now = timezone.now()
    prepared = [_column(f, columns[f.attname] if f.attname in columns else _default(f, now), n, connection)
                for f in fields]
    rows = list(zip(*prepared, strict=True))
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    names = ", ".join(qn(f.column) for f in fields)
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        if pk is None:  # the keys are a column
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(fields))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)  # noqa: S608
            return list(columns[model._meta.pk.attname])
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                           [_sequence(connection, model._meta.db_table, pk.column), n])
            keys = sorted(k for (k,) in cursor.fetchall())
            with cursor.copy(f"COPY {table} ({qn(pk.column)}, {names}) FROM STDIN") as copy:
                for key, row in zip(keys, rows, strict=True):
                    copy.write_row((key, *row))
            return keys
        if connection.vendor != "sqlite":
            raise NotImplementedError(connection.vendor)
        placeholders = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)  # noqa: S608
        cursor.execute("SELECT last_insert_rowid()")
        (last,) = cursor.fetchone()
    return list(range(last - n + 1, last + 1))


_SEQUENCES: dict[tuple[str, str, str], str] = {}


def _sequence(connection, table: str, column: str) -> str:
    key = (connection.settings_dict["NAME"], table, column)
    name = _SEQUENCES.get(key)
    if name is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [connection.ops.quote_name(table), column])
            (name,) = cursor.fetchone()
        _SEQUENCES[key] = name
    return name

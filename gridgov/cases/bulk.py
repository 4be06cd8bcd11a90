"""A bulk insert for the sweep's batches that costs one statement and one parameter, whatever the rows.

Django's ``bulk_create`` prepares every value of every row through its field (``get_db_prep_save``) and
hands the driver one parameter per value; for a sweep's batch of thousands of log rows, records and notices
that preparation costs far more than the insert. On PostgreSQL :func:`insert` sends the rows as one JSON
document instead — ``INSERT INTO t (…) SELECT … FROM jsonb_to_recordset(%s) AS r(col type, …)`` — and the
server converts each value to its column's type, as it would a literal. Elsewhere (SQLite) it is
``bulk_create``.

The rows are dicts keyed by attname (``event_id``, not ``event``); a field a row leaves out gets its
default, as a model instance would. Values must be what the field stores: JSON fields' values already JSON
(a field with its own encoder is written by ``bulk_create``), datetimes aware. Nothing is returned (no ids).
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone
from django.utils.functional import Promise


def _columns(model) -> list | None:
    """``(attname, column, db type, default, is JSON)`` of the fields an insert writes, or None when a field
    cannot be sent this way."""
    out = []
    for f in model._meta.concrete_fields:
        if f.primary_key and isinstance(f, models.AutoField | models.BigAutoField | models.SmallAutoField):
            continue
        if getattr(f, "generated", False) or f.db_default is not NOT_PROVIDED:
            return None
        db_type = f.db_type(connection)
        if db_type is None:
            return None
        is_json = isinstance(f, models.JSONField)
        if is_json and f.encoder is not None:
            return None
        out.append((f.attname, f.column, db_type, f, is_json))
    return out


def _iso(v) -> str:
    if isinstance(v, datetime) and v.tzinfo is None:
        raise ValueError("a naive datetime cannot be written by gridgov.cases.bulk.insert")
    return v.isoformat()


def _converter(f):
    """How a field's value becomes JSON: None when it already is (strings, numbers, booleans, JSON)."""
    if isinstance(f, models.DateTimeField | models.DateField | models.TimeField):
        return _iso
    if isinstance(f, models.DecimalField | models.UUIDField):
        return str
    return None


def _default(v):
    if isinstance(v, Promise):  # a lazy translation
        return str(v)
    raise TypeError(f"gridgov.cases.bulk.insert cannot send {type(v).__name__}")


def insert(model, rows: list[dict], chunk: int = 10_000) -> None:
    """Insert ``rows`` (dicts by attname, every row the same keys) into ``model``'s table."""
    if not rows:
        return
    cols = _columns(model) if connection.vendor == "postgresql" else None
    if cols is None:
        model.objects.bulk_create([model(**r) for r in rows])
        return
    now = timezone.now()
    # what bulk_create's pre_save would do: auto_now(_add) fields take the time of the insert, whatever the row says
    stamped = {attname: now for attname, _c, _t, f, _j in cols
               if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)}
    missing = {attname: f.get_default() for attname, _c, _t, f, _j in cols
               if attname not in rows[0] and attname not in stamped}
    qn = connection.ops.quote_name
    spec = ", ".join(f"{qn(c)} {t}" for _a, c, t, _f, _j in cols)
    target = ", ".join(qn(c) for _a, c, *_rest in cols)
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({target}) SELECT {target} "
           f"FROM jsonb_to_recordset(%s::jsonb) AS r({spec})")
    convert = [(attname, c) for attname, _c, _t, f, _j in cols if (c := _converter(f)) is not None]
    with connection.cursor() as cur:
        for i in range(0, len(rows), chunk):
            doc = []
            for r in rows[i:i + chunk]:
                d = {**missing, **r, **stamped} if missing or stamped else dict(r)
                for n, c in convert:
                    v = d[n]
                    if v is not None:
                        d[n] = c(v)
                doc.append(d)
            cur.execute(sql, [json.dumps(doc, ensure_ascii=False, separators=(",", ":"), default=_default)])


def row_of(obj) -> dict:
    """A model instance as an :func:`insert` row (its concrete fields by attname, an unset primary key left out)."""
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields
            if not (f.primary_key and getattr(obj, f.attname) is None)}

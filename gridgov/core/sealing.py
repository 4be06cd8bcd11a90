"""Data migrations that seal clear phone columns (encrypt + keyed hash), shared by every app.

Used from RunPython with the historical models, so it relies on nothing but column names.  Rows are read
in keyset pages of BATCH (``pk > last``, no cursor left open while writing, which SQLite needs) and written
with one ``executemany`` UPDATE per page: memory stays flat whatever the table size, on SQLite and
PostgreSQL alike.  (``bulk_update`` builds CASE expressions and ran at ~650 rows/s; this runs at the speed of
the encryption.)
"""

from __future__ import annotations

from django.db import connections
from django.db.models import Q

from gridgov.core import crypto

BATCH = 1000


def _pages(model, fields: list[str], columns: list[str]):
    todo = Q()
    for f in fields:
        todo |= ~Q(**{f: ""})
    last = None
    while True:
        qs = model.objects.filter(todo).order_by("pk")
        if last is not None:
            qs = qs.filter(pk__gt=last)
        page = list(qs.values_list("pk", *columns)[:BATCH])
        if not page:
            return
        yield page
        last = page[-1][0]


def _write(model, columns: list[str], rows: list[tuple]) -> None:
    conn = connections[model.objects.db]
    qn = conn.ops.quote_name
    table = qn(model._meta.db_table)
    sets = ", ".join(f"{qn(model._meta.get_field(c).column)} = %s" for c in columns)
    with conn.cursor() as cur:
        cur.executemany(f"UPDATE {table} SET {sets} WHERE {qn(model._meta.pk.column)} = %s", rows)  # noqa: S608


def seal_phones(apps, app_label: str, model_name: str, fields: list[str], scope_field: str = "") -> int:
    """Fill ``<f>_enc`` / ``<f>_hash`` from the clear column ``<f>`` for every row that has one.
    ``scope_field``: an idempotency scope column whose ``citizen:<phone>`` values become
    ``crypto.citizen_scope(phone)`` (the form the services now write).  Returns the number of rows written."""
    model = apps.get_model(app_label, model_name)
    reads = list(fields) + ([scope_field] if scope_field else [])
    writes = [c for f in fields for c in (f"{f}_enc", f"{f}_hash")] + ([scope_field] if scope_field else [])
    done = 0
    for page in _pages(model, fields, reads):
        rows = []
        for pk, *values in page:
            out = []
            for phone in values[:len(fields)]:
                phone = crypto.normalize_phone(phone)
                out += [crypto.encrypt(phone), crypto.phone_hash(phone)]
            if scope_field:
                scope = values[-1]
                if scope.startswith("citizen:") and len(scope) > len("citizen:"):
                    scope = crypto.citizen_scope(scope[len("citizen:"):])
                out.append(scope)
            rows.append((*out, pk))
        _write(model, writes, rows)
        done += len(rows)
    return done


def unseal_phones(apps, app_label: str, model_name: str, fields: list[str], scope_field: str = "") -> int:
    """The reverse: the clear column from the ciphertext (and the scope back to ``citizen:<phone>``)."""
    model = apps.get_model(app_label, model_name)
    encs = [f"{f}_enc" for f in fields]
    reads = encs + ([scope_field] if scope_field else [])
    writes = list(fields) + ([scope_field] if scope_field else [])
    done = 0
    for page in _pages(model, encs, reads):
        rows = []
        for pk, *values in page:
            phones = [crypto.decrypt(v)[:20] for v in values[:len(fields)]]
            out = list(phones)
            if scope_field:
                scope = values[-1]
                if phones[0] and scope == crypto.citizen_scope(phones[0]):
                    scope = f"citizen:{phones[0]}"
                out.append(scope)
            rows.append((*out, pk))
        _write(model, writes, rows)
        done += len(rows)
    return done

"""Data migrations that seal clear phone columns (encrypt + keyed hash), shared by every app.

Used from RunPython with the historical models, so it relies on nothing but column names.  Rows are
read with ``iterator()`` and written with ``bulk_update`` in batches: memory stays flat whatever the
table size, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from gridgov.core import crypto

BATCH = 1000


def _scope(phone: str) -> str:
    return crypto.citizen_scope(phone)


def seal_phones(apps, app_label: str, model_name: str, fields: list[str], scope_field: str = "") -> int:
    """Fill ``<f>_enc`` / ``<f>_hash`` from the clear column ``<f>`` for every row that has one.
    ``scope_field``: an idempotency scope column whose ``citizen:<phone>`` values become
    ``citizen:<hash>`` (the form the services now write).  Returns the number of rows written."""
    model = apps.get_model(app_label, model_name)
    targets = [c for f in fields for c in (f"{f}_enc", f"{f}_hash")] + ([scope_field] if scope_field else [])
    columns = ["pk", *fields] + ([scope_field] if scope_field else [])
    done, batch = 0, []
    from django.db.models import Q

    todo = Q()
    for f in fields:
        todo |= ~Q(**{f: ""})
    for row in model.objects.filter(todo).only(*columns).order_by("pk").iterator(chunk_size=BATCH):
        for f in fields:
            phone = crypto.normalize_phone(getattr(row, f))
            setattr(row, f"{f}_enc", crypto.encrypt(phone))
            setattr(row, f"{f}_hash", crypto.phone_hash(phone))
        if scope_field:
            scope = getattr(row, scope_field)
            if scope.startswith("citizen:") and len(scope) > len("citizen:"):
                setattr(row, scope_field, _scope(scope[len("citizen:"):]))
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_update(batch, targets)
            done, batch = done + len(batch), []
    if batch:
        model.objects.bulk_update(batch, targets)
        done += len(batch)
    return done


def unseal_phones(apps, app_label: str, model_name: str, fields: list[str], scope_field: str = "") -> int:
    """The reverse: the clear column from the ciphertext (and the scope back to ``citizen:<phone>``)."""
    model = apps.get_model(app_label, model_name)
    from django.db.models import Q

    todo = Q()
    for f in fields:
        todo |= ~Q(**{f"{f}_enc": ""})
    columns = ["pk", *(f"{f}_enc" for f in fields)] + ([scope_field] if scope_field else [])
    targets = list(fields) + ([scope_field] if scope_field else [])
    done, batch = 0, []
    for row in model.objects.filter(todo).only(*columns).order_by("pk").iterator(chunk_size=BATCH):
        for f in fields:
            setattr(row, f, crypto.decrypt(getattr(row, f"{f}_enc"))[:20])
        if scope_field and getattr(row, scope_field).startswith("citizen:") and getattr(row, fields[0]):
            if getattr(row, scope_field) == _scope(getattr(row, fields[0])):
                setattr(row, scope_field, f"citizen:{getattr(row, fields[0])}")
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_update(batch, targets)
            done, batch = done + len(batch), []
    if batch:
        model.objects.bulk_update(batch, targets)
        done += len(batch)
    return done

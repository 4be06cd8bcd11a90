"""Idempotency-Key: a retry with the same key gets the first answer; the same key with another body is refused.

A creation that carries a key stores, next to the key, a fingerprint of what was asked: a keyed hash (HMAC
with ``GRIDGOV_HASH_KEY``, so it says nothing about a phone or a text even to someone who reads the table)
of the canonical request — every input field, sorted, as JSON; uploaded files by their SHA-256.  A replay
whose fingerprint differs is a client bug (a key reused for another report) and gets 422
``idempotency_mismatch`` instead of silently the first case.  Rows created before fingerprints existed have
none and are replayed as before.

Lookups go through :func:`first_with_key`: the unique index on ``(idempotency_scope, idempotency_key)`` is
partial (``WHERE NOT idempotency_key = ''``), and SQLite's planner uses a partial index only when the query
repeats its condition — without it every keyed create scanned the whole table.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from decimal import Decimal

from django.utils.translation import gettext as _

from gridgov.core.crypto import lookup_hash
from gridgov.core.errors import ValidationFailed


class IdempotencyMismatch(ValidationFailed):
    status = 422
    code = "idempotency_mismatch"


def _file_digest(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return "sha256:" + digest.hexdigest()


def _canonical(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if hasattr(value, "chunks") and hasattr(value, "seek"):  # an uploaded file
        return _file_digest(value)
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, str):
        return value.strip()
    if value is None or isinstance(value, bool | int | float):
        return value
    if hasattr(value, "__dict__"):
        return {k: _canonical(v) for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)


def request_fingerprint(request_input) -> str:
    """The keyed hash of a request's canonical form (64 hex characters)."""
    text = json.dumps(_canonical(request_input), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return lookup_hash(text, "idempotency")


def first_with_key(queryset, scope: str, key: str):
    """The row created with this Idempotency-Key in this scope, or None — one probe of the partial unique index.

    The ``exclude(idempotency_key="")`` repeats the index's condition so that SQLite (and PostgreSQL) match it;
    a blank key never names a row.
    """
    if not key:
        return None
    rows = queryset.filter(idempotency_scope=scope, idempotency_key=key).exclude(idempotency_key="").order_by()
    return next(iter(rows[:1]), None)  # unique: no ORDER BY, which could tempt a planner into a scan


def check_replay(stored: str, incoming: str) -> None:
    """Raise 422 when the stored fingerprint of a key's first request differs from this request's."""
    if stored and incoming and stored != incoming:
        raise IdempotencyMismatch(
            _("该幂等键已用于内容不同的请求"),
            {"Idempotency-Key": [_("该幂等键已用于内容不同的请求；新的请求请使用新的幂等键")]},
        )

"""Rows that rarely change (categories, regions), kept per process by key, so a hot path reads them without a query.

A :class:`RowMemo` keeps the column values of rows it was asked for and gives a fresh model instance each time
(never a shared one). Its entries are dropped:

* when the model's **version stamp** in the Django cache changes — ``save()`` and ``delete()`` of a row (signals)
  bump it at once and again after the commit, as the working-time calendar's does
  (``gridgov.worktime.calendar``); ``QuerySet.update()``/``bulk_create()``/``bulk_update()`` send no signal, so
  code that writes the table that way calls :meth:`RowMemo.changed` after it; a missing stamp (a cleared cache)
  counts as a change;
* when older than ``max_age`` seconds (default 60): the bound on how stale a process's copy can be when the cache
  is not shared between processes (the local-memory cache of the demo) or a write went round the signals.

Only what was read **outside a transaction** is kept: a row read inside one may be this transaction's own
uncommitted change, which a rollback would take back without a stamp to say so. Inside a transaction the memo
still answers from what it holds (this connection's own changes bumped the stamp, so it holds none of the rows
they touched), and reads what it does not hold without keeping it. A row that is not found is never kept
either: a new row is found at its first use.
"""

from __future__ import annotations

import time
import uuid

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models.signals import post_delete, post_save

_memos: list[RowMemo] = []


class RowMemo:
    """``stamp``: a callable giving the table's version stamp instead of the one in the Django cache (the grids
    have one kept by database triggers, ``gridgov.regions.spatial.current_stamp``). ``defer``: columns not kept
    (left deferred on the instances given out)."""

    def __init__(self, model, name: str, max_age: float = 60.0, defer: tuple[str, ...] = (),
                 stamp=None) -> None:
        self.model = model
        self.key = f"memo:{name}:version"
        self.max_age = max_age
        self.attnames = [f.attname for f in model._meta.concrete_fields if f.name not in defer]
        self.own_stamp = stamp is None
        self.stamp = stamp or self._cache_stamp
        self._state: tuple[str | None, float, dict] = (None, 0.0, {})  # (stamp, built at, key → values)
        post_save.connect(self._on_change, sender=model, weak=False, dispatch_uid=self.key + ":save")
        post_delete.connect(self._on_change, sender=model, weak=False, dispatch_uid=self.key + ":delete")
        _memos.append(self)

    def _cache_stamp(self) -> str:
        stamp = cache.get(self.key)
        if stamp is None:  # first use, or the cache was cleared: a new stamp, so every copy reloads
            cache.add(self.key, uuid.uuid4().hex, timeout=None)
            stamp = cache.get(self.key) or ""
        return stamp

    def _entries(self) -> dict:
        stamp = self.stamp()
        current, built, entries = self._state
        if current != stamp or time.monotonic() - built > self.max_age:
            entries = {}
            self._state = (stamp, time.monotonic(), entries)
        return entries

    def get(self, key, query):
        """The row for ``key``: from the memo, else ``query`` (a queryset of this model that finds at most that
        row) read and, outside a transaction, kept; None when there is no such row."""
        entries = self._entries()
        values = entries.get(key)
        if values is None:
            row = next(iter(query.order_by().values_list(*self.attnames)[:1]), None)
            if row is None:
                return None
            values = row
            if not connection.in_atomic_block:
                entries[key] = values
        return self.model.from_db(DEFAULT_DB_ALIAS, self.attnames, values)

    def changed(self, **_kwargs) -> None:
        """The table changed: every process's memo drops its entries (this one at once, after the commit too).
        With a ``stamp`` of its own the table's stamp says so to the other processes; this one forgets its rows."""
        if not self.own_stamp:
            self._state = (None, 0.0, {})
            return

        def bump() -> None:
            cache.set(self.key, uuid.uuid4().hex, timeout=None)
            self._state = (None, 0.0, {})

        bump()
        transaction.on_commit(bump)

    def _on_change(self, sender, **kwargs) -> None:
        self.changed()

    def clear(self) -> None:
        self._state = (None, 0.0, {})


def clear_all() -> None:
    """Drop every memo's entries in this process (tests)."""
    for memo in _memos:
        memo.clear()

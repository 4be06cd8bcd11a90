"""Cross-domain links without cross-domain imports: a small provider registry.

A page of one domain often shows what other domains hold about its object — a resident's disputes
and petitions, the dispute an event was turned into. The page's app must not import those apps (a
lower app never imports a higher one, and no two apps import each other), so it asks a *slot* and the
higher apps fill the slot from their ``AppConfig.ready()``::

    # gridgov/disputes/providers.py (register(), called from DisputesConfig.ready())
    providers.provide("resident.cases", disputes_of_resident, order=10)

    # gridgov/registry/services/links.py
    rows = providers.collect("resident.cases", resident, user)

A provider takes the slot's arguments and returns a value, or ``None`` for nothing to show. Slots and
their arguments are documented at the top of each filling app's ``providers.py`` and listed in
docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Callable

_slots: dict[str, list[tuple[int, str, Callable]]] = {}


def provide(slot: str, fn: Callable, order: int = 100) -> Callable:
    """Register ``fn`` for ``slot`` (idempotent: registering the same function again replaces it)."""
    key = f"{fn.__module__}.{fn.__qualname__}"
    entries = [e for e in _slots.get(slot, []) if e[1] != key]
    entries.append((order, key, fn))
    entries.sort(key=lambda e: (e[0], e[1]))
    _slots[slot] = entries
    return fn


def collect(slot: str, *args, **kwargs) -> list:
    """Every registered provider's answer for ``slot``, in their order, leaving out ``None``."""
    out = []
    for _order, _key, fn in _slots.get(slot, []):
        value = fn(*args, **kwargs)
        if value is not None:
            out.append(value)
    return out


def first(slot: str, *args, default=None, **kwargs):
    """The first provider's answer that is not ``None`` (a slot with one natural owner)."""
    for _order, _key, fn in _slots.get(slot, []):
        value = fn(*args, **kwargs)
        if value is not None:
            return value
    return default


def registered(slot: str) -> list[str]:
    """The names of the functions that fill ``slot`` (for tests and docs)."""
    return [key for _order, key, _fn in _slots.get(slot, [])]

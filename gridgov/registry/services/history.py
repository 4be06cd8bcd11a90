"""The change history: every registry write appends a :class:`Change` row (who, what, when, source), personal
values masked (identity numbers never, phones as their mask, birth dates as the year)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache, partial
from typing import Any

from gridgov.accounts.models import User
from gridgov.core import crypto
from gridgov.registry.models import Change

PERSONAL_FIELDS = {"id_number_enc", "id_hash", "phone", "owner_phone"}
# sealed phones (core.crypto.SealedPhone): history shows the masked number under the plain name and
# notices a change by the keyed hash (two numbers can share a mask)
SEALED_PHONES = {"phone_enc": "phone", "owner_phone_enc": "owner_phone"}


def _value(name: str, v):
    if name == "birth_date":
        # the year only: the full date is the 8 digits a masked identity number hides
        return str(v.year) if v else None
    if hasattr(v, "pk"):
        return v.pk
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if name in ("id_number_enc", "id_hash"):
        return None
    return v if isinstance(v, (str, int, float, bool, list, dict, type(None))) else str(v)


@lru_cache(maxsize=64)
def _plan(model) -> tuple[tuple[str, str, str], ...]:
    """What :func:`snapshot` records of a model, in its field order: (how, the key in the snapshot, the attribute)."""
    plan = []
    for f in model._meta.concrete_fields:
        if f.name in ("id", "updated_at", "created_at", "key", "id_hash"):
            continue
        if f.name in SEALED_PHONES:
            plain = SEALED_PHONES[f.name]
            plan.append(("sealed", plain, plain))
        elif f.name.endswith("phone_hash"):
            plan.append(("as is", f"_{f.name}", f.name))  # compared, never recorded
        elif f.is_relation:
            plan.append(("as is", f.name, f.attname))  # the key itself: no query for the related row
        elif f.name in ("birth_date", "id_number_enc"):
            plan.append(("special", f.name, f.name))
        else:
            plan.append(("value", f.name, f.name))
    return tuple(plan)


def snapshot_values(model, get: Callable[[str], Any], phones: dict[str, str] | None = None) -> dict:
    """:func:`snapshot` of a row of ``model`` that is not an instance: ``get(attribute)`` gives its values (the
    keys of relations by their attribute name, ``house_id``), ``phones`` its sealed phones in the clear."""
    out = {}
    for how, key, attr in _plan(model):
        if how == "value":
            v = get(attr)
            out[key] = v if v is None or type(v) is str else _value(attr, v)  # what _value makes of them
        elif how == "special":
            out[key] = _value(attr, get(attr))
        elif how == "as is":
            out[key] = get(attr)
        else:
            value = phones[attr] if phones is not None and attr in phones else get(attr)
            out[key] = crypto.mask_phone(value or "")
    return out


def snapshot(obj, phones: dict[str, str] | None = None) -> dict:
    """Comparable, recordable values of ``obj``.  ``phones`` (plain name → number) gives sealed phones the
    caller already holds in the clear, so they need not be decrypted (bulk writes)."""
    return snapshot_values(obj.__class__, partial(getattr, obj), phones)


def creation_values(model, get: Callable[[str], Any], phones: dict[str, str] | None = None) -> dict:
    """The ``changes`` of the :class:`Change` row that records the creation of a row of ``model`` (see
    :func:`snapshot_values`): what :func:`record_change` writes for a new record, for callers that insert in
    bulk without model instances."""
    changes = {k: [None, v] for k, v in snapshot_values(model, get, phones).items() if v not in (None, "", [], {})}
    changes.pop("id_number_enc", None)
    for k in [k for k in changes if k.startswith("_")]:
        changes.pop(k)
    return changes


def creation_change(obj, actor, source: str = "web", phones: dict[str, str] | None = None) -> Change:
    """The (unsaved) :class:`Change` row that records the creation of ``obj`` (saved, or given its pk by a
    bulk insert): what :func:`record_change` writes for a new record, for callers that insert in bulk."""
    return Change(model=obj._meta.model_name, object_id=obj.pk, action="create",
                  actor=actor if isinstance(actor, User) else None,
                  changes=creation_values(obj.__class__, partial(getattr, obj), phones), source=source[:32])


def record_change(obj, actor, before: dict | None, action: str = "", source: str = "web") -> Change | None:
    if before is None and not action:
        change = creation_change(obj, actor, source)
        change.save()
        return change
    after = snapshot(obj)
    if before is None:
        changes = {k: [None, v] for k, v in after.items() if v not in (None, "", [], {})}
        action = action or "create"
    else:
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        for enc, plain in SEALED_PHONES.items():  # a new number with the same mask is still a change
            if changes.pop(f"_{enc[:-4]}_hash", None) is not None and plain in after:
                changes[plain] = [before.get(plain), after[plain]]
        if "id_masked" in changes:
            changes["id_number"] = changes.pop("id_masked")
        if not changes and not action:
            return None
        action = action or "update"
    changes.pop("id_number_enc", None)
    for k in [k for k in changes if k.startswith("_")]:
        changes.pop(k)
    return Change.objects.create(
        model=obj._meta.model_name, object_id=obj.pk, action=action,
        actor=actor if isinstance(actor, User) else None, changes=changes, source=source[:32],
    )


def history(obj) -> list[Change]:
    return list(Change.objects.filter(model=obj._meta.model_name, object_id=obj.pk).select_related("actor"))

"""The change history: every registry write appends a :class:`Change` row (who, what, when, source), personal
values masked (identity numbers never, phones as their mask, birth dates as the year)."""

from __future__ import annotations

from datetime import date, datetime

from gridgov.accounts.models import User
from gridgov.core import crypto
from gridgov.registry.models import Change

PERSONAL_FIELDS = {"id_number_enc", "id_hash", "phone", "owner_phone"}
# sealed phones (core.crypto.SealedPhone): history shows the masked number under the plain name and
# notices a change by the keyed hash (two numbers can share a mask)
SEALED_PHONES = {"phone_enc": "phone", "owner_phone_enc": "owner_phone"}


def _value(obj, name):
    v = getattr(obj, name)
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


def snapshot(obj, phones: dict[str, str] | None = None) -> dict:
    """Comparable, recordable values of ``obj``.  ``phones`` (plain name → number) gives sealed phones the
    caller already holds in the clear, so they need not be decrypted (bulk writes)."""
    out = {}
    for f in obj._meta.concrete_fields:
        if f.name in ("id", "updated_at", "created_at", "key", "id_hash"):
            continue
        if f.name in SEALED_PHONES:
            plain = SEALED_PHONES[f.name]
            value = phones[plain] if phones is not None and plain in phones else getattr(obj, plain)
            out[plain] = crypto.mask_phone(value or "")
        elif f.name.endswith("phone_hash"):
            out[f"_{f.name}"] = getattr(obj, f.name)  # compared, never recorded
        elif f.is_relation:
            out[f.name] = getattr(obj, f.attname)  # the key itself: no query for the related row
        else:
            out[f.name] = _value(obj, f.name)
    return out


def creation_change(obj, actor, source: str = "web", phones: dict[str, str] | None = None) -> Change:
    """The (unsaved) :class:`Change` row that records the creation of ``obj`` (saved, or given its pk by a
    bulk insert): what :func:`record_change` writes for a new record, for callers that insert in bulk."""
    changes = {k: [None, v] for k, v in snapshot(obj, phones).items() if v not in (None, "", [], {})}
    changes.pop("id_number_enc", None)
    for k in [k for k in changes if k.startswith("_")]:
        changes.pop(k)
    return Change(model=obj._meta.model_name, object_id=obj.pk, action="create",
                  actor=actor if isinstance(actor, User) else None, changes=changes, source=source[:32])


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

"""A streaming (write-only) export with the template's columns: identity numbers and phones masked unless a full
export is asked for, permitted (``registry.export_personal_data``), given a reason and logged."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from gridgov.core import crypto
from gridgov.core.errors import Forbidden, ValidationFailed
from gridgov.core.text import xml_safe
from gridgov.registry import scope
from gridgov.registry.excel.columns import HEADER_FILL, HEADER_FONT, KIND_LABELS, check_kind, columns, key_categories
from gridgov.registry.models import House, KeyCategory, KeyPerson, Resident, RiskLevel, Unit
from gridgov.registry.services.privacy import log_export

# what a full export reveals, per kind (written to the AccessLog)
FULL_FIELDS = {
    "residents": ["id_number", "phone"],
    "houses": ["owner_phone"],
    "units": ["phone"],
    "key_persons": ["id_number"],
}
_MODELS = {"residents": Resident, "houses": House, "units": Unit, "key_persons": KeyPerson}
_DATE_FORMAT = "yyyy-mm-dd"


def default_queryset(user, kind: str):
    """What ``user`` may export of ``kind`` (open key-person listings only)."""
    check_kind(kind)
    qs = _MODELS[kind].objects.visible_to(user)
    return qs.filter(until__isnull=True) if kind == "key_persons" else qs


def _address_values(address, region=None, grid=None) -> dict:
    if address is None:
        return {"region": region.code if region else "", "grid": grid.code if grid else ""}
    return {"region": address.region.code, "road": address.road, "building": address.building,
            "unit": address.unit, "floor": address.floor, "room": address.room,
            "grid": address.grid.code if address.grid_id else ""}


def _export_rows(kind: str, qs, full: bool, categories: list[KeyCategory]) -> Iterator[dict]:
    def phone(value: str) -> str:
        return value if full else crypto.mask_phone(value or "")

    def id_number(resident: Resident) -> str:
        return crypto.decrypt(resident.id_number_enc) if full else resident.id_masked

    def birth(value):
        # the full date is the 8 digits the masked number hides: a masked export gives the year only
        return value if full or value is None else str(value.year)

    labels = {
        "id_type": dict(Resident.IdType.choices), "household": dict(Resident.Household.choices),
        "structure": dict(House.Structure.choices), "use": dict(House.Use.choices),
        "status": dict(House.Status.choices), "kind": dict(Unit.Kind.choices), "risk": dict(RiskLevel.choices),
        "sex": {"M": "男", "F": "女"},
    }

    def label(table: str, value: str) -> str:
        return str(labels[table].get(value, value or ""))

    if kind == "residents":
        qs = qs.select_related("house__address__region", "house__address__grid", "region", "grid")
        for r in qs.iterator(chunk_size=2000):
            yield {
                "name": r.name, "id_type": label("id_type", r.id_type), "id_number": id_number(r),
                "sex": label("sex", r.sex), "birth_date": birth(r.birth_date), "phone": phone(r.phone),
                "household": label("household", r.household), "hukou_place": r.hukou_place,
                "relation": r.relation, "moved_in": r.moved_in,
                **_address_values(r.house.address if r.house_id else None, r.region, r.grid),
            }
    elif kind == "houses":
        qs = qs.select_related("address__region", "address__grid")
        for h in qs.iterator(chunk_size=2000):
            yield {
                **_address_values(h.address), "structure": label("structure", h.structure),
                "use": label("use", h.use), "status": label("status", h.status),
                "area": float(h.area) if h.area is not None else None, "owner_name": h.owner_name,
                "owner_phone": phone(h.owner_phone),
            }
    elif kind == "units":
        qs = qs.select_related("address__region", "address__grid")
        for u in qs.iterator(chunk_size=2000):
            yield {
                "name": u.name, "uscc": u.uscc, "kind": label("kind", u.kind), "legal_rep": u.legal_rep,
                "contact": u.contact, "phone": phone(u.phone),
                "key_flags": "、".join(str(Unit.KEY_FLAGS.get(f, f)) for f in u.key_flags),
                "employees": u.employees, **_address_values(u.address),
            }
    else:
        qs = qs.select_related("resident", "category", "worker")
        for kp in qs.iterator(chunk_size=2000):
            row = {
                "name": kp.resident.name, "id_type": label("id_type", kp.resident.id_type),
                "id_number": id_number(kp.resident), "category": kp.category.name,
                "risk_level": label("risk", kp.risk_level), "worker": kp.worker.username if kp.worker_id else "",
                "since": kp.since, "note": kp.note,
            }
            for spec in kp.category.attributes:
                value = kp.attributes.get(spec["key"])
                if value is None:
                    continue
                if spec.get("type") == "date":
                    try:
                        value = date.fromisoformat(str(value))
                    except ValueError:
                        pass
                row[f"attr:{spec.get('label', spec['key'])}"] = value
            yield row


def export_workbook(user, kind: str, queryset=None, *, full: bool = False, reason: str = "",
                    path: str | Path | None = None) -> bytes | Path:
    """Stream ``queryset`` (default: everything ``user`` may see) to .xlsx with the template's columns.

    Identity numbers and phones are masked unless ``full`` — which needs the
    ``registry.export_personal_data`` permission (else :class:`Forbidden`) and a reason (else
    :class:`ValidationFailed`), and is written to the AccessLog with the number of records.
    The queryset is intersected with what the user may see whatever the caller passed.
    Returns the bytes, or writes ``path`` and returns it.
    """
    check_kind(kind)
    reason = (reason or "").strip()
    if full:
        if not scope.may_export_full(user):
            raise Forbidden(_("您没有导出完整个人信息的权限"), code="not_permitted")
        if len(reason) < 2:
            raise ValidationFailed(_("导出完整个人信息须填写事由"), {"reason": [_("请填写导出事由")]})
    if kind == "key_persons" and not scope.may_see_key_person_details(user):
        raise Forbidden(_("您无权导出重点人员明细"), code="not_permitted")
    model = _MODELS[kind]
    visible = model.objects.visible_to(user)
    qs = default_queryset(user, kind) if queryset is None else queryset
    if qs.model is not model:
        raise ValueError(f"a {model.__name__} queryset is needed for {kind}")
    qs = qs.filter(pk__in=visible.values("pk")).order_by("pk")
    categories = key_categories() if kind == "key_persons" else []
    cols = columns(kind, categories)

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_(KIND_LABELS[kind]))
    for i, col in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(col.width, len(col.title) * 2 + 2)
    ws.freeze_panes = "A2"
    head = []
    for col in cols:
        cell = WriteOnlyCell(ws, value=col.title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        head.append(cell)
    ws.append(head)
    count = 0
    for values in _export_rows(kind, qs, full, categories):
        out = []
        for col in cols:
            value = values.get(col.key)
            if isinstance(value, date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = _DATE_FORMAT
                value = cell
            out.append(xml_safe(value))  # one stored control character must not break the export
        ws.append(out)
        count += 1
    target: Any = path if path is not None else io.BytesIO()
    wb.save(target)
    if full:
        try:
            log_export(user, model._meta.model_name, FULL_FIELDS[kind], count, reason)
        except Exception:
            if path is not None:
                Path(path).unlink(missing_ok=True)
            raise
    return Path(path) if path is not None else target.getvalue()

"""Personal data: masked for display; the full identity number and phone only through :func:`reveal`
(permission + reason, logged), and a full export's :func:`log_export` row."""

from __future__ import annotations

from django.utils.translation import gettext as _

from gridgov.core import crypto
from gridgov.core.errors import Forbidden, NotFound, ValidationFailed
from gridgov.registry import scope
from gridgov.registry.models import AccessLog, Resident


def masked(resident: Resident) -> dict:
    return {"id_number": resident.id_masked, "phone": crypto.mask_phone(resident.phone)}


def reveal(user, resident: Resident, reason: str, fields: tuple[str, ...] = ("id_number", "phone")) -> dict:
    """The full identity number and phone, for a user with the permission and a stated reason. Logged."""
    if not scope.may_view_full(user):
        raise Forbidden(_("您没有查看完整个人信息的权限"), code="not_permitted")
    if not Resident.objects.visible_to(user).filter(pk=resident.pk).exists():
        raise NotFound(_("未找到该人员"))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed(_("请填写查看事由"), {"reason": [_("请填写查看事由")]})
    out = {}
    if "id_number" in fields:
        out["id_number"] = crypto.decrypt(resident.id_number_enc)
    if "phone" in fields:
        out["phone"] = resident.phone
    AccessLog.objects.create(actor=user, action=AccessLog.Action.VIEW, model="resident", object_id=resident.pk,
                             object_label=resident.name, fields=sorted(out), reason=reason[:200])
    return out


def log_export(user, model: str, fields: list[str], count: int, reason: str) -> AccessLog:
    return AccessLog.objects.create(actor=user, action=AccessLog.Action.EXPORT, model=model, fields=sorted(fields),
                                    reason=(reason or "").strip()[:200], count=count)

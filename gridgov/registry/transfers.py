"""人口迁移申请 (transfer requests): how a person registered outside the writer's scope changes sides.

``services.residents.register_resident`` opens a request when the document it is given is kept by a record
the writer may not write.  Nothing of that record changes until the side that keeps it — the operators who
may write the resident *now* — confirms (the submitted values are then written through the normal
resident write, the move is recorded in the resident's history) or refuses with a reason.

What each side learns, and when:

* the requester gets the same answer as for a brand-new person (see ``Registration.submitted``); they are
  told the outcome when it is decided, in words that carry only what they submitted themselves and the
  refusal reason the keeping side wrote;
* the keeping side is notified at once and sees the request with its own record and the place the person
  is moving to (which it needs to decide);
* every step is a ``Change`` row (model ``transferrequest``): opened, updated by a repeated submission,
  confirmed, refused, cancelled.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core import crypto
from gridgov.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gridgov.regions.models import Region
from gridgov.registry.models import Change, Resident, TransferRequest

# the submitted values kept on the request (the phone is kept encrypted, apart)
VALUE_FIELDS = ("name", "id_type", "household", "hukou_place", "relation", "moved_in", "birth_date", "sex")
MODEL = "transferrequest"


def _log(request: TransferRequest, actor, action: str, changes: dict, source: str = "web") -> Change:
    return Change.objects.create(model=MODEL, object_id=request.pk, action=action,
                                 actor=actor if isinstance(actor, User) else None, changes=changes,
                                 source=(source or "")[:32])


def _center_operators(region: Region) -> list[User]:
    """The operators of the nearest center above a community: its township, else its county, else its city."""
    for length in (9, 6, 4):
        found = list(User.objects.filter(role=User.Role.OPERATOR, is_active=True, region__code=region.code[:length]))
        if found:
            return found
    return []


def _values(data, clean: dict) -> dict:
    out = {
        "name": clean["name"], "id_type": data.id_type, "household": data.household,
        "hukou_place": (data.hukou_place or "").strip()[:100], "relation": (data.relation or "").strip()[:20],
        "moved_in": data.moved_in.isoformat() if data.moved_in else None,
        "birth_date": clean["birth_date"].isoformat() if clean["birth_date"] else None,
        "sex": clean["sex"],
    }
    return {k: out[k] for k in VALUE_FIELDS}


def open_request(actor, resident: Resident, data, clean: dict, source: str = "web") -> TransferRequest:
    """Called by ``services.residents.register_resident`` (inside its transaction, the resident row locked) once
    it has found that ``resident`` is kept outside ``actor``'s scope.  A repeated submission for the same person
    and house updates the pending request instead of opening a second one."""
    from gridgov.core.notify import notify

    house = data.house
    values = _values(data, clean)
    phone = clean.get("phone") or ""
    pending = TransferRequest.objects.select_for_update().filter(
        resident=resident, house=house, status=TransferRequest.Status.PENDING).first()
    if pending is not None:
        pending.values, pending.requested_by, pending.requested_at, pending.source = (
            values, actor, timezone.now(), (source or "")[:32])
        pending.phone_enc = crypto.encrypt(phone) if phone else ""
        pending.save()
        _log(pending, actor, "update", {"values": [None, submitted_values(pending)]}, source)
        return pending
    request = TransferRequest.objects.create(
        resident=resident, from_region=resident.region, to_region=house.address.region, house=house,
        values=values, phone_enc=crypto.encrypt(phone) if phone else "", requested_by=actor, source=(source or "")[:32],
    )
    _log(request, actor, "create", {
        "resident": [None, resident.pk], "from_region": [None, resident.region.code],
        "to_region": [None, request.to_region.code], "house": [None, house.pk],
        "values": [None, submitted_values(request)], "status": [None, request.status]}, source)
    # the keeping side only: a notice to the requester now would tell them the number is kept elsewhere
    notify(_center_operators(resident.region), "transfer_requested",
           _("人口迁移申请：%(name)s 申请迁入%(to)s，请确认") % {"name": resident.name, "to": request.to_region.name},
           body=_("申请人：%(who)s；迁入地址：%(address)s") % {
               "who": who(actor), "address": house.address.text},
           link="/registry/transfers/")
    return request


def who(user) -> str:
    if user is None:
        return _("系统")
    region = f"（{user.region.name}）" if getattr(user, "region_id", None) else ""
    return f"{user.display_name}{region}"


def submitted_values(request: TransferRequest) -> dict:
    out = dict(request.values)
    out["phone"] = crypto.mask_phone(phone_of(request))
    if out.get("birth_date"):
        out["birth_date"] = out["birth_date"][:4]  # the year only, as the history keeps it
    return out


def phone_of(request: TransferRequest) -> str:
    return crypto.decrypt(request.phone_enc) if request.phone_enc else ""


def may_decide(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and (
        user.is_superuser or user.role in (User.Role.ADMIN, User.Role.OPERATOR)))


def visible(user):
    return TransferRequest.objects.visible_to(user)


def _get_for_decision(user, pk: int) -> TransferRequest:
    if not may_decide(user):
        raise Forbidden(_("人口迁移申请由原登记辖区的综治中心确认"), code="not_permitted")
    # visible_to is DISTINCT (the grid join), which PostgreSQL will not lock: check it, then lock the row by pk
    request = (TransferRequest.objects.select_for_update().filter(pk=pk).first()
               if pk and visible(user).filter(pk=pk).exists() else None)
    if request is None:
        raise NotFound(_("未找到该迁移申请"))
    if request.status != TransferRequest.Status.PENDING:
        raise Conflict(_("该迁移申请已处理（%(s)s）") % {"s": request.get_status_display()}, code="not_pending")
    return request


def _input(request: TransferRequest):
    from gridgov.registry.services.residents import ResidentInput

    v = request.values
    return ResidentInput(
        name=v.get("name") or request.resident.name, id_type=v.get("id_type") or request.resident.id_type,
        phone=phone_of(request), household=v.get("household") or request.resident.household,
        hukou_place=v.get("hukou_place") or "", relation=v.get("relation") or "",
        moved_in=date.fromisoformat(v["moved_in"]) if v.get("moved_in") else None,
        birth_date=date.fromisoformat(v["birth_date"]) if v.get("birth_date") else None,
        sex=v.get("sex") or "", house=request.house)


def _notify_both(request: TransferRequest, decider, subject: str, body: str = "") -> None:
    from gridgov.core.notify import notify

    # the requester and their center; the keeping side's center (the decider's colleagues)
    recipients = [request.requested_by] + _center_operators(request.to_region) + _center_operators(
        request.from_region)
    notify([u for u in recipients if u is not None and u.pk != getattr(decider, "pk", None)],
           f"transfer_{request.status}", subject, body=body, link="")


def confirm(user, pk: int, source: str = "web") -> TransferRequest:
    """The keeping side confirms: the submitted values are written into the record and the person moves into
    the requested house (the resident's history records it, source ``transfer:<id>``); other pending
    requests for the same person are cancelled — the record they asked about has moved."""
    from gridgov.registry.services.residents import _check_resident, _write_resident

    with transaction.atomic():
        request = _get_for_decision(user, pk)
        resident = Resident.objects.select_for_update().get(pk=request.resident_id)
        data = _input(request)
        clean, errors = _check_resident(data)
        clean["checked"] = None  # the document is the record's own; it is not rewritten
        errors.pop("id_number", None)  # not submitted again: the request is about this record
        if errors:  # values that were valid when submitted and are not now (e.g. a moved-in date rule)
            raise ValidationFailed(_("申请登记的信息有误，无法确认"), errors)
        _write_resident(user, resident, data, clean, source=f"transfer:{request.pk}")
        request.status, request.decided_by, request.decided_at = TransferRequest.Status.CONFIRMED, user, timezone.now()
        request.save(update_fields=["status", "decided_by", "decided_at"])
        _log(request, user, "confirm", {"status": [TransferRequest.Status.PENDING, request.status]}, source)
        others = list(TransferRequest.objects.select_for_update().filter(
            resident=resident, status=TransferRequest.Status.PENDING).exclude(pk=request.pk))
        for other in others:
            other.status, other.decided_at = TransferRequest.Status.CANCELLED, request.decided_at
            other.reason = _("原登记辖区已另行处理")
            other.save(update_fields=["status", "decided_at", "reason"])
            _log(other, None, "cancel", {"status": [TransferRequest.Status.PENDING, other.status],
                                         "reason": [None, other.reason]}, source)
            _notify_both(other, None, _("人口迁移申请未获确认：%(name)s") % {"name": other.values.get("name", "")},
                         body=other.reason)
        _notify_both(request, user, _("人口迁移已确认：%(name)s 已迁入%(address)s") % {
            "name": request.values.get("name", ""), "address": request.house.address.text})
    return request


def refuse(user, pk: int, reason: str, source: str = "web") -> TransferRequest:
    """The keeping side refuses, with a reason the requester will read; the record stays as it is."""
    reason = (reason or "").strip()
    with transaction.atomic():
        request = _get_for_decision(user, pk)  # who and which first (403/404/409), then what they wrote
        if len(reason) < 2:
            raise ValidationFailed(_("请填写不予确认的理由"), {"reason": [_("请填写不予确认的理由")]})
        if len(reason) > 200:
            raise ValidationFailed(_("理由不能超过200字"), {"reason": [_("理由不能超过200字")]})
        request.status, request.decided_by, request.decided_at = TransferRequest.Status.REFUSED, user, timezone.now()
        request.reason = reason
        request.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        _log(request, user, "refuse", {"status": [TransferRequest.Status.PENDING, request.status],
                                       "reason": [None, reason]}, source)
        _notify_both(request, user, _("人口迁移申请未获确认：%(name)s（证件号码%(id)s）") % {
            "name": request.values.get("name", ""), "id": request.resident.id_masked}, body=_("理由：%(r)s") % {
            "r": reason})
    return request

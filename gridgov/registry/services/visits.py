"""Visits to key persons: recording one, the next due date and 动态掌控率 (derived at read time, never stored),
and the sweep that raises an alert for an overdue high-risk person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.errors import Forbidden, NotFound, ValidationFailed
from gridgov.registry.models import KeyPerson, RiskLevel, Visit


def record_visit(actor, key_person: KeyPerson, *, method: str, findings: str, visited_at: datetime | None = None,
                 abnormal: bool = False, lng: float | None = None, lat: float | None = None, photos=()) -> Visit:
    errors = {}
    if method not in Visit.Method.values:
        errors["method"] = [_("请选择走访方式")]
    if len((findings or "").strip()) < 2:
        errors["findings"] = [_("请填写走访情况")]
    visited_at = visited_at or timezone.now()
    if visited_at > timezone.now() + timedelta(minutes=5):
        errors["visited_at"] = [_("走访时间不能晚于现在")]
    from gridgov.cases.uploads import validate_upload

    for p in photos:
        try:
            kind = validate_upload(p)[0]
            if kind != "photo":
                errors.setdefault("photos", []).append(_("只能上传照片"))
        except ValidationFailed as exc:
            errors.setdefault("photos", []).extend(sum(exc.fields.values(), []))
    if errors:
        raise ValidationFailed(_("走访记录有误"), errors)
    if not KeyPerson.objects.visible_to(actor).filter(pk=key_person.pk).exists():
        raise NotFound(_("未找到该重点人员"))
    if actor.role != User.Role.GRID_WORKER and not (actor.is_superuser or actor.role in (
            User.Role.ADMIN, User.Role.OPERATOR)):
        raise Forbidden(_("您无权记录走访"), code="not_permitted")
    from gridgov.cases.uploads import store_upload
    from gridgov.registry.models import VisitAlert, VisitPhoto

    with transaction.atomic():
        visit = Visit.objects.create(key_person=key_person, worker=actor, method=method, findings=findings.strip(),
                                     visited_at=visited_at, abnormal=abnormal, lng=lng, lat=lat)
        for p in photos:
            store_upload(VisitPhoto(visit=visit), p)
        VisitAlert.objects.filter(key_person=key_person, resolved_at__isnull=True).update(resolved_at=timezone.now())
    return visit


# --- due, overdue and coverage (derived at read time) -----------------------------------------------

DUE_SOON_DAYS = 3


@dataclass(frozen=True)
class VisitStatus:
    last_visit: datetime | None
    due: date
    state: str  # ok / due_soon / overdue


def visit_status(kp: KeyPerson, on: date | None = None, last_visit: datetime | None = None) -> VisitStatus:
    """Due date = last visit (or the listing date) + the interval for the category and risk level."""
    on = on or timezone.localdate()
    if last_visit is None:
        last_visit = kp.visits.filter(visited_at__date__lte=on).aggregate(m=Max("visited_at"))["m"]
    start = timezone.localdate(last_visit) if last_visit else kp.since
    due = start + timedelta(days=kp.interval_days)
    state = "overdue" if on > due else "due_soon" if (due - on).days <= DUE_SOON_DAYS else "ok"
    return VisitStatus(last_visit, due, state)


def visit_statuses(qs, on: date | None = None) -> list[tuple[KeyPerson, VisitStatus]]:
    on = on or timezone.localdate()
    end = timezone.make_aware(datetime.combine(on + timedelta(days=1), datetime.min.time()))
    rows = qs.select_related("resident", "category", "worker").annotate(
        last=Max("visits__visited_at", filter=Q(visits__visited_at__lt=end)))
    # a person never visited has last=None and counts from the listing date
    return [(kp, visit_status(kp, on, kp.last) if kp.last else _status_from_listing(kp, on)) for kp in rows]


def _status_from_listing(kp: KeyPerson, on: date) -> VisitStatus:
    due = kp.since + timedelta(days=kp.interval_days)
    state = "overdue" if on > due else "due_soon" if (due - on).days <= DUE_SOON_DAYS else "ok"
    return VisitStatus(None, due, state)


def coverage(region_code: str, on: date | None = None, category: str = "") -> dict:
    """动态掌控率 on a day: active key persons in the region visited within their interval / all of them."""
    on = on or timezone.localdate()
    qs = KeyPerson.objects.active(on).filter(resident__region__code__startswith=region_code)
    if category:
        qs = qs.filter(category__code=category)
    statuses = visit_statuses(qs, on)
    total = len(statuses)
    covered = sum(1 for _kp, st in statuses if st.state != "overdue")
    return {"region": region_code, "on": on.isoformat(), "total": total, "covered": covered,
            "rate": round(covered / total, 4) if total else None}


def visit_sweep(now: datetime | None = None) -> int:
    """Raise an alert (and notify the worker and their center) for each high-risk person whose visit is
    overdue: once per person and due date, safe to run concurrently (unique constraint)."""
    from django.db import IntegrityError

    from gridgov.core.notify import notify
    from gridgov.registry.models import VisitAlert

    now = now or timezone.now()
    today = timezone.localdate(now)
    raised = 0
    qs = KeyPerson.objects.active(today).filter(risk_level=RiskLevel.HIGH)
    for kp, st in visit_statuses(qs, today):
        if st.state != "overdue":
            continue
        try:
            with transaction.atomic():
                VisitAlert.objects.create(key_person=kp, due=st.due, created_at=now)
                township = kp.resident.region.code[:9]
                operators = list(User.objects.filter(role=User.Role.OPERATOR, region__code=township, is_active=True))
                subject = _("重点人员走访已逾期：%(name)s（%(cat)s，应于%(due)s前走访）") % {
                    "name": kp.resident.name, "cat": kp.category.name, "due": st.due.isoformat()}
                notify(([kp.worker] if kp.worker else []) + operators, "visit_overdue", subject,
                       link=f"/registry/key-persons/{kp.pk}/")
            raised += 1
        except IntegrityError:
            continue
    return raised

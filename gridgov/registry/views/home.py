"""The registry's home page: counts of houses, residents, units and key persons in the user's scope (a region
below their own to drill into), and 动态掌控率 — for a region, or a grid worker's own key persons."""

from __future__ import annotations

from datetime import date

from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.regions.models import Region
from gridgov.registry import scope
from gridgov.registry.models import Address, House, KeyCategory, KeyPerson, Resident, Unit
from gridgov.registry.scope import scoped
from gridgov.registry.services.access import can_write
from gridgov.registry.services.visits import coverage, visit_statuses
from gridgov.registry.views.common import R, registry_reader, role_of


def _counts(qs, field: str, choices) -> list[dict]:
    found = dict(qs.order_by().values_list(field).annotate(n=Count("pk")))
    return [{"code": code, "label": label, "count": found.get(code, 0)} for code, label in choices]


def rate_of(statuses) -> dict:
    total = len(statuses)
    covered = sum(1 for _kp, st in statuses if st.state != "overdue")
    return {"total": total, "covered": covered, "rate": round(covered / total, 4) if total else None}


def coverage_for(user, region_code: str | None = None, on: date | None = None) -> dict | None:
    """动态掌控率 as the user may see it: a region for centers and leaders, their own people for a grid worker."""
    on = on or timezone.localdate()
    role = role_of(user)
    if role == R.GRID_WORKER:
        statuses = visit_statuses(scoped(KeyPerson, user).active(on), on)
        return {**rate_of(statuses), "label": _("我负责的重点人员"), "on": on.isoformat()}
    if role in (R.OPERATOR, R.LEADER, R.ADMIN):
        code = region_code if region_code is not None else (user.region.code if user.region_id else "")
        out = coverage(code, on)
        region = Region.objects.filter(code=code).first()
        out["label"] = region.name if region else _("全部区划")
        return out
    return None


def _region_param(request) -> Region | None:
    """A region below the user's own, chosen for drill-down (None: the user's own)."""
    code = (request.GET.get("region") or "").strip()
    if not code:
        return None
    user = request.user
    region = Region.objects.filter(code=code).first()
    if region is None:
        return None
    if user.is_superuser or user.role == R.ADMIN:
        return region
    if user.region_id and code.startswith(user.region.code) and user.role in (R.OPERATOR, R.LEADER):
        return region
    return None


@registry_reader
def home(request):
    user = request.user
    role = role_of(user)
    on = timezone.localdate()
    chosen = _region_param(request)
    houses = scoped(House, user)
    residents = scoped(Resident, user).filter(house__isnull=False)
    units = scoped(Unit, user)
    if chosen is not None:
        houses = houses.filter(address__region__code__startswith=chosen.code)
        residents = residents.filter(region__code__startswith=chosen.code)
        units = units.filter(address__region__code__startswith=chosen.code)
    if role == R.LEADER:
        # statistics only: the key persons of the region, never their details
        region_code = chosen.code if chosen else (user.region.code if user.region_id else "")
        key_people = KeyPerson.objects.active(on).filter(resident__region__code__startswith=region_code)
    else:
        key_people = scoped(KeyPerson, user).active(on)
        if chosen is not None:
            key_people = key_people.filter(resident__region__code__startswith=chosen.code)
    categories = list(KeyCategory.objects.filter(active=True))
    kp_found = dict(key_people.order_by().values_list("category_id").annotate(n=Count("pk")))
    children = []
    if role in (R.OPERATOR, R.LEADER, R.ADMIN):
        base = chosen or (user.region if user.region_id else None)
        if base is not None and base.level < Region.Level.COMMUNITY:
            for child in Region.objects.filter(parent=base).order_by("code")[:60]:
                # after the spread: coverage() has its own "region" (the code), the row needs the Region
                children.append({**coverage(child.code, on), "region": child})
    ctx = {
        "chosen": chosen,
        "addresses": (scoped(Address, user).filter(region__code__startswith=chosen.code) if chosen
                      else scoped(Address, user)).count(),
        "house_total": houses.count(),
        "house_counts": _counts(houses, "status", House.Status.choices),
        "resident_total": residents.count(),
        "resident_counts": _counts(residents, "household", Resident.Household.choices),
        "unit_total": units.count(),
        "key_unit_total": units.exclude(key_flags=[]).count(),
        "kp_total": sum(kp_found.values()),
        "kp_counts": [{"category": c, "count": kp_found.get(c.pk, 0)} for c in categories],
        "coverage": coverage_for(user, chosen.code if chosen else None, on),
        "children": children,
        "kp_details": scope.may_see_key_person_details(user),
        "can_write": can_write(user),
        "due": _due_summary(user, on) if scope.may_see_key_person_details(user) else None,
    }
    return render(request, "registry/home.html", ctx)


def _due_summary(user, on) -> dict:
    statuses = visit_statuses(scoped(KeyPerson, user).active(on), on)
    if role_of(user) == R.GRID_WORKER:
        statuses = [(kp, st) for kp, st in statuses if kp.worker_id in (None, user.pk)]
    return {"overdue": sum(1 for _k, st in statuses if st.state == "overdue"),
            "due_soon": sum(1 for _k, st in statuses if st.state == "due_soon")}

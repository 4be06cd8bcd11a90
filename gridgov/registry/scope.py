"""Who may see registry records and key persons.

- administrators: everything
- center operators and leaders: their region's subtree (leaders read; key-person *details* are
  not theirs — they get statistics)
- grid workers: records in their grids; key persons in their grids or assigned to them
- department liaisons: none (they work on dispatched events, not on the population register)
"""

from __future__ import annotations

from django.db.models import Q

from gridgov.accounts.models import User
from gridgov.accounts.scope import NOTHING


def registry_scope_q(user, region_path: str, grid_path: str) -> Q:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.is_superuser or user.role == User.Role.ADMIN:
        return Q()
    if user.role in (User.Role.OPERATOR, User.Role.LEADER) and user.region_id:
        return Q(**{f"{region_path}__startswith": user.region.code})
    if user.role == User.Role.GRID_WORKER:
        return Q(**{f"{grid_path}__staff__user": user})
    return NOTHING


def key_person_scope_q(user) -> Q:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.is_superuser or user.role == User.Role.ADMIN:
        return Q()
    if user.role == User.Role.OPERATOR and user.region_id:
        return Q(resident__region__code__startswith=user.region.code)
    if user.role == User.Role.GRID_WORKER:
        return Q(resident__grid__staff__user=user) | Q(worker=user)
    return NOTHING


def may_see_key_person_details(user) -> bool:
    return bool(user and user.is_authenticated and (
        user.is_superuser or user.role in (User.Role.ADMIN, User.Role.OPERATOR, User.Role.GRID_WORKER)))


def may_view_full(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("registry.view_full_identity"))


def may_export_full(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("registry.export_personal_data"))


def scoped(model, user):
    """``model.objects.visible_to(user)`` as a pk subquery: safe to aggregate and annotate (no DISTINCT)."""
    return model.objects.filter(pk__in=model.objects.visible_to(user).values("pk"))

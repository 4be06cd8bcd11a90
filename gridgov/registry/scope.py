"""Who may see registry records and key persons.

- administrators: everything
- center operators and leaders: their region's subtree (leaders read; key-person *details* are
  not theirs — they get statistics)
- grid workers: records in their grids; key persons in their grids or assigned to them
- department liaisons: none (they work on dispatched events, not on the population register)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from gridgov.accounts.models import User
from gridgov.accounts.scope import NOTHING


@dataclass(frozen=True)
class RegistryScope:
    """What :func:`registry_scope_q` filters by, as data (so a hot path can answer it for rows it already read
    without another query): everything, nothing, a region subtree (the codes starting with ``region_prefix``) or
    the grids ``grid_user`` is staff of (a record without a grid is outside them)."""

    everything: bool = False
    region_prefix: str | None = None
    grid_user: User | None = None

    def allows(self, region_code: str | None, grid_ids_of_user: set[int] | None, grid_id: int | None) -> bool:
        """Would :func:`registry_scope_q` keep a record in this region (its code) and grid?  ``grid_ids_of_user``:
        the ids of the grids ``grid_user`` is staff of (needed only when it is set)."""
        if self.everything:
            return True
        if self.region_prefix is not None:
            return region_code is not None and region_code.startswith(self.region_prefix)
        if self.grid_user is not None:
            return grid_id is not None and grid_id in grid_ids_of_user
        return False


def registry_scope(user) -> RegistryScope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return RegistryScope()
    if user.is_superuser or user.role == User.Role.ADMIN:
        return RegistryScope(everything=True)
    if user.role in (User.Role.OPERATOR, User.Role.LEADER) and user.region_id:
        return RegistryScope(region_prefix=user.region.code)
    if user.role == User.Role.GRID_WORKER:
        return RegistryScope(grid_user=user)
    return RegistryScope()


def registry_scope_q(user, region_path: str, grid_path: str) -> Q:
    scope = registry_scope(user)
    if scope.everything:
        return Q()
    if scope.region_prefix is not None:
        return Q(**{f"{region_path}__startswith": scope.region_prefix})
    if scope.grid_user is not None:
        return Q(**{f"{grid_path}__staff__user": scope.grid_user})
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

"""Who may see what: decided here and nowhere else.

Every page and endpoint reaches events through ``Event.objects.visible_to(user)``,
which calls :func:`event_scope_q`.  Something outside a user's scope is a 404,
never a 403, so nobody learns what exists elsewhere.
"""

from __future__ import annotations

from django.db.models import Q

from gridgov.accounts.models import User

NOTHING = Q(pk__in=[])


def event_scope_q(user) -> Q:
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_superuser or user.role == User.Role.ADMIN:
        return Q()
    if user.role in (User.Role.OPERATOR, User.Role.LEADER):
        if user.region_id is None:
            return NOTHING
        return Q(region__code__startswith=user.region.code)
    if user.role == User.Role.LIAISON:
        if user.department_id is None:
            return NOTHING
        return Q(involved_departments=user.department_id)
    if user.role == User.Role.GRID_WORKER:
        # their grids, their own reports, and the cases their reports were merged into
        return Q(grid__staff__user=user) | Q(reporter=user) | Q(merged_events__reporter=user)
    return NOTHING


def region_scope_q(user, field: str = "code") -> Q:
    """Regions (or anything with a region code under ``field``) a user may read."""
    if user is None or not user.is_authenticated:
        return NOTHING
    if user.is_superuser or user.role == User.Role.ADMIN:
        return Q()
    if user.region_id is not None:
        return Q(**{f"{field}__startswith": user.region.code})
    if user.role == User.Role.LIAISON and user.department_id is not None:
        return Q(**{f"{field}__startswith": user.department.region.code})
    return NOTHING

"""Who may see which regions and people's records (the cases' scope is the case kernel's:
:func:`gridgov.cases.scope.case_scope_q`, behind each case model's ``objects.visible_to(user)``).
Something outside a user's scope is a 404, never a 403, so nobody learns what exists elsewhere.
"""

from __future__ import annotations

from django.db.models import Q

from gridgov.accounts.models import User

NOTHING = Q(pk__in=[])


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

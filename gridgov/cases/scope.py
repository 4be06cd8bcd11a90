"""Which cases a user sees: the rule every lifecycle shares, and the roles each adds.

Nobody signed in, or an inactive account: nothing. An administrator: everything. An operator or a leader: the
cases whose region lies in their own (a center sees its subtree, a county leader the county). Any other role
sees what its lifecycle says (``by_role``), or nothing. Out of scope is a 404 wherever it is asked.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q

NOTHING = Q(pk__in=[])


def case_scope_q(user, **by_role: Callable) -> Q:
    """The filter of the cases ``user`` sees; ``by_role``: a role → ``rule(user) -> Q`` for the roles that
    see cases by something else than their region (a liaison by department, a grid worker by grid …)."""
    from gridgov.accounts.models import User

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.is_superuser or user.role == User.Role.ADMIN:
        return Q()
    if user.role in (User.Role.OPERATOR, User.Role.LEADER):
        return Q(region__code__startswith=user.region.code) if user.region_id else NOTHING
    rule = by_role.get(user.role)
    return rule(user) if rule is not None else NOTHING


def of_department(*fields: str) -> Callable:
    """The rule of a department's liaison: the cases whose ``fields`` name their department."""

    def rule(user) -> Q:
        if user.department_id is None:
            return NOTHING
        q = NOTHING
        for f in fields:
            q |= Q(**{f: user.department_id})
        return q

    return rule

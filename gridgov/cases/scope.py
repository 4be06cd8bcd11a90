"""Which cases a user sees: the rule every lifecycle shares, and the roles each adds.

Nobody signed in, or an inactive account: nothing. An administrator: everything. An operator or a leader: the
cases whose region lies in their own (a center sees its subtree, a county leader the county). Any other role
sees what its lifecycle says (``by_role``), or nothing. Out of scope is a 404 wherever it is asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import BooleanField, ExpressionWrapper, F, Func, Q, QuerySet, Subquery

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
        return region_under_q(user.region.code) if user.region_id else NOTHING
    rule = by_role.get(user.role)
    return rule(user) if rule is not None else NOTHING


_IN_ORDER = ContextVar("scan_in_order", default=False)


@contextmanager
def scan_in_order() -> Iterator[None]:
    """Queries compiled inside tell SQLite that a region scope keeps most rows (``likely(…)``), so that it reads
    a page of a large list along the index of the list's order and stops after the page, rather than fetching
    every row of the scope through the region index and sorting them (it has no statistics to tell the two
    apart). Only for lists known to be large: a small one is quicker the other way. PostgreSQL plans by its
    own statistics: nothing changes there."""
    token = _IN_ORDER.set(True)
    try:
        yield
    finally:
        _IN_ORDER.reset(token)


class Likely(Func):
    """A condition, wrapped in SQLite's planner hint ``likely()`` inside :func:`scan_in_order` (``always``:
    everywhere); else as it is."""

    template = "(%(expressions)s)"
    output_field = BooleanField()

    def __init__(self, *expressions, always: bool = False, **extra):
        super().__init__(*expressions, **extra)
        self.always = always

    def as_sqlite(self, compiler, connection, **extra):
        template = "likely(%(expressions)s)" if self.always or _IN_ORDER.get() else self.template
        return self.as_sql(compiler, connection, template=template, **extra)


class Unindexed(Func):
    """A column that SQLite is told not to look up by index (``+column``) inside :func:`scan_in_order`: a
    ``pk IN (…)`` of a large scope would otherwise be the rows a plan starts from, whatever the order."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra):
        template = "+%(expressions)s" if _IN_ORDER.get() else self.template
        return self.as_sql(compiler, connection, template=template, **extra)


def likely(q: Q, always: bool = False) -> Q:
    """``q`` wrapped in :class:`Likely`."""
    return Q(Likely(ExpressionWrapper(q, output_field=BooleanField()), always=always))


def region_under_q(code: str, field: str = "region") -> Q:
    """The rows whose ``field`` (a foreign key to a region) lies in the subtree of the region ``code``: the key
    in the ids of that subtree, read as a range of the region code's index (``gridgov.cases.tally.under``)
    rather than a ``LIKE`` join, which neither SQLite nor a PostgreSQL database with a non-C collation
    answers from an index. One subquery, no join: the rows are not duplicated and need no DISTINCT."""
    from gridgov.cases.tally import under
    from gridgov.regions.models import Region

    return likely(Q(**{f"{field}_id__in": Region.objects.filter(under(code)).values("id")}))


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


class InIds(Func):
    """``column IN (subquery)``, written ``column = ANY(ARRAY(subquery))`` on PostgreSQL: the subquery then runs
    once, first, and its ids are looked up in the column's index — so an ``OR`` of this with another indexed
    condition is two index scans (a BitmapOr), not a walk over every row the other arms' indexes give and a
    check of each against the subquery. For subqueries of a few hundred ids (a department's open calls)."""

    template = "%(expressions)s"
    output_field = BooleanField()
    conditional = True

    def as_sql(self, compiler, connection, **extra):
        column, column_params = compiler.compile(self.source_expressions[0])
        subquery, subquery_params = compiler.compile(self.source_expressions[1])
        return f"{column} IN {subquery}", (*column_params, *subquery_params)

    def as_postgresql(self, compiler, connection, **extra):
        column, column_params = compiler.compile(self.source_expressions[0])
        subquery, subquery_params = compiler.compile(self.source_expressions[1])
        return f"{column} = ANY(ARRAY{subquery})", (*column_params, *subquery_params)


def in_ids(field: str, ids: QuerySet) -> Q:
    """The rows whose ``field`` is one of the values ``ids`` (a one-column queryset) gives (:class:`InIds`)."""
    return Q(InIds(F(field), Subquery(ids)))

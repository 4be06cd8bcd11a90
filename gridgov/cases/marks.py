"""The sweep's marks on the case row: for which deadline the overdue action was taken
(``sla_overdue_for``) and for which the near-due reminder was sent (``sla_near_due_for``).

The notices table (unique on case, kind, deadline) says the same, and stays the last word on exactly-once;
but an index cannot see it, so "overdue and not yet escalated" had to be found by walking every overdue case
and anti-joining each with its notice — 200,000 escalated cases cost every sweep that walk. A mark on the
row is something a *partial* index can hold: the index of the cases whose mark differs from their deadline
holds only the cases still to be swept, so a sweep with nothing to do reads an empty index range.

The sweep writes the mark in the batch's own ``UPDATE`` (``mark = deadline``: the deadline the notice was
made for). When the deadline moves (an extension, rework, a new stage) the mark no longer equals it and the
case is due again — the notices' (kind, deadline) key, on the row.

"Mark differs from deadline" is a stored generated column of its own (``sla_overdue_todo``,
``sla_near_due_todo``: the database computes it on every write, so no code path that moves a deadline can
forget it), and the partial indexes' predicate and the due queries' filter are that column, true — the same
SQL text, which the planners (PostgreSQL's predicate proof, SQLite's term matching) need to see that the query
implies the index's predicate. Why a column and not the comparison itself: PostgreSQL cannot estimate "column
<> other column" (it takes 99.5 % of the rows), so with 200,000 cases already escalated it judged the partial
index about to return them all and chose a parallel sequential scan and a hash anti-join with the notices
(134 ms, slower than before the marks); a boolean column has statistics (ANALYZE counts how many are true).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, F, OuterRef, Q

OVERDUE_MARK = "sla_overdue_for"
NEAR_DUE_MARK = "sla_near_due_for"


def unmarked(mark: str, deadline: str = "deadline") -> Q:
    """``mark IS DISTINCT FROM deadline``, as Django writes it for both the query and the index."""
    return Q(**{f"{mark}__isnull": True}) | ~Q(**{mark: F(deadline)})


def overdue_todo_expression() -> Q:
    """Running deadline not yet escalated: the generated column ``sla_overdue_todo``."""
    return Q(deadline__isnull=False) & unmarked(OVERDUE_MARK)


def near_due_todo_expression() -> Q:
    """Running deadline neither reminded nor escalated (a case escalated for its deadline is past reminding): the
    generated column ``sla_near_due_todo``."""
    return Q(deadline__isnull=False) & unmarked(NEAR_DUE_MARK) & unmarked(OVERDUE_MARK)


def overdue_unmarked() -> Q:
    """The overdue plan's filter and its index's predicate."""
    return Q(sla_overdue_todo=True)


def near_due_unmarked() -> Q:
    """The near-due plan's filter and its index's predicate."""
    return Q(sla_near_due_todo=True)


def sweep_indexes(prefix: str) -> list[models.Index]:
    """The two partial indexes a concrete case model declares: the cases still to escalate by deadline, and
    still to remind by ``warn_at`` (the status first, as in the running filter)."""
    return [
        models.Index(fields=["status", "deadline"], condition=overdue_unmarked(), name=f"{prefix}_sla_overdue_todo"),
        models.Index(fields=["status", "warn_at"], condition=near_due_unmarked(), name=f"{prefix}_sla_near_todo"),
    ]


def fill(case_model, notice_model, case_field: str, overdue_kind: str, near_due_kind: str) -> None:
    """Set the marks from the notices (the data migration of a deployment that swept before the marks): a
    case with a notice of the kind for its current deadline is marked for it. Older deadlines' notices need
    no mark (a mark only counts while it equals the deadline)."""
    for mark, kind in ((OVERDUE_MARK, overdue_kind), (NEAR_DUE_MARK, near_due_kind)):
        noticed = notice_model.objects.filter(**{case_field: OuterRef("pk")}, kind=kind, deadline=OuterRef("deadline"))
        case_model.objects.filter(Exists(noticed), unmarked(mark)).update(**{mark: F("deadline")})

"""The sweep's marks on the case row (gridgov.cases.marks): written with the action, due again when the deadline
moves, filled from the notices by the data migration, and the due queries answered from the partial indexes."""

import importlib
from datetime import timedelta

from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.cases import marks, sla, sweep
from gridgov.cases.tests.test_sweep_digest import EVENTS, LATE, T0, overdue
from gridgov.disputes.workflow import LIFECYCLE as DISPUTES
from gridgov.events import services
from gridgov.events.models import Event, EventLog, SlaNotice
from gridgov.petitions.workflow import LIFECYCLE as PETITIONS

ESCALATE, REMIND = EVENTS.sweeps[0], EVENTS.sweeps[1]
NEAR = T0 + timedelta(minutes=100)  # past the 2 h deadline's warn_at (80 %), before the deadline


def test_the_stage_clock_plans_of_the_three_lifecycles_are_marked_and_the_other_clocks_are_not():
    for lc in (EVENTS, DISPUTES, PETITIONS):
        by_state = {p.state for p in lc.sweeps if sweep._marked(lc, p)}
        assert by_state == {sla.OVERDUE, sla.NEAR_DUE}, lc.kind
    # the 协办 reminder, the 司法确认 window and a letter's reply run their own clocks: their notices only
    assert not sweep._marked(EVENTS, EVENTS.sweeps[2])
    assert not any(sweep._marked(DISPUTES, p) for p in DISPUTES.sweeps if p.candidates)
    assert not any(sweep._marked(PETITIONS, p) for p in PETITIONS.sweeps if p.deadline != "deadline")


def test_the_sweep_marks_the_cases_it_reminds_and_escalates_with_their_deadline(city):
    cases = overdue(city, 3)
    deadline = cases[0].deadline
    assert sweep.sweep_lifecycle(EVENTS, NEAR)["reminded"] == 3
    assert set(Event.objects.values_list("sla_near_due_for", "sla_overdue_for")) == {(deadline, None)}
    assert sweep.sweep_lifecycle(EVENTS, LATE)["escalated"] == 3
    assert set(Event.objects.values_list("sla_near_due_for", "sla_overdue_for")) == {(deadline, deadline)}
    # marked: not due, not walked
    assert not sweep._due(EVENTS, ESCALATE, LATE).exists()
    assert sweep.sweep_lifecycle(EVENTS, LATE + timedelta(hours=1)) == {"escalated": 0, "reminded": 0,
                                                                        "assists_reminded": 0}


def test_an_escalated_case_whose_deadline_moves_is_escalated_again_for_the_new_deadline_and_only_once(city):
    e, other = overdue(city, 2)
    assert sweep.sweep_lifecycle(EVENTS, LATE)["escalated"] == 2
    at = LATE
    services.perform_action(city.liaison_cg, Event.objects.get(pk=e.pk), "sign", now=at)
    services.perform_action(city.liaison_cg, Event.objects.get(pk=e.pk), "request_extension",
                            {"note": "需协调", "requested_deadline": (T0 + timedelta(days=2)).isoformat()}, now=at)
    services.perform_action(city.operator_a, Event.objects.get(pk=e.pk), "approve_extension", now=at)
    e.refresh_from_db()
    assert e.deadline > LATE and e.sla_overdue_for != e.deadline  # the mark is the old deadline's
    later = T0 + timedelta(days=3)
    assert sweep.sweep_lifecycle(EVENTS, later)["escalated"] == 1
    assert sweep.sweep_lifecycle(EVENTS, later + timedelta(hours=1))["escalated"] == 0
    e.refresh_from_db()
    assert e.sla_overdue_for == e.deadline
    assert SlaNotice.objects.filter(event=e, kind="escalate").count() == 2
    assert EventLog.objects.filter(event=e, action="sla_escalate").count() == 2
    assert EventLog.objects.filter(event=other, action="sla_escalate").count() == 1


def test_a_case_noticed_for_a_deadline_it_has_again_is_not_escalated_twice(city):
    """Moved and moved back: the mark is the other deadline's, but the notice for this one exists; the due query
    still leaves it out (no unique-constraint clash, no retries)."""
    e, _ = overdue(city, 2)
    first = e.deadline
    assert sweep.sweep_lifecycle(EVENTS, LATE)["escalated"] == 2
    Event.objects.filter(pk=e.pk).update(deadline=first + timedelta(minutes=30))
    assert sweep.sweep_lifecycle(EVENTS, LATE)["escalated"] == 1
    Event.objects.filter(pk=e.pk).update(deadline=first)
    assert sweep.sweep_lifecycle(EVENTS, LATE)["escalated"] == 0
    assert SlaNotice.objects.filter(event=e, kind="escalate").count() == 2


def test_the_data_migration_marks_the_cases_that_have_a_notice_for_their_deadline(city):
    cases = overdue(city, 4)
    assert sweep.sweep_lifecycle(EVENTS, NEAR)["reminded"] == 4
    assert sweep.sweep_lifecycle(EVENTS, LATE)["escalated"] == 4
    moved = cases[3]
    # as a deployment before the marks: notices, no marks; and one case has since got a new deadline
    Event.objects.update(sla_overdue_for=None, sla_near_due_for=None)
    Event.objects.filter(pk=moved.pk).update(deadline=LATE + timedelta(hours=1))
    migration = importlib.import_module("gridgov.events.migrations.0012_sweep_marks")
    migration.fill_marks(apps, None)
    deadline = cases[0].deadline
    marked = dict(Event.objects.values_list("pk", "sla_overdue_for"))
    assert {marked[c.pk] for c in cases[:3]} == {deadline} and marked[moved.pk] is None
    assert set(Event.objects.exclude(pk=moved.pk).values_list("sla_near_due_for", flat=True)) == {deadline}
    # the marked cases are not taken again; the moved one is due for its new deadline
    assert sweep.sweep_lifecycle(EVENTS, LATE + timedelta(hours=2))["escalated"] == 1
    assert SlaNotice.objects.filter(kind="escalate").count() == 5


def test_the_other_lifecycles_migrations_fill_their_marks(city):
    for name in ("gridgov.disputes.migrations.0012_sweep_marks", "gridgov.petitions.migrations.0009_sweep_marks"):
        importlib.import_module(name).fill_marks(apps, None)  # runs its queries (nothing to mark here)


def _plan(plan, state_now) -> str:
    order = ("warn_at", "pk") if plan.state == sla.NEAR_DUE else ("deadline", "pk")
    due = sweep._due(EVENTS, plan, state_now).order_by(*order).values_list("pk", flat=True)[:500]
    if connection.vendor != "postgresql":
        return due.explain()
    with connection.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        try:
            return due.explain()
        finally:
            cur.execute("RESET enable_seqscan")


def test_the_due_queries_are_answered_from_the_partial_indexes(city, settings):
    """The query's filter is the index's predicate written the same way, so the planner can use the index of the
    cases still to sweep (PostgreSQL: told not to scan the tiny test table, and with the statistics the sweep
    refreshes after marking — as a big run does —, so that the planner knows the marked rows; SQLite: its query
    plan, without statistics: SQLite's ANALYZE of three rows would tell it no more than a guess)."""
    if connection.vendor == "postgresql":
        settings.GRIDGOV = {**settings.GRIDGOV, "CASE_SWEEP_ANALYZE_AFTER": 1}
    overdue(city, 3)
    sweep.sweep_lifecycle(EVENTS, LATE)
    overdue_plan, near_plan = _plan(ESCALATE, LATE), _plan(REMIND, NEAR)
    assert "event_sla_overdue_todo" in overdue_plan, overdue_plan
    assert "event_sla_near_todo" in near_plan, near_plan
    if connection.vendor == "postgresql":
        assert "Seq Scan on events_event" not in overdue_plan + near_plan


def test_the_index_predicates_are_the_marks_filters():
    names = {i.name: i.condition for i in Event._meta.indexes}
    assert names["event_sla_overdue_todo"] == marks.overdue_unmarked()
    assert names["event_sla_near_todo"] == marks.near_due_unmarked()


def test_a_run_that_marked_many_cases_refreshes_the_tables_statistics_and_a_small_one_does_not(city, settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "CASE_SWEEP_ANALYZE_AFTER": 3}
    overdue(city, 2)
    with CaptureQueriesContext(connection) as ctx:
        assert sweep.sweep_lifecycle(EVENTS, LATE)["escalated"] == 2
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("ANALYZE")]
    overdue(city, 3)
    with CaptureQueriesContext(connection) as ctx:
        assert sweep.sweep_lifecycle(EVENTS, LATE)["escalated"] == 3
    assert [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("ANALYZE")] == ['ANALYZE "events_event"']


def test_a_failing_analyze_does_not_fail_the_sweep_that_has_done_its_work(city, settings, monkeypatch):
    from django.db import OperationalError

    settings.GRIDGOV = {**settings.GRIDGOV, "CASE_SWEEP_ANALYZE_AFTER": 1}
    overdue(city, 2)

    def locked(model):
        raise OperationalError("database is locked")

    monkeypatch.setattr(sweep, "refresh_statistics", locked)
    assert sweep.sweep_lifecycle(EVENTS, LATE)["escalated"] == 2
    assert SlaNotice.objects.filter(kind="escalate").count() == 2


def test_both_write_paths_set_the_mark_from_the_deadline_as_it_was_before_the_update(city):
    from django.db.models import F

    from gridgov.cases.engine import write_grouped

    cases = overdue(city, 3)
    old = cases[0].deadline
    for i, case in enumerate(cases):  # three different new deadlines: as many groups as rows, the bulk_update path
        case.deadline = old + timedelta(days=i + 1)
    write_grouped(Event, cases, ["deadline"], {marks.OVERDUE_MARK: F("deadline")})
    assert set(Event.objects.values_list(marks.OVERDUE_MARK, flat=True)) == {old}
    for case in cases:  # one new deadline for all: the grouped path
        case.deadline = old + timedelta(days=9)
    Event.objects.update(**{marks.OVERDUE_MARK: None})
    write_grouped(Event, cases, ["deadline"], {marks.OVERDUE_MARK: F("deadline")})
    assert set(Event.objects.values_list(marks.OVERDUE_MARK, flat=True)) == {old + timedelta(days=d) for d in (1, 2, 3)}
    assert set(Event.objects.values_list("deadline", flat=True)) == {old + timedelta(days=9)}

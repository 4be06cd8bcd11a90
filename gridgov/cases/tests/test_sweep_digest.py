"""The sweep at scale: one digest per audience and sweep (not a message per case), a per-run limit, exactly
once when a sweep dies mid-run or two run at once, and statements that do not grow with the cases."""

import re
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.cases import digest, sweep
from gridgov.cases.models import SweepDigest, TransitionRecord
from gridgov.core.models import Notification
from gridgov.events import services
from gridgov.events import workflow as event_workflow
from gridgov.events.models import Event, EventLog, SlaNotice
from gridgov.events.taxonomy import install_default_categories

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # a Monday of an ordinary working week
LATE = T0 + timedelta(hours=3)  # the 2 h handling deadline has passed
EVENTS = event_workflow.LIFECYCLE
WHERE = {"a": (116.005, 36.405), "b": (116.105, 36.405)}  # a grid of township A, one of township B


def overdue(city, n: int, township: str = "a") -> list[Event]:
    """``n`` dispatched events of one township whose handling deadline passes at T0 + 2 h: the first through
    the services, the others copies of it (bulk-inserted: the sweep reads only the case rows)."""
    install_default_categories()
    lng, lat = WHERE[township]
    worker, operator = (city.worker_a, city.operator_a) if township == "a" else (city.worker_b, city.operator_b)
    data = services.EventInput(category="0301", description="路面有大量垃圾未清理", lng=lng, lat=lat)
    e = services.create_event(worker, data, now=T0)[0]
    services.perform_action(operator, e, "accept", now=T0)
    services.perform_action(operator, Event.objects.get(pk=e.pk), "dispatch",
                            {"lead_department": "CG", "deadline": (T0 + timedelta(hours=2)).isoformat()}, now=T0)
    e = Event.objects.get(pk=e.pk)
    fields = [f.attname for f in Event._meta.concrete_fields if not f.primary_key]
    copies = [Event(**{**{f: getattr(e, f) for f in fields}, "number": f"{e.number}{township}{i:04d}",
                       "idempotency_key": ""}) for i in range(n - 1)]
    Event.objects.bulk_create(copies)
    return [e, *Event.objects.filter(number__startswith=f"{e.number}{township}").order_by("pk")]


def told(user, kind: str = "sla_escalate") -> list[Notification]:
    return list(Notification.objects.filter(kind=kind, recipient=user).order_by("pk"))


def digest_count(n: Notification) -> int:
    return int(re.search(r"(\d+)件", n.subject).group(1))


def escalations_per_case(events) -> set[int]:
    logs = EventLog.objects.filter(event__in=events, action="sla_escalate")
    return {logs.filter(event=e).count() for e in events}


# --- one digest per audience and sweep ----------------------------------------------------------------

def test_overdue_cases_in_two_centers_give_each_center_one_digest_not_one_message_a_case(city):
    in_a, in_b = overdue(city, 3, "a"), overdue(city, 2, "b")
    assert sweep.sweep_lifecycle(EVENTS, LATE)["escalated"] == 5
    # each case escalated and logged (the case page's timeline), each with its notice
    assert escalations_per_case(in_a + in_b) == {1}
    assert SlaNotice.objects.filter(kind="escalate").count() == 5
    # the two townships' centers: exactly one digest each, with their own cases
    a, b = told(city.operator_a), told(city.operator_b)
    assert [n.subject for n in a] == ["已超期事件3件，已升级督办"]
    assert [n.subject for n in b] == ["已超期事件2件，已升级督办"]
    assert a[0].body == "编号：" + "、".join(e.number for e in in_a)
    assert set(b[0].body.removeprefix("编号：").split("、")) == {e.number for e in in_b}
    assert a[0].link == b[0].link == "/events/?sla_state=overdue"
    # the center the cases were escalated to, and the lead department's liaison: one digest each, of all five
    assert [n.subject for n in told(city.county_operator)] == ["已超期事件5件，已升级督办"]
    assert [n.subject for n in told(city.liaison_cg)] == ["已超期事件5件，已升级督办"]
    assert Notification.objects.filter(kind="sla_escalate").count() == 4
    assert not SweepDigest.objects.exists()  # the outbox is empty once the sweep has flushed it


def test_a_digest_lists_the_first_numbers_and_counts_the_rest(city, monkeypatch):
    monkeypatch.setattr(digest, "NUMBERS", 2)
    cases = overdue(city, 5)
    sweep.sweep_lifecycle(EVENTS, LATE)
    (n,) = told(city.operator_a)
    assert n.subject == "已超期事件5件，已升级督办"
    assert n.body == f"编号：{cases[0].number}、{cases[1].number} 等，共5件"


def test_a_sweep_with_nothing_due_sends_nothing(city):
    overdue(city, 3)
    sweep.sweep_lifecycle(EVENTS, LATE)
    before = Notification.objects.count()
    assert sweep.sweep_lifecycle(EVENTS, LATE)["escalated"] == 0
    assert Notification.objects.count() == before


# --- the per-run limit ------------------------------------------------------------------------------------

def test_a_run_takes_at_most_the_limit_and_the_next_run_takes_the_rest(city, settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "CASE_SWEEP_LIMIT": 4, "CASE_SWEEP_BATCH": 3}
    cases = overdue(city, 10)
    assert [sweep.sweep_lifecycle(EVENTS, LATE)["escalated"] for _ in range(4)] == [4, 4, 2, 0]
    assert escalations_per_case(cases) == {1}
    # one digest per run that did something
    assert [digest_count(n) for n in told(city.operator_a)] == [4, 4, 2]


# --- exactly once -----------------------------------------------------------------------------------------

def test_a_sweep_killed_after_its_first_batch_and_run_again_escalates_each_case_once(city, settings, monkeypatch):
    settings.GRIDGOV = {**settings.GRIDGOV, "CASE_SWEEP_BATCH": 4}
    cases = overdue(city, 10)
    real, calls = sweep._batch, []

    def dies_after_the_first_batch(*args):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("killed")
        return real(*args)

    monkeypatch.setattr(sweep, "_batch", dies_after_the_first_batch)
    with pytest.raises(RuntimeError):
        sweep.sweep_lifecycle(EVENTS, LATE)
    # the first batch committed: its escalations stand, its digest is staged but not sent
    assert EventLog.objects.filter(action="sla_escalate").count() == 4
    assert SweepDigest.objects.exists() and not told(city.operator_a)
    monkeypatch.setattr(sweep, "_batch", real)
    assert sweep.sweep_lifecycle(EVENTS, LATE)["escalated"] == 6
    assert escalations_per_case(cases) == {1}
    assert SlaNotice.objects.filter(kind="escalate").count() == 10
    assert TransitionRecord.objects.filter(kind="event", action="sla_escalate").count() == 10
    # the rerun sends the dead run's share with its own: one digest of all ten, nothing left behind
    assert [n.subject for n in told(city.operator_a)] == ["已超期事件10件，已升级督办"]
    assert not SweepDigest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_escalate_each_case_once(city, settings):
    if connection.vendor != "postgresql":
        pytest.skip("two sweeps at once need row locks (SKIP LOCKED): PostgreSQL only; SQLite serializes writers")
    settings.GRIDGOV = {**settings.GRIDGOV, "CASE_SWEEP_BATCH": 5}
    cases = overdue(city, 40) + overdue(city, 20, "b")
    start, counts, errors = threading.Barrier(2), [], []

    def run():
        try:
            start.wait(30)
            counts.append(sweep.sweep_lifecycle(EVENTS, LATE)["escalated"])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sum(counts) == 60
    assert escalations_per_case(cases) == {1}
    assert SlaNotice.objects.filter(kind="escalate").count() == 60
    assert TransitionRecord.objects.filter(kind="event", action="sla_escalate").count() == 60
    # each sweep sent at most one digest per audience, and together they count every case once
    for user, total in ((city.operator_a, 40), (city.operator_b, 20), (city.county_operator, 60)):
        digests = told(user)
        assert 1 <= len(digests) <= 2 and sum(digest_count(n) for n in digests) == total
    assert not SweepDigest.objects.exists()


# --- statements that do not grow with the cases -----------------------------------------------------------

def test_a_sweep_of_500_cases_takes_as_many_statements_as_one_of_50(city, settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "CASE_SWEEP_BATCH": 1000}
    counts = []
    for n in (50, 500):
        overdue(city, n)
        with CaptureQueriesContext(connection) as ctx:
            assert sweep.sweep_lifecycle(EVENTS, LATE)["escalated"] == n
        counts.append(len(ctx.captured_queries))
    # the escalation runs in SQL (a SetEffect): the ids go as one parameter, nothing is cut into chunks
    assert counts[0] == counts[1], counts
    assert counts[0] < 50, counts


def test_the_due_query_can_be_answered_from_an_index_not_a_scan_of_the_cases(city):
    """A sweep with nothing to do must cost an index range scan, whatever the number of open cases. On a test
    database the planner prefers a scan of a tiny table, so it is told not to: if no index serves the query
    it still has to scan the table, and the plan says so."""
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN's plan format and enable_seqscan are PostgreSQL's")
    overdue(city, 3)
    due = sweep._due(EVENTS, EVENTS.sweeps[0], LATE).order_by("deadline", "pk").values_list("pk", flat=True)[:500]
    with connection.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        try:
            plan = due.explain()
        finally:
            cur.execute("RESET enable_seqscan")
    assert "Seq Scan on events_event" not in plan, plan
    assert "Index" in plan and "events_event" in plan, plan

"""SLA state derived at read time, and the sweep that reminds and escalates exactly once."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from gridgov.core.errors import Forbidden
from gridgov.core.models import Notification
from gridgov.events import services, sla, workflow
from gridgov.events.models import Event, SlaNotice, Status
from gridgov.events.tests.conftest import MONDAY_0900
from gridgov.worktime import calendar as workcal

T0 = MONDAY_0900


def dispatched(city, report, category="0301"):
    """道路保洁: 2 working hours, dispatched Monday 09:00 → due 11:00, 80 % at 10:36."""
    e = report(category=category)
    services.perform_action(city.operator_a, e, "accept", now=T0)
    services.perform_action(city.operator_a, Event.objects.get(pk=e.pk), "dispatch", {"lead_department": "CG"}, now=T0)
    return Event.objects.get(pk=e.pk)


def test_state_is_normal_then_near_due_then_overdue(city, report):
    e = dispatched(city, report)
    assert e.deadline == T0.replace(hour=11)
    assert e.warn_at == T0.replace(hour=10, minute=36)
    assert sla.sla_state(e, T0 + timedelta(minutes=95)) == sla.NORMAL
    assert sla.sla_state(e, T0 + timedelta(minutes=96)) == sla.NEAR_DUE
    assert sla.sla_state(e, T0 + timedelta(hours=2)) == sla.OVERDUE


def test_the_filter_agrees_with_the_python_derivation(city, report):
    e = dispatched(city, report)
    for minutes in (0, 95, 96, 119, 120, 600):
        now = T0 + timedelta(minutes=minutes)
        for state in (sla.NORMAL, sla.NEAR_DUE, sla.OVERDUE):
            in_filter = Event.objects.filter(sla.sla_q(state, now), pk=e.pk).exists()
            assert in_filter == (sla.sla_state(e, now) == state), (minutes, state)


def test_warn_at_equals_eighty_percent_of_working_time_across_lunch_and_a_weekend(city, report):
    e = dispatched(city, report, category="0302")  # 私搭乱建: 7 working days
    frac = workcal.elapsed_fraction(e.stage_started_at, e.deadline, e.warn_at, e.deadline_unit)
    assert frac == pytest.approx(0.8, abs=1e-4)
    assert sla.sla_state(e, e.warn_at - timedelta(seconds=1)) == sla.NORMAL
    assert sla.sla_state(e, e.warn_at) == sla.NEAR_DUE


def test_a_finished_case_has_no_sla_state(city, report):
    e = report()
    services.perform_action(city.operator_a, e, "reject", {"note": "不属实"}, now=T0)
    e.refresh_from_db()
    assert e.deadline is None and sla.sla_state(e, T0 + timedelta(days=30)) is None


def test_sweep_reminds_once_and_escalates_once_per_deadline(city, report):
    e = dispatched(city, report)
    assert sla.sweep(T0 + timedelta(minutes=100)) == {"reminded": 1, "escalated": 0}
    assert sla.sweep(T0 + timedelta(minutes=101)) == {"reminded": 0, "escalated": 0}
    assert sla.sweep(T0 + timedelta(hours=3)) == {"reminded": 0, "escalated": 1}
    assert sla.sweep(T0 + timedelta(hours=4)) == {"reminded": 0, "escalated": 0}
    e.refresh_from_db()
    assert e.escalated_center == city.county and e.status == Status.DISPATCHED
    assert list(e.log.filter(action__startswith="sla_").values_list("action", flat=True)) == [
        "sla_remind", "sla_escalate"]
    # the county center's operators were told
    assert Notification.objects.filter(recipient=city.county_operator, kind="sla_escalate").count() == 1


def test_a_new_deadline_gets_its_own_escalation(city, report):
    e = dispatched(city, report)
    sla.sweep(T0 + timedelta(hours=3))
    services.perform_action(city.liaison_cg, Event.objects.get(pk=e.pk), "sign", now=T0 + timedelta(hours=3))
    services.perform_action(city.liaison_cg, Event.objects.get(pk=e.pk), "request_extension",
                            {"note": "需协调", "requested_deadline": (T0 + timedelta(days=2)).isoformat()},
                            now=T0 + timedelta(hours=3))
    services.perform_action(city.operator_a, Event.objects.get(pk=e.pk), "approve_extension",
                            now=T0 + timedelta(hours=3))
    assert sla.sweep(T0 + timedelta(days=3)) == {"reminded": 0, "escalated": 1}
    assert SlaNotice.objects.filter(event=e, kind="escalate").count() == 2


def test_the_command_runs_the_sweep(city, report, capsys):
    dispatched(city, report)
    call_command("sla_sweep")  # real clock: the Monday case is long overdue
    assert "escalated=1" in capsys.readouterr().out
    call_command("sla_sweep")
    assert "escalated=0" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_escalate_each_case_exactly_once(city, report):
    events = [dispatched(city, report) for _ in range(6)]
    now = T0 + timedelta(hours=5)
    results, errors = [], []

    def run():
        try:
            results.append(sla.sweep(now))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sum(r["escalated"] for r in results) == len(events)
    for e in events:
        assert e.log.filter(action="sla_escalate").count() == 1
        assert SlaNotice.objects.filter(event=e, kind="escalate").count() == 1


def test_system_actions_are_not_offered_to_people(city, report):
    e = dispatched(city, report)
    assert "sla_escalate" not in workflow.allowed_actions(e, city.operator_a)
    with pytest.raises(Forbidden):
        workflow.check(e, "sla_escalate", city.operator_a)


def test_the_sweep_can_be_enqueued_as_a_background_task(city, report, capsys):
    e = dispatched(city, report)
    call_command("sla_sweep", "--enqueue")  # the immediate backend in tests runs it at once
    assert "enqueued sweep task" in capsys.readouterr().out
    assert e.log.filter(action="sla_escalate").count() == 1


def test_a_deadline_in_a_year_the_calendar_does_not_know_is_flagged_provisional(city, report):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from gridgov.worktime.models import CalendarYear

    late_december = datetime(2026, 12, 28, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    e = report(category="0302", now=late_december)  # 私搭乱建: 7 working days → January 2027
    services.perform_action(city.operator_a, e, "accept", now=late_december)
    services.perform_action(city.operator_a, e, "dispatch", {"lead_department": "CG"}, now=late_december)
    e.refresh_from_db()
    assert e.deadline.year == 2027 and e.deadline_provisional
    # once an administrator has entered 2027, a new deadline is no longer provisional
    CalendarYear.objects.create(year=2027)
    services.perform_action(city.liaison_cg, e, "sign", now=late_december)
    services.perform_action(city.liaison_cg, e, "feedback", {"note": "已拆除"}, now=late_december)
    services.perform_action(city.operator_a, e, "verify_fail", {"note": "未拆除干净"}, now=late_december)
    e.refresh_from_db()
    assert e.deadline.year == 2027 and not e.deadline_provisional


def test_a_three_working_day_case_dispatched_on_the_eve_of_national_day_is_due_on_the_make_up_saturday(
        city, report):
    """市政设施损坏 (0305) has 3 working days. Dispatched Wed 2026-09-30 09:00, the last workday before the
    holiday (10-01 … 10-07 off; Sat 10-10 is a 调休 workday): one working day runs to Thu 10-08 09:00,
    two to Fri 10-09 09:00, three to the make-up Saturday 10-10 09:00."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    t0 = datetime(2026, 9, 30, 9, 0, tzinfo=tz)
    e = report(category="0305", now=t0)
    services.perform_action(city.operator_a, e, "accept", {}, now=t0)
    services.perform_action(city.operator_a, Event.objects.get(pk=e.pk), "dispatch",
                            {"lead_department": "CG"}, now=t0)
    e = Event.objects.get(pk=e.pk)
    assert e.status == Status.DISPATCHED and not e.deadline_provisional
    assert e.deadline.astimezone(tz) == datetime(2026, 10, 10, 9, 0, tzinfo=tz)
    # near due once 80 % of the 3 × 7.5 working hours is used
    assert workcal.working_seconds_between(t0, e.warn_at) == int(3 * 7.5 * 3600 * 0.8)
    assert sla.sla_state(e, datetime(2026, 10, 5, 12, 0, tzinfo=tz)) == sla.NORMAL  # the holiday does not count
    assert sla.sla_state(e, e.warn_at) == sla.NEAR_DUE
    assert sla.sla_state(e, datetime(2026, 10, 10, 9, 0, tzinfo=tz)) == sla.OVERDUE


def test_a_second_claim_of_the_same_notice_is_refused_by_the_database(city, report):
    """What makes concurrent sweeps exactly-once, without relying on threads overlapping."""
    from django.db import IntegrityError, transaction

    e = report()
    SlaNotice.objects.create(event=e, kind=SlaNotice.Kind.ESCALATE, deadline=e.deadline)
    with pytest.raises(IntegrityError), transaction.atomic():
        SlaNotice.objects.create(event=e, kind=SlaNotice.Kind.ESCALATE, deadline=e.deadline)
    SlaNotice.objects.create(event=e, kind=SlaNotice.Kind.REMIND, deadline=e.deadline)
    assert SlaNotice.objects.filter(event=e).count() == 2

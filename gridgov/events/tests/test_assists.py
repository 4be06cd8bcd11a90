"""吹哨报到: assisting departments called at dispatch receive the case, report in (报到) and record their part
(协办反馈 with photos); the lead and the center see the parts and who reported in; the department statistics
count an assisting department's 报到 and 协办反馈 like the lead's 签收 and 反馈; the sweep reminds a department
that has not reported in; the API lists the calls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.models import Department, User
from gridgov.cases import sweep, tally
from gridgov.cases.engine import lifecycles
from gridgov.cases.models import DeptTally, TransitionRecord
from gridgov.core.errors import Conflict, Forbidden, ValidationFailed
from gridgov.core.models import Notification
from gridgov.events import assists, services, sla, workflow
from gridgov.events.models import Assist, Event, SlaNotice, Status
from gridgov.events.tests.conftest import MONDAY_0900
from gridgov.stats import evaluation
from gridgov.stats.queries import Node, period
from gridgov.testing import PASSWORD, image_bytes

T0 = MONDAY_0900
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


@pytest.fixture
def ga(city):
    """A third department of the county (公安) with its liaison."""
    dept = Department.objects.create(code="GA", name="区公安分局", region=city.county)
    User.objects.create_user("liaison_ga", password=PASSWORD, role=User.Role.LIAISON, department=dept,
                             full_name="公安联络员")
    return dept


def liaison(code: str) -> User:
    return User.objects.get(role=User.Role.LIAISON, department__code=code)


def act(user, event, action, now, uploads=(), **raw):
    return services.perform_action(user, Event.objects.get(pk=event.pk), action, raw, uploads=uploads, now=now)


def whistled(city, report, ga, now=T0) -> Event:
    """A 私搭乱建 case (7 working days) reported, accepted and dispatched to 城管 with 住建 and 公安 assisting."""
    e = report(now=now, category="0302")
    act(city.operator_a, e, "accept", now + MINUTE)
    act(city.operator_a, e, "dispatch", now + 2 * MINUTE, lead_department="CG", assisting_departments=["ZJ", "GA"])
    return Event.objects.get(pk=e.pk)


def photo(name="part.jpg"):
    return SimpleUploadedFile(name, image_bytes("JPEG"), content_type="image/jpeg")


def call_of(e: Event, code: str) -> Assist:
    return Assist.objects.get(event=e, department__code=code, withdrawn_at__isnull=True)


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- the calls --------------------------------------------------------------------------------

def test_dispatch_calls_each_assisting_department_with_its_own_report_deadline(city, report, ga):
    e = whistled(city, report, ga)
    calls = {a.department.code: a for a in Assist.objects.filter(event=e)}
    assert set(calls) == {"ZJ", "GA"}
    for a in calls.values():
        assert a.called_at == T0 + 2 * MINUTE
        assert a.report_deadline == assists.report_deadline(a.called_at, e.deadline)
        assert a.called_at < a.report_deadline < e.deadline
        assert a.feedback_deadline == e.deadline
        assert a.reported_in_at is None and a.feedback_at is None


def test_the_report_deadline_never_passes_the_handling_deadline(city, report, ga):
    e = report(now=T0)
    act(city.operator_a, e, "accept", T0)
    act(city.operator_a, e, "dispatch", T0, lead_department="CG", assisting_departments=["ZJ"],
        deadline=(T0 + HOUR).isoformat())
    e.refresh_from_db()
    assert call_of(e, "ZJ").report_deadline == e.deadline == T0 + HOUR


def test_each_called_liaison_reports_in_then_records_its_part_and_nobody_else_may(city, report, ga):
    e = whistled(city, report, ga)
    assert workflow.allowed_actions(e, liaison("ZJ")) == ["report_in"]
    assert workflow.allowed_actions(e, liaison("GA")) == ["report_in"]
    assert "report_in" not in workflow.allowed_actions(e, city.liaison_cg)  # the lead signs, it does not report in
    with pytest.raises(Forbidden):
        act(city.operator_a, e, "report_in", T0 + HOUR)
    with pytest.raises(Forbidden):  # the part comes after the 报到
        act(liaison("ZJ"), e, "assist_feedback", T0 + HOUR, note="已处理")
    act(liaison("ZJ"), e, "report_in", T0 + HOUR)
    assert workflow.allowed_actions(e, liaison("ZJ")) == ["assist_feedback"]
    with pytest.raises(ValidationFailed) as exc:  # the part needs a note; nothing is written
        act(liaison("ZJ"), e, "assist_feedback", T0 + HOUR)
    assert "note" in exc.value.fields and call_of(e, "ZJ").feedback_at is None
    act(liaison("ZJ"), e, "assist_feedback", T0 + 2 * HOUR, uploads=[photo()], note="已核查该处违建并下达整改通知")
    done = Assist.objects.get(event=e, department__code="ZJ")
    assert done.feedback == "已核查该处违建并下达整改通知" and done.feedback_by == liaison("ZJ")
    assert done.feedback_on_time is True and done.reported_on_time is True
    assert [a.kind for a in assists.photos(done)] == ["photo"]
    assert workflow.allowed_actions(e, liaison("ZJ")) == []  # its part is recorded
    assert Event.objects.get(pk=e.pk).status == Status.DISPATCHED  # the case's state is the lead's to move


def test_an_assisting_department_may_still_report_in_after_the_lead_fed_back(city, report, ga):
    e = whistled(city, report, ga)
    act(city.liaison_cg, e, "sign", T0 + HOUR)
    act(city.liaison_cg, e, "feedback", T0 + 2 * HOUR, note="已清理")
    act(liaison("GA"), e, "report_in", T0 + 3 * HOUR)
    act(liaison("GA"), e, "assist_feedback", T0 + 3 * HOUR, note="已配合维持秩序")
    act(city.operator_a, e, "verify_pass", T0 + 4 * HOUR)
    with pytest.raises(Conflict):  # closed: no more 报到
        act(liaison("ZJ"), e, "report_in", T0 + 5 * HOUR)
    assert call_of(e, "ZJ").reported_in_at is None


def test_a_return_withdraws_the_open_calls_and_a_new_dispatch_calls_afresh(city, report, ga):
    e = whistled(city, report, ga)
    act(liaison("ZJ"), e, "report_in", T0 + HOUR)
    act(liaison("ZJ"), e, "assist_feedback", T0 + HOUR, note="已配合")
    act(city.liaison_cg, e, "return", T0 + 2 * HOUR, note="应由住建主办")
    assert not workflow.allowed_actions(Event.objects.get(pk=e.pk), liaison("GA"))
    ga_call = Assist.objects.get(event=e, department__code="GA")
    assert ga_call.withdrawn_at == T0 + 2 * HOUR
    assert Assist.objects.get(event=e, department__code="ZJ").withdrawn_at is None  # its recorded part stays
    act(city.operator_a, e, "dispatch", T0 + 3 * HOUR, lead_department="ZJ", assisting_departments=["GA", "CG"])
    assert Assist.objects.filter(event=e, withdrawn_at__isnull=True, feedback_at__isnull=True).count() == 2
    assert workflow.allowed_actions(Event.objects.get(pk=e.pk), liaison("GA")) == ["report_in"]


# --- the statistics ---------------------------------------------------------------------------

def dept_sum(code: str) -> dict:
    row = DeptTally.objects.filter(kind="event", department__code=code).aggregate(
        **{m: Sum(m) for m in ("received", "signed", "signed_on_time", "handled", "handled_on_time")})
    return {k: v or 0 for k, v in row.items()}


def test_an_assisting_departments_late_and_on_time_report_in_counts_in_its_department_tally(city, report, ga):
    e = whistled(city, report, ga)
    zj_due = call_of(e, "ZJ").report_deadline
    act(liaison("ZJ"), e, "report_in", zj_due - MINUTE)                      # on time
    act(liaison("GA"), e, "report_in", zj_due + MINUTE)                      # late
    act(liaison("ZJ"), e, "assist_feedback", zj_due, note="已配合整改")      # within the handling deadline
    records = {r.action + r.department.code: r for r in TransitionRecord.objects.filter(
        kind="event", case_id=e.pk, action__in=("report_in", "assist_feedback"))}
    assert records["report_inZJ"].on_time is True and records["report_inZJ"].flows == "signed,signed_on_time"
    assert records["report_inGA"].on_time is False and records["report_inGA"].flows == "signed"
    assert records["assist_feedbackZJ"].flows == "handled,handled_on_time"
    assert Assist.objects.get(event=e, department__code="GA").reported_on_time is False
    assert dept_sum("ZJ") == {"received": 0, "signed": 1, "signed_on_time": 1, "handled": 1, "handled_on_time": 1}
    assert dept_sum("GA") == {"received": 0, "signed": 1, "signed_on_time": 0, "handled": 0, "handled_on_time": 0}
    assert dept_sum("CG")["received"] == 1 and dept_sum("CG")["signed"] == 0  # the lead's own measures
    stored, expected = tally.stored(), tally.expected(tally.recompute(lifecycles()))
    assert stored == expected


def test_the_department_ranking_shows_the_assisting_departments_report_in(city, report, ga):
    e = whistled(city, report, ga)
    due = call_of(e, "ZJ").report_deadline
    act(liaison("ZJ"), e, "report_in", due - MINUTE)
    act(liaison("GA"), e, "report_in", due + MINUTE)
    rows = {r["code"]: r for r in evaluation.rank_departments(Node("371502", "东昌府区", 3), period("month", "2026-11"))}
    zj, ga_row = rows["ZJ"]["components"]["sign_rate"], rows["GA"]["components"]["sign_rate"]
    assert (zj["numerator"], zj["denominator"], zj["value"]) == (1, 1, 1.0)
    assert (ga_row["numerator"], ga_row["denominator"], ga_row["value"]) == (0, 1, 0.0)
    assert rows["ZJ"]["rank"] < rows["GA"]["rank"]


def test_the_rollups_equal_a_recomputation_through_calls_returns_and_reopen(city, report, ga):
    e = whistled(city, report, ga)
    act(liaison("ZJ"), e, "report_in", T0 + HOUR)
    act(city.liaison_cg, e, "return", T0 + 2 * HOUR, note="退回")
    act(city.operator_a, e, "dispatch", T0 + 3 * HOUR, lead_department="CG", assisting_departments=["ZJ"])
    act(liaison("ZJ"), e, "report_in", T0 + 9 * HOUR)
    act(city.liaison_cg, e, "sign", T0 + 9 * HOUR)
    act(liaison("ZJ"), e, "assist_feedback", T0 + 10 * HOUR, note="已配合")
    act(city.liaison_cg, e, "feedback", T0 + 10 * HOUR, note="已完成")
    act(city.operator_a, e, "verify_pass", T0 + 11 * HOUR)
    assert tally.stored() == tally.expected(tally.recompute(lifecycles()))
    assert dept_sum("ZJ")["signed"] == 2 and dept_sum("ZJ")["handled"] == 1


# --- the sweep --------------------------------------------------------------------------------

def test_the_sweep_reminds_a_department_that_has_not_reported_in_once(city, report, ga):
    e = whistled(city, report, ga)
    due = call_of(e, "ZJ").report_deadline
    act(liaison("GA"), e, "report_in", due - MINUTE)
    assert sla.sweep(now=due - MINUTE) == {"reminded": 0, "escalated": 0}
    assert not SlaNotice.objects.filter(event=e, kind=assists.NOTICE_KIND).exists()
    assert sweep.sweep_lifecycle(workflow.LIFECYCLE, now=due + MINUTE)["assists_reminded"] == 1
    log = e.log.get(action="assist_remind")
    assert log.data == {"late_departments": "区住建局"}
    told = set(Notification.objects.filter(kind="assist_remind").values_list("recipient__username", flat=True))
    assert "liaison_zj" in told and "liaison_ga" not in told and city.operator_a.username in told
    again = sweep.sweep_lifecycle(workflow.LIFECYCLE, now=due + 2 * HOUR)
    assert again["assists_reminded"] == 0 and e.log.filter(action="assist_remind").count() == 1
    assert tally.stored() == tally.expected(tally.recompute(lifecycles()))


def test_a_new_call_after_a_return_gets_its_own_reminder(city, report, ga):
    e = whistled(city, report, ga)
    first = call_of(e, "ZJ").report_deadline
    assert sweep.sweep_lifecycle(workflow.LIFECYCLE, now=first + MINUTE)["assists_reminded"] == 1
    act(city.liaison_cg, e, "return", first + HOUR, note="退回")
    act(city.operator_a, e, "dispatch", first + 2 * HOUR, lead_department="CG", assisting_departments=["ZJ"])
    second = call_of(e, "ZJ").report_deadline
    assert second > first + 2 * HOUR
    assert sweep.sweep_lifecycle(workflow.LIFECYCLE, now=second - MINUTE)["assists_reminded"] == 0
    assert sweep.sweep_lifecycle(workflow.LIFECYCLE, now=second + MINUTE)["assists_reminded"] == 1
    assert list(SlaNotice.objects.filter(event=e, kind=assists.NOTICE_KIND).order_by("deadline")
                .values_list("deadline", flat=True)) == [first, second]


# --- pages ------------------------------------------------------------------------------------

def test_each_assisting_liaison_finds_the_case_in_the_inbox_and_the_lead_sees_their_parts(city, report, ga):
    e = whistled(city, report, ga, now=timezone.now() - HOUR)  # the pages act now
    for code in ("ZJ", "GA"):
        body = as_user(liaison(code)).get(reverse("events:inbox")).content.decode()
        assert e.number in body and "报到时限" in body
    c = as_user(liaison("ZJ"))
    r = c.post(reverse("events:act", args=[e.number, "report_in"]))
    assert r.status_code == 302
    r = c.post(reverse("events:act", args=[e.number, "assist_feedback"]), {"note": ""})
    assert r.status_code == 400 and "此操作需要填写说明" in r.content.decode()
    r = c.post(reverse("events:act", args=[e.number, "assist_feedback"]),
               {"note": "已对违建下达整改通知", "attachments": [photo()]})
    assert r.status_code == 302
    lead = as_user(city.liaison_cg).get(reverse("events:detail", args=[e.number])).content.decode()
    assert "吹哨报到" in lead and "已对违建下达整改通知" in lead and "已协办反馈" in lead
    att = Assist.objects.get(event=e, department__code="ZJ").feedback_log.attachments.get()
    assert att.url in lead
    assert "待报到" in lead  # 公安 has not reported in yet


def test_the_center_sees_who_reported_in_and_who_is_overdue(city, report, ga):
    e = whistled(city, report, ga)
    due = call_of(e, "ZJ").report_deadline
    act(liaison("ZJ"), e, "report_in", due - MINUTE)
    context = assists.panel(Event.objects.get(pk=e.pk), now=due + MINUTE)
    states = {row["call"].department.code: row["state"] for row in context}
    assert states == {"ZJ": "reported", "GA": "late"}
    body = as_user(city.operator_a).get(reverse("events:detail", args=[e.number])).content.decode()
    assert "区住建局" in body and "区公安分局" in body and "按时" in body


# --- the API ----------------------------------------------------------------------------------

def test_the_api_lists_the_calls_and_takes_report_in_and_the_part(city, report, ga, api):
    e = whistled(city, report, ga)
    status, body = api("get", f"/events/{e.number}", user=liaison("GA"))
    assert status == 200 and body["allowed_actions"] == ["report_in"]
    assert {a["department"] for a in body["assists"]} == {"ZJ", "GA"}
    assert {a["state"] for a in body["assists"]} <= {"called", "late"}  # which one depends on today's date
    status, body = api("post", f"/events/{e.number}/actions/report_in", user=liaison("GA"), body={})
    assert status == 200 and body["allowed_actions"] == ["assist_feedback"]
    ga_row = next(a for a in body["assists"] if a["department"] == "GA")
    assert ga_row["reported_in_at"] is not None and ga_row["reported_in_by"] == "公安联络员"
    status, err = api("post", f"/events/{e.number}/actions/assist_feedback", user=liaison("GA"), body={"note": ""})
    assert status == 422 and "note" in err["fields"]
    status, body = api("post", f"/events/{e.number}/actions/assist_feedback", user=liaison("GA"),
                       body={"note": "已配合维持秩序"})
    assert status == 200
    ga_row = next(a for a in body["assists"] if a["department"] == "GA")
    assert ga_row["state"] == "done" and ga_row["feedback"] == "已配合维持秩序"
    status, _ = api("post", f"/events/{e.number}/actions/report_in", user=city.liaison_cg, body={})
    assert status == 403


def test_a_department_not_called_cannot_see_or_act_through_the_api(city, report, ga, api):
    e = report(now=T0)
    act(city.operator_a, e, "accept", T0)
    act(city.operator_a, e, "dispatch", T0, lead_department="CG")
    status, _ = api("post", f"/events/{e.number}/actions/report_in", user=liaison("GA"), body={})
    assert status == 404


def test_the_admin_shows_the_calls_read_only(city, report, ga):
    e = whistled(city, report, ga)
    act(liaison("ZJ"), e, "report_in", T0 + HOUR)
    body = as_user(city.admin).get(f"/admin/events/event/{e.pk}/change/").content.decode()
    assert "区住建局" in body and "区公安分局" in body and 'name="assists-0-department"' not in body


def test_the_upgrade_calls_the_assisting_departments_of_cases_being_worked_on(city, report, ga):
    """Migration 0009_assists: a base from before has assisting departments and maybe a 报到(协办) with a note."""
    import importlib

    from django.apps import apps

    from gridgov.events.models import EventLog

    migration = importlib.import_module("gridgov.events.migrations.0009_assists")
    e = whistled(city, report, ga)
    closed = whistled(city, report, ga)
    act(city.liaison_cg, closed, "sign", T0 + HOUR)
    act(city.liaison_cg, closed, "feedback", T0 + HOUR, note="已完成")
    act(city.operator_a, closed, "verify_pass", T0 + HOUR)
    Assist.objects.all().delete()  # as before the upgrade
    EventLog.objects.create(event=e, actor=liaison("ZJ"), actor_label="住建联络员", action="report_in",
                            from_status="dispatched", to_status="dispatched", note="已到场认定违建",
                            created_at=T0 + HOUR)
    migration.call_open_assists(apps, None)
    rows = {a.department.code: a for a in Assist.objects.filter(event=e)}
    assert set(rows) == {"ZJ", "GA"} and not Assist.objects.filter(event=closed).exists()
    zj, ga_call = rows["ZJ"], rows["GA"]
    assert zj.called_at == T0 + 2 * MINUTE and zj.report_deadline == e.deadline
    assert zj.reported_in_at == zj.feedback_at == T0 + HOUR and zj.feedback == "已到场认定违建"
    assert zj.reported_on_time is True and zj.reported_in_by == liaison("ZJ")
    assert ga_call.reported_in_at is None and ga_call.is_open
    assert workflow.allowed_actions(Event.objects.get(pk=e.pk), liaison("GA")) == ["report_in"]

"""The transition table: every allowed and forbidden transition, who may, and what each leaves behind."""

from datetime import timedelta

import pytest

from gridgov.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gridgov.events import services, workflow
from gridgov.events.models import OPEN_STATUSES, Event, EventLog, Status
from gridgov.events.tests.conftest import MONDAY_0900
from gridgov.events.workflow import TRANSITIONS, Citizen
from gridgov.testing import image_bytes

T0 = MONDAY_0900


def act(user, event, action, now=None, **raw):
    return services.perform_action(user, Event.objects.get(pk=event.pk), action, raw, now=now or T0)


def drive(city, event, target: str) -> Event:
    """Move a fresh event along the main path until it reaches ``target``."""
    path = [
        (Status.ACCEPTED, city.operator_a, "accept", {}),
        (Status.DISPATCHED, city.operator_a, "dispatch", {"lead_department": "CG"}),
        (Status.HANDLING, city.liaison_cg, "sign", {}),
        (Status.HANDLED, city.liaison_cg, "feedback", {"note": "已清理完毕"}),
        (Status.CLOSED, city.operator_a, "verify_pass", {}),
    ]
    if target == Status.REPORTED:
        return event
    if target == Status.REJECTED:
        act(city.operator_a, event, "reject", note="重复上报")
        return Event.objects.get(pk=event.pk)
    order = [Status.REPORTED] + [state for state, *_ in path]
    current = Event.objects.get(pk=event.pk).status
    for state, user, action, raw in path[order.index(current):]:
        act(user, event, action, **raw)
        if state == target:
            break
    return Event.objects.get(pk=event.pk)


def test_the_whole_loop_from_report_to_rating(city, report):
    e = report()
    assert e.status == Status.REPORTED and e.number.startswith("SJ20261123")
    assert e.grid == city.grid_a1 and e.center == city.township_a
    e = drive(city, e, Status.CLOSED)
    act(city.worker_a, e, "rate", rating="satisfied")
    e.refresh_from_db()
    assert e.status == Status.CLOSED and e.rating == "satisfied" and e.closed_at is not None
    assert list(e.log.values_list("action", flat=True)) == [
        "report", "accept", "dispatch", "sign", "feedback", "verify_pass", "rate"]
    assert [(x.from_status, x.to_status) for x in e.log.all()][:3] == [
        ("", "reported"), ("reported", "accepted"), ("accepted", "dispatched")]


STATES_REACHABLE = [Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.HANDLING, Status.HANDLED,
                    Status.CLOSED, Status.REJECTED]
FORBIDDEN_BY_STATE = [(s, a) for s in STATES_REACHABLE for a in sorted(workflow.HUMAN_ACTIONS)
                      if s not in TRANSITIONS[a].sources]


@pytest.mark.parametrize("state,action", FORBIDDEN_BY_STATE)
def test_an_action_outside_its_source_states_is_a_conflict(city, report, state, action):
    e = drive(city, report(), state)
    for user in (city.operator_a, city.liaison_cg, city.worker_a, city.leader_a):
        with pytest.raises(Conflict):
            workflow.check(e, action, user)


ALLOWED = [
    # (state, action, who, raw, next state)
    (Status.REPORTED, "accept", "operator_a", {}, Status.ACCEPTED),
    (Status.REPORTED, "reject", "operator_a", {"note": "不属于受理范围"}, Status.REJECTED),
    (Status.REPORTED, "escalate", "operator_a", {"note": "需区级协调"}, Status.ACCEPTED),
    (Status.ACCEPTED, "escalate", "operator_a", {"note": "需区级协调"}, Status.ACCEPTED),
    (Status.ACCEPTED, "dispatch", "operator_a", {"lead_department": "CG"}, Status.DISPATCHED),
    (Status.DISPATCHED, "sign", "liaison_cg", {}, Status.HANDLING),
    (Status.DISPATCHED, "return", "liaison_cg", {"note": "不属于本部门职责"}, Status.ACCEPTED),
    (Status.HANDLING, "return", "liaison_cg", {"note": "不属于本部门职责"}, Status.ACCEPTED),
    (Status.HANDLING, "feedback", "liaison_cg", {"note": "已处理"}, Status.HANDLED),
    (Status.HANDLED, "verify_pass", "operator_a", {}, Status.CLOSED),
    (Status.HANDLED, "verify_fail", "operator_a", {"note": "现场仍有垃圾"}, Status.DISPATCHED),
    (Status.CLOSED, "rate", "worker_a", {"rating": "basically"}, Status.CLOSED),
    (Status.HANDLING, "supervise", "leader_a", {"level": "yellow"}, Status.HANDLING),
    (Status.REPORTED, "supervise", "county_operator", {"level": "red"}, Status.REPORTED),
    (Status.HANDLING, "request_extension", "liaison_cg",
     {"note": "需采购材料", "requested_deadline": (T0 + timedelta(days=30)).isoformat()}, Status.HANDLING),
    (Status.REPORTED, "supplement", "worker_a", {"note": "又有居民反映"}, Status.REPORTED),
]


@pytest.mark.parametrize("state,action,who,raw,after", ALLOWED)
def test_allowed_transition_moves_to_the_table_state_and_logs_it(city, report, state, action, who, raw, after):
    e = drive(city, report(), state)
    n = e.log.count()
    act(getattr(city, who), e, action, **raw)
    e.refresh_from_db()
    assert e.status == after
    last = e.log.last()
    assert e.log.count() == n + 1
    assert (last.action, last.from_status, last.to_status) == (action, state, after)
    assert last.actor == getattr(city, who)


@pytest.mark.parametrize("state,action,who,raw,after", ALLOWED)
def test_others_may_not_take_the_action(city, report, state, action, who, raw, after):
    e = drive(city, report(), state)
    t = TRANSITIONS[action]
    outsiders = [u for u in (city.operator_b, city.liaison_zj, city.worker_b, city.leader_county, city.operator_a,
                             city.liaison_cg, city.worker_a, city.leader_a, city.county_operator, city.admin)
                 if not t.who(u, e)]
    assert getattr(city, who) not in outsiders
    assert city.operator_b in outsiders and city.worker_b in outsiders
    for user in outsiders:
        with pytest.raises(Forbidden):
            workflow.check(e, action, user)


def test_an_operator_of_another_township_cannot_find_the_event(city, report):
    e = report()
    with pytest.raises(NotFound):
        services.get_visible(city.operator_b, e.number)
    assert services.get_visible(city.county_operator, e.number) == e


def test_verify_fail_counts_rework_and_sets_a_new_deadline(city, report):
    e = drive(city, report(), Status.HANDLED)
    later = T0 + timedelta(hours=3)
    act(city.operator_a, e, "verify_fail", now=later, note="未清理干净")
    e.refresh_from_db()
    assert e.status == Status.DISPATCHED and e.rework_count == 1
    assert e.stage_started_at == later and e.deadline > later


def test_a_returned_case_goes_back_to_the_center_without_a_department(city, report):
    e = drive(city, report(), Status.DISPATCHED)
    act(city.liaison_cg, e, "return", note="应由住建处理")
    e.refresh_from_db()
    assert e.status == Status.ACCEPTED and e.lead_department is None and e.return_count == 1
    # the liaison keeps read access to what was once theirs
    assert services.get_visible(city.liaison_cg, e.number) == e


def test_dispatch_with_assisting_departments_summons_them(city, report):
    e = drive(city, report(), Status.ACCEPTED)
    act(city.operator_a, e, "dispatch", lead_department="CG", assisting_departments=["ZJ"])
    e.refresh_from_db()
    assert list(e.assisting_departments.values_list("code", flat=True)) == ["ZJ"]
    assert services.get_visible(city.liaison_zj, e.number) == e
    assert workflow.allowed_actions(e, city.liaison_zj) == ["report_in"]
    act(city.liaison_zj, e, "report_in", note="已到场配合")
    with pytest.raises(Forbidden):
        workflow.check(e, "sign", city.liaison_zj)


def test_extension_approved_moves_the_deadline_and_denied_keeps_it(city, report):
    e = drive(city, report(), Status.HANDLING)
    old = e.deadline
    wanted = (old + timedelta(days=7)).replace(microsecond=0)
    act(city.liaison_cg, e, "request_extension", note="需采购材料", requested_deadline=wanted.isoformat())
    with pytest.raises(Conflict):  # one pending request at a time
        act(city.liaison_cg, e, "request_extension", note="再次申请", requested_deadline=wanted.isoformat())
    act(city.operator_a, e, "approve_extension")
    e.refresh_from_db()
    assert e.deadline == wanted
    act(city.liaison_cg, e, "request_extension", note="再延", requested_deadline=(wanted + timedelta(days=1)).isoformat())
    act(city.operator_a, e, "deny_extension", note="不予延期")
    e.refresh_from_db()
    assert e.deadline == wanted
    with pytest.raises(Conflict):
        act(city.operator_a, e, "approve_extension")


def test_extension_to_an_earlier_time_is_rejected_with_a_field_error(city, report):
    e = drive(city, report(), Status.HANDLING)
    with pytest.raises(ValidationFailed) as err:
        act(city.liaison_cg, e, "request_extension", note="x",
            requested_deadline=(e.deadline - timedelta(minutes=1)).isoformat())
    assert "requested_deadline" in err.value.fields


def test_escalation_climbs_township_county_city_and_stops_there(city, report):
    e = report()
    act(city.operator_a, e, "escalate", note="需区级协调")
    e.refresh_from_db()
    assert e.center == city.county and e.escalation_count == 1
    with pytest.raises(Forbidden):  # the township no longer owns it
        workflow.check(e, "dispatch", city.operator_a)
    act(city.county_operator, e, "escalate", note="需市级协调")
    e.refresh_from_db()
    assert e.center == city.city
    with pytest.raises(Conflict):
        workflow.check(e, "escalate", city.city_operator)
    act(city.city_operator, e, "dispatch", lead_department="ZJ")


def test_reopen_only_after_unsatisfied_and_only_once(city, report):
    e = drive(city, report(), Status.CLOSED)
    with pytest.raises(Conflict):
        workflow.check(e, "reopen", city.operator_a)  # not rated yet
    act(city.worker_a, e, "rate", rating="unsatisfied", note="没有彻底解决")
    with pytest.raises(Conflict):
        act(city.worker_a, e, "rate", rating="satisfied")  # rated once
    act(city.operator_a, e, "reopen", note="群众不满意，重新办理")
    e.refresh_from_db()
    assert e.status == Status.ACCEPTED and e.reopen_count == 1 and e.rating == ""
    assert e.log.last().data["previous_rating"] == "unsatisfied"
    e = drive(city, e, Status.CLOSED)
    act(city.worker_a, e, "rate", rating="unsatisfied", note="还是不行")  # the redone work is rated again
    e.refresh_from_db()
    assert e.rating == "unsatisfied"
    with pytest.raises(Conflict):
        workflow.check(e, "reopen", city.operator_a)  # only once


def test_supervision_flags_without_changing_state(city, report):
    e = drive(city, report(), Status.HANDLING)
    act(city.leader_county, e, "supervise", level="red", note="限期办结")
    e.refresh_from_db()
    assert e.status == Status.HANDLING and e.supervision == "red"
    with pytest.raises(ValidationFailed):
        act(city.leader_county, e, "supervise", level="purple")


def test_merge_links_both_cases_and_the_merged_reporter_follows_the_original(city, report):
    original = report(actor=city.operator_a, source="hotline")
    dup = report()  # worker A reports the same thing
    act(city.operator_a, dup, "merge", target=original.number)
    dup.refresh_from_db()
    assert dup.status == Status.MERGED and dup.merged_into == original
    assert list(original.merged_events.all()) == [dup]
    assert dup.deadline is None
    # worker A follows the original (they see it because their report was merged into it)
    assert services.get_visible(city.worker_a, original.number) == original
    with pytest.raises(ValidationFailed):
        act(city.operator_a, original, "merge", target=original.number)


def test_on_the_spot_resolution_goes_straight_to_verification(city, cats, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("p.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    e, _ = services.create_event(city.worker_a, services.EventInput(
        category="0301", description="路边有垃圾袋，已当场清理", lng=116.005, lat=36.405, resolve_on_spot=True,
        on_spot_result="已清理", attachments=[photo]), now=T0)
    assert e.status == Status.HANDLED and e.resolved_on_spot
    assert list(e.log.values_list("action", flat=True)) == ["report", "resolve_on_spot"]
    assert e.attachments.count() == 1


def test_an_on_the_spot_case_that_fails_verification_is_dispatched_not_reworked(city, cats):
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("p.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    e, _ = services.create_event(city.worker_a, services.EventInput(
        category="0301", description="路边有垃圾袋，已当场清理", lng=116.005, lat=36.405, resolve_on_spot=True,
        on_spot_result="已清理", attachments=[photo]), now=T0)
    with pytest.raises(Conflict):
        workflow.check(e, "verify_fail", city.operator_a)
    assert "dispatch" in workflow.allowed_actions(e, city.operator_a)
    act(city.operator_a, e, "dispatch", lead_department="CG")
    e.refresh_from_db()
    assert e.status == Status.DISPATCHED and e.lead_department == city.dept_cg and e.result == ""
    # once a department handled it, a failed verification is rework again, not a new dispatch
    act(city.liaison_cg, e, "sign")
    act(city.liaison_cg, e, "feedback", note="已彻底清理")
    e.refresh_from_db()
    with pytest.raises(Conflict):
        workflow.check(e, "dispatch", city.operator_a)
    act(city.operator_a, e, "verify_fail", note="仍未清理")


def test_on_the_spot_needs_evidence(city, cats):
    with pytest.raises(ValidationFailed) as err:
        services.create_event(city.worker_a, services.EventInput(
            category="0301", description="路边有垃圾袋，已当场清理", lng=116.005, lat=36.405,
            resolve_on_spot=True, on_spot_result="已清理"), now=T0)
    assert "attachments" in err.value.fields
    assert Event.objects.count() == 0


def test_a_citizen_rates_only_their_own_case(city, cats):
    e, _ = services.create_event(Citizen("13800001234"), services.EventInput(
        category="0301", description="小区门口垃圾堆积", lng=116.005, lat=36.405, reporter_phone="13800001234"), now=T0)
    e = drive(city, e, Status.CLOSED)
    with pytest.raises(Forbidden):
        workflow.check(e, "rate", Citizen("13900005678"))
    act(Citizen("13800001234"), e, "rate", rating="satisfied")
    assert e.log.last().actor_label == "群众 138****1234"


def test_the_log_is_append_only(city, report):
    e = report()
    entry = e.log.first()
    entry.note = "改写"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        EventLog.objects.filter(event=e).update(note="x")
    with pytest.raises(PermissionError):
        EventLog.objects.filter(event=e).delete()


def test_every_open_status_is_a_source_of_supervision():
    assert set(TRANSITIONS["supervise"].sources) == set(OPEN_STATUSES)


def test_actions_that_need_a_reason_refuse_an_empty_one(city, report):
    e = report()
    with pytest.raises(ValidationFailed) as err:
        act(city.operator_a, e, "reject", note="  ")
    assert "note" in err.value.fields
    e.refresh_from_db()
    assert e.status == Status.REPORTED and e.log.count() == 1


def test_dispatch_only_to_a_department_that_serves_the_place(city, report):
    from gridgov.accounts.models import Department

    elsewhere = Department.objects.create(code="QT", name="其他区城管局", region=city.township_b)
    e = drive(city, report(), Status.ACCEPTED)
    with pytest.raises(ValidationFailed) as err:
        act(city.operator_a, e, "dispatch", lead_department=elsewhere.code)
    assert "lead_department" in err.value.fields
    with pytest.raises(ValidationFailed):
        act(city.operator_a, e, "dispatch", lead_department="CG", assisting_departments=["QT"])
    e.refresh_from_db()
    assert e.status == Status.ACCEPTED and e.lead_department is None

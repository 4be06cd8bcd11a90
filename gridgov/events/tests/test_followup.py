"""跟踪回访 and 不满意: the 回访 after close (who may, what it records, who was asked), how its satisfaction
counts (the reporter's rating first, else the 回访 that counts by rank — rollups, the worklist's measures and a
department's figures alike), the alert on a 不满意 and the 不满意待处理 list that a reopen or an explanation
empties; the worklist's 评价 filter; the page and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from gridgov.cases import tally
from gridgov.cases.engine import lifecycles
from gridgov.cases.models import DeptTally
from gridgov.core.errors import Conflict, Forbidden, ValidationFailed
from gridgov.core.models import Notification
from gridgov.events import counted, followup, services, workflow
from gridgov.events.models import Event, FollowUp, Status
from gridgov.events.tests.conftest import MONDAY_0900
from gridgov.events.workflow import LIFECYCLE, Citizen

T0 = MONDAY_0900
PHONE = "13800001234"
ASKED_REPORTER = {"method": "phone", "respondent": "reporter", "satisfaction": "satisfied", "note": "已清理干净"}
ASKED_NEIGHBOUR = {"method": "visit", "respondent": "other", "respondent_name": "李大妈",
                   "relationship": "受影响的住户", "satisfaction": "unsatisfied", "note": "垃圾又堆起来了"}


def act(user, event, action, now=None, **raw):
    return services.perform_action(user, Event.objects.get(pk=event.pk), action, raw, now=now or T0)


def close(city, e, now=T0):
    if Event.objects.get(pk=e.pk).status == Status.REPORTED:
        act(city.operator_a, e, "accept", now)
    act(city.operator_a, e, "dispatch", now, lead_department="CG")
    act(city.liaison_cg, e, "sign", now)
    act(city.liaison_cg, e, "feedback", now, note="已处理")
    act(city.operator_a, e, "verify_pass", now)
    return Event.objects.get(pk=e.pk)


@pytest.fixture
def closed(city, report):
    """A grid worker's report (grid A1), handled by 城管 and closed."""
    return close(city, report())


@pytest.fixture
def citizen_closed(city, report):
    return close(city, report(actor=Citizen(PHONE), reporter_phone=PHONE, category="0302"))


def assert_rollups_right():
    stored, expected = tally.stored(), tally.expected(tally.recompute(lifecycles()))
    for table in ("tally", "mix", "dept", "open"):
        assert stored[table] == expected[table], table


def counts(e: Event) -> dict:
    return LIFECYCLE.tally_counts(Event.objects.get(pk=e.pk))


def listed(user, **filters) -> list[str]:
    return list(services.filtered_events(user, **filters).values_list("number", flat=True))


# --- who, when, what ---------------------------------------------------------------------------

def test_the_center_records_a_follow_up_that_keeps_the_case_closed(city, closed):
    entry = act(city.operator_a, closed, "follow_up", T0 + timedelta(hours=1), **ASKED_REPORTER)
    e = Event.objects.get(pk=closed.pk)
    assert e.status == Status.CLOSED and entry.from_status == entry.to_status == Status.CLOSED
    f = FollowUp.objects.get(event=e)
    assert (f.method, f.respondent, f.satisfaction, f.result, f.by) == (
        "phone", "reporter", "satisfied", "已清理干净", city.operator_a)
    assert f.respondent_name == city.worker_a.display_name  # the reporter, when no other name is given
    assert entry.data["satisfaction"] == "satisfied" and entry.note == "已清理干净"


def test_a_grid_worker_reports_and_the_affected_neighbour_is_asked(city, closed):
    """The reporter is not always the person the problem touched: the 回访 records who was asked."""
    act(city.worker_a, closed, "follow_up", **{**ASKED_NEIGHBOUR, "satisfaction": "basically"})
    f = FollowUp.objects.get(event=closed)
    assert (f.respondent, f.respondent_name, f.relationship, f.by) == ("other", "李大妈", "受影响的住户", city.worker_a)
    e = Event.objects.get(pk=closed.pk)
    assert e.rating == "" and followup.effective_rating(e) == "basically"  # the case now has a rating


@pytest.mark.parametrize("who", ["worker_b", "liaison_cg", "operator_b", "leader_a"])
def test_only_the_center_and_the_grids_workers_may_follow_up(city, closed, who):
    with pytest.raises(Forbidden):
        act(getattr(city, who), closed, "follow_up", **ASKED_REPORTER)
    assert not FollowUp.objects.exists()


def test_an_open_case_gets_no_follow_up(city, report):
    e = report()
    with pytest.raises(Conflict):
        act(city.operator_a, e, "follow_up", **ASKED_REPORTER)


@pytest.mark.parametrize("raw, fields", [
    ({}, {"method", "respondent", "satisfaction"}),
    ({**ASKED_REPORTER, "method": "fax"}, {"method"}),
    ({**ASKED_REPORTER, "satisfaction": "so-so"}, {"satisfaction"}),
    ({**ASKED_NEIGHBOUR, "respondent_name": "", "relationship": ""}, {"respondent_name", "relationship"}),
    ({**ASKED_REPORTER, "respondent_name": "名" * 51}, {"respondent_name"}),
])
def test_a_bad_follow_up_names_its_fields_and_changes_nothing(city, closed, raw, fields):
    with pytest.raises(ValidationFailed) as exc:
        act(city.operator_a, closed, "follow_up", **raw)
    assert set(exc.value.fields) == fields
    e = Event.objects.get(pk=closed.pk)
    assert not FollowUp.objects.exists() and e.followup_rating == "" and not e.log.filter(action="follow_up").exists()


def test_a_follow_up_needs_the_result_heard(city, closed):
    with pytest.raises(ValidationFailed) as exc:
        act(city.operator_a, closed, "follow_up", **{**ASKED_REPORTER, "note": " "})
    assert "note" in exc.value.fields


# --- how it counts -----------------------------------------------------------------------------

def test_a_follow_up_counts_as_the_rating_until_the_reporter_rates(city, citizen_closed):
    e = citizen_closed
    assert (counts(e)["rated"], counts(e)["satisfied"]) == (0, 0)
    act(city.operator_a, e, "follow_up", **ASKED_REPORTER)
    assert (counts(e)["rated"], counts(e)["satisfied"]) == (1, 1)
    assert listed(city.operator_a, measure="satisfied") == [e.number]
    act(Citizen(PHONE), e, "rate", rating="unsatisfied")  # the reporter's own word wins
    assert (counts(e)["rated"], counts(e)["satisfied"]) == (1, 0)
    assert listed(city.operator_a, measure="satisfied") == [] and listed(city.operator_a, measure="rated") == [e.number]
    assert_rollups_right()


def test_a_later_follow_up_of_equal_rank_replaces_an_earlier_one_but_not_the_reporters_rating(city, closed):
    act(city.operator_a, closed, "follow_up", **{**ASKED_REPORTER, "satisfaction": "basically"})
    act(city.worker_a, closed, "follow_up", **ASKED_REPORTER)
    assert Event.objects.get(pk=closed.pk).followup_rating == "satisfied"
    act(city.worker_a, closed, "rate", rating="basically")
    act(city.operator_a, closed, "follow_up", **{**ASKED_REPORTER, "satisfaction": "unsatisfied"})
    e = Event.objects.get(pk=closed.pk)
    assert followup.effective_rating(e) == "basically" and counts(e)["satisfied"] == 1
    assert not e.dissatisfaction_pending
    assert_rollups_right()


def test_a_department_counts_one_rating_per_closure(city, closed):
    """回访 first, then the reporter: the department's 已评价 counts the case once."""
    act(city.operator_a, closed, "follow_up", **ASKED_REPORTER)
    act(city.operator_a, closed, "follow_up", **ASKED_REPORTER)
    act(city.worker_a, closed, "rate", rating="satisfied")
    dept = DeptTally.objects.filter(kind="event", department_id=city.dept_cg.pk).aggregate(
        rated=Sum("rated"), satisfied=Sum("satisfied"))
    assert dept == {"rated": 1, "satisfied": 1}
    assert_rollups_right()


def test_the_rollups_equal_a_recomputation_through_follow_up_explain_and_reopen(city, closed, citizen_closed):
    steps = [(city.operator_a, closed, "follow_up", ASKED_NEIGHBOUR),
             (city.operator_a, closed, "explain_dissatisfaction", {"note": "已向住户说明清运周期"}),
             (city.worker_a, closed, "follow_up", {**ASKED_REPORTER, "satisfaction": "unsatisfied"}),
             (city.operator_a, closed, "reopen", {"note": "回访不满意，重新办理"}),
             (Citizen(PHONE), citizen_closed, "rate", {"rating": "unsatisfied"}),
             (city.operator_a, citizen_closed, "follow_up", {**ASKED_REPORTER, "satisfaction": "satisfied"}),
             (city.operator_a, citizen_closed, "explain_dissatisfaction", {"note": "已解释"})]
    for i, (actor, e, action, raw) in enumerate(steps):
        act(actor, e, action, T0 + timedelta(hours=i + 1), **raw)
        assert_rollups_right()
    e = Event.objects.get(pk=closed.pk)
    assert e.status == Status.ACCEPTED and e.followup_rating == "" and counts(e)["rated"] == 0


# --- 不满意: the alert and the list --------------------------------------------------------------

def test_an_unsatisfied_rating_alerts_the_center_and_lists_the_case(city, citizen_closed):
    e = citizen_closed
    act(Citizen(PHONE), e, "rate", rating="unsatisfied", note="还是很脏")
    alert = Notification.objects.filter(kind="unsatisfied")
    assert {n.recipient for n in alert} == {city.operator_a}
    assert alert[0].subject == f"群众评价不满意，请处理：{e.number} {e.category.name}" and alert[0].body == "还是很脏"
    assert listed(city.operator_a, rating="unsatisfied_pending") == [e.number]
    assert listed(city.operator_b, rating="unsatisfied_pending") == []  # another township's list


def test_an_unsatisfied_follow_up_alerts_the_center_too(city, closed):
    act(city.worker_a, closed, "follow_up", **ASKED_NEIGHBOUR)
    alert = Notification.objects.get(kind="unsatisfied")
    assert alert.recipient == city.operator_a and alert.subject.startswith("回访不满意")
    assert listed(city.operator_a, rating="unsatisfied_pending") == [closed.number]


def test_a_satisfied_rating_alerts_nobody(city, citizen_closed):
    act(Citizen(PHONE), citizen_closed, "rate", rating="basically")
    act(city.operator_a, citizen_closed, "follow_up", **ASKED_REPORTER)
    assert not Notification.objects.filter(kind="unsatisfied").exists()
    assert listed(city.operator_a, rating="unsatisfied_pending") == []


def test_an_explanation_takes_the_case_off_the_list(city, citizen_closed):
    e = citizen_closed
    act(Citizen(PHONE), e, "rate", rating="unsatisfied")
    with pytest.raises(ValidationFailed):
        act(city.operator_a, e, "explain_dissatisfaction", note="")
    with pytest.raises(Forbidden):
        act(city.worker_a, e, "explain_dissatisfaction", note="说明")
    act(city.operator_a, e, "explain_dissatisfaction", note="已电话说明：清运车每日两次，已加密")
    e = Event.objects.get(pk=e.pk)
    assert not e.dissatisfaction_pending and e.status == Status.CLOSED and e.rating == "unsatisfied"
    assert listed(city.operator_a, rating="unsatisfied_pending") == []
    with pytest.raises(Conflict):  # nothing left to explain
        act(city.operator_a, e, "explain_dissatisfaction", note="再说明")


def test_a_reopen_takes_the_case_off_the_list_once(city, closed):
    act(city.worker_a, closed, "follow_up", **ASKED_NEIGHBOUR)
    assert "reopen" in workflow.allowed_actions(Event.objects.get(pk=closed.pk), city.operator_a)
    act(city.operator_a, closed, "reopen", note="回访不满意，重新派遣")
    e = Event.objects.get(pk=closed.pk)
    assert e.status == Status.ACCEPTED and not e.dissatisfaction_pending and e.followup_rating == ""
    assert e.log.get(action="reopen").data["previous_rating"] == "unsatisfied"
    assert listed(city.operator_a, rating="unsatisfied_pending") == []
    e = close(city, e)
    act(city.operator_a, e, "follow_up", **{**ASKED_REPORTER, "satisfaction": "unsatisfied"})
    e = Event.objects.get(pk=e.pk)
    assert listed(city.operator_a, rating="unsatisfied_pending") == [e.number]
    assert "reopen" not in workflow.allowed_actions(e, city.operator_a)  # once
    assert "explain_dissatisfaction" in workflow.allowed_actions(e, city.operator_a)


def test_a_satisfied_follow_up_is_no_ground_for_a_reopen(city, closed):
    act(city.operator_a, closed, "follow_up", **ASKED_REPORTER)
    with pytest.raises(Conflict):
        act(city.operator_a, closed, "reopen", note="重启")


# --- the worklist's 评价 filter -----------------------------------------------------------------

def test_the_worklist_filters_by_the_rating_a_case_counts_with(city, report):
    rated = {r: close(city, report()) for r in ("satisfied", "basically", "unsatisfied")}
    for r, e in rated.items():
        act(city.worker_a, e, "rate", rating=r)
    by_followup = close(city, report())
    act(city.operator_a, by_followup, "follow_up", **{**ASKED_REPORTER, "satisfaction": "basically"})
    unrated, still_open = close(city, report()), report()
    user = city.operator_a
    assert listed(user, rating="satisfied") == [rated["satisfied"].number]
    assert sorted(listed(user, rating="basically")) == sorted([rated["basically"].number, by_followup.number])
    assert listed(user, rating="unsatisfied") == [rated["unsatisfied"].number]
    assert listed(user, rating="unrated") == [unrated.number] and still_open.number not in listed(user, rating="unrated")
    # each rating value's list is what tally_counts says of the cases
    for e in Event.objects.all():
        c = LIFECYCLE.tally_counts(e)
        assert bool(c["rated"]) == (e.number in listed(user, measure="rated"))
        assert bool(c["satisfied"]) == (e.number in listed(user, rating="satisfied") + listed(user, rating="basically"))
    with pytest.raises(ValidationFailed) as exc:
        services.filtered_events(user, rating="great")
    assert list(exc.value.fields) == ["rating"]
    assert set(counted.RATING_FILTERS) == {"satisfied", "basically", "unsatisfied", "unrated", "unsatisfied_pending"}


def test_the_worklist_page_shows_the_unsatisfied_list_and_a_bad_filter_is_a_400(city, citizen_closed):
    act(Citizen(PHONE), citizen_closed, "rate", rating="unsatisfied")
    c = Client()
    c.force_login(city.operator_a)
    page = c.get(reverse("events:list"))
    assert page.context["unsatisfied_pending"] == 1
    html = page.content.decode()
    assert 'data-testid="chip-unsatisfied"' in html and "不满意待处理" in html
    r = c.get(reverse("events:list") + "?rating=unsatisfied_pending")
    assert [e.number for e in r.context["page"].object_list] == [citizen_closed.number]
    r = c.get(reverse("events:list") + "?rating=nope")
    assert r.status_code == 400 and r.context["errors"]["rating"] == ["评价筛选无效"]


# --- the page and the API ----------------------------------------------------------------------

def test_the_event_page_offers_the_follow_up_form_and_shows_errors_next_to_its_fields(city, closed):
    c = Client()
    c.force_login(city.operator_a)
    url = reverse("events:detail", args=[closed.number])
    html = c.get(url).content.decode()
    assert 'id="act-follow_up"' in html and 'name="method"' in html and 'name="respondent_name"' in html
    r = c.post(reverse("events:act", args=[closed.number, "follow_up"]),
               {"method": "visit", "respondent": "other", "satisfaction": "satisfied", "note": "已回访"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "回访的不是反映人本人时，请填写受访人姓名" in html and 'id="act-follow_up" open' in html
    r = c.post(reverse("events:act", args=[closed.number, "follow_up"]), {**ASKED_NEIGHBOUR})
    assert r.status_code == 302
    html = c.get(url).content.decode()
    assert "上门回访" in html and "李大妈" in html and "受影响的住户" in html and "不满意待处理" in html
    assert 'id="act-explain_dissatisfaction"' in html


def test_the_api_takes_a_follow_up_and_filters_by_rating(city, closed, api):
    status, body = api("post", f"/events/{closed.number}/actions/follow_up", city.operator_a,
                       {"method": "phone", "respondent": "reporter", "satisfaction": "unsatisfied", "note": "不满意"})
    assert status == 200 and body["status"] == "closed" and body["followup_rating"] == "unsatisfied"
    assert body["effective_rating"] == "unsatisfied" and body["dissatisfaction_pending"] is True
    assert body["followups"][0]["method"] == "phone" and "explain_dissatisfaction" in body["allowed_actions"]
    status, body = api("get", "/events?rating=unsatisfied_pending", city.operator_a)
    assert status == 200 and [r["number"] for r in body["results"]] == [closed.number]
    status, body = api("get", "/events?rating=bad", city.operator_a)
    assert status == 422 and "rating" in body["fields"]
    status, body = api("post", f"/events/{closed.number}/actions/follow_up", city.operator_a, {"method": "phone"})
    assert status == 422 and {"respondent", "satisfaction"} <= set(body["fields"])
    status, body = api("post", f"/events/{closed.number}/actions/explain_dissatisfaction", city.operator_a,
                       {"note": "已说明"})
    assert status == 200 and body["dissatisfaction_pending"] is False


def test_another_townships_operator_gets_404_for_follow_up_and_explain_and_nothing_changes(city, closed, api):
    act(city.operator_a, closed, "follow_up", **ASKED_NEIGHBOUR)
    before = Event.objects.get(pk=closed.pk)
    assert before.dissatisfaction_pending
    for action, body in (("follow_up", ASKED_REPORTER), ("explain_dissatisfaction", {"note": "已解释"}),
                         ("reopen", {"note": "重新办理"})):
        status, _ = api("post", f"/events/{closed.number}/actions/{action}", user=city.operator_b, body=body)
        assert status == 404
        page = Client()
        page.force_login(city.operator_b)
        assert page.post(reverse("events:act", args=[closed.number, action]), body).status_code == 404
    after = Event.objects.get(pk=closed.pk)
    assert FollowUp.objects.filter(event=closed).count() == 1
    assert (after.status, after.dissatisfaction_pending, after.followup_rating, after.log.count()) == (
        before.status, before.dissatisfaction_pending, before.followup_rating, before.log.count())

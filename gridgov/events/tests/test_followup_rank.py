"""How answers rank (gridgov/events/followup.py, docs/evaluation.md): the reporter's own rating, then a 回访
that asked the reporter, then a 回访 that asked someone else; a lower rank never overrides a higher one, and
no 回访 changes a case on the 不满意待处理 list. The case's counts, the worklist, the API, a department's
figures and the list all follow that one rule; a listed case can be reopened (once); the banner words only what
is allowed; every action's note is capped at 5000 characters, pages and API alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from gridgov.cases.models import DeptTally, TransitionRecord
from gridgov.core.errors import Conflict, ValidationFailed
from gridgov.core.models import Notification
from gridgov.events import workflow
from gridgov.events.models import Event, FollowUp, Status
from gridgov.events.tests.test_followup import (
    ASKED_NEIGHBOUR,
    ASKED_REPORTER,
    PHONE,
    T0,
    act,
    assert_rollups_right,
    close,
    counts,
    listed,
)
from gridgov.events.workflow import Citizen

NEIGHBOUR_SATISFIED = {**ASKED_NEIGHBOUR, "satisfaction": "satisfied", "note": "物业说已处理好"}
REPORTER_UNSATISFIED = {**ASKED_REPORTER, "satisfaction": "unsatisfied", "note": "还是很脏"}


@pytest.fixture
def closed(city, report):
    """A grid worker's report, closed; the reporter (the grid worker) has not rated."""
    return close(city, report())


@pytest.fixture
def citizen_closed(city, report):
    return close(city, report(actor=Citizen(PHONE), reporter_phone=PHONE, category="0302"))


def later(hours: int):
    return T0 + timedelta(hours=hours)


def dept(city) -> dict:
    return DeptTally.objects.filter(kind="event", department_id=city.dept_cg.pk).aggregate(
        rated=Sum("rated"), satisfied=Sum("satisfied"))


def test_a_follow_up_with_someone_else_does_not_wash_out_the_reporters_unsatisfied(city, closed, api):
    act(city.operator_a, closed, "follow_up", later(1), **REPORTER_UNSATISFIED)
    act(city.operator_a, closed, "follow_up", later(2), **NEIGHBOUR_SATISFIED)
    e = Event.objects.get(pk=closed.pk)
    assert e.followup_rating == "unsatisfied" and e.dissatisfaction_pending
    assert (counts(e)["rated"], counts(e)["satisfied"]) == (1, 0)
    assert listed(city.operator_a, measure="satisfied") == []
    assert listed(city.operator_a, rating="unsatisfied") == [e.number]
    assert dept(city) == {"rated": 1, "satisfied": 0}  # the department agrees with the case
    status, body = api("get", f"/events/{e.number}", city.operator_a)
    assert status == 200 and body["effective_rating"] == "unsatisfied"
    assert "reopen" in workflow.allowed_actions(e, city.operator_a)
    assert_rollups_right()


def test_no_follow_up_changes_a_case_on_the_list_until_it_is_explained(city, closed):
    act(city.operator_a, closed, "follow_up", later(1), **ASKED_NEIGHBOUR)  # rank 1, 不满意: listed
    act(city.operator_a, closed, "follow_up", later(2), **ASKED_REPORTER)  # rank 2, but the case is listed
    e = Event.objects.get(pk=closed.pk)
    assert e.followup_rating == "unsatisfied" and e.dissatisfaction_pending and counts(e)["satisfied"] == 0
    assert Notification.objects.filter(kind="unsatisfied").count() == 1
    act(city.operator_a, e, "explain_dissatisfaction", later(3), note="已向住户说明清运周期")
    act(city.operator_a, e, "follow_up", later(4), **ASKED_REPORTER)  # off the list: the reporter's word counts
    e = Event.objects.get(pk=closed.pk)
    assert e.followup_rating == "satisfied" and counts(e)["satisfied"] == 1
    assert dept(city) == {"rated": 1, "satisfied": 1}  # corrected the day the reporter was asked
    assert TransitionRecord.objects.filter(kind="event", case_id=e.pk, action="follow_up").last().flows == "satisfied"
    assert_rollups_right()


def test_a_follow_up_of_lower_rank_neither_counts_nor_lists_nor_alerts(city, closed):
    act(city.operator_a, closed, "follow_up", later(1), **ASKED_REPORTER)
    act(city.worker_a, closed, "follow_up", later(2), **ASKED_NEIGHBOUR)
    e = Event.objects.get(pk=closed.pk)
    assert e.followup_rating == "satisfied" and not e.dissatisfaction_pending and counts(e)["satisfied"] == 1
    assert not Notification.objects.filter(kind="unsatisfied").exists()
    assert e.log.filter(action="follow_up").last().data["counted"] is False
    assert FollowUp.objects.filter(event=e).count() == 2  # kept in the record all the same
    with pytest.raises(Conflict):
        act(city.operator_a, e, "reopen", later(3), note="重启")


def test_the_department_follows_the_reporters_later_unsatisfied(city, citizen_closed):
    e = citizen_closed
    act(city.operator_a, e, "follow_up", later(1), **ASKED_REPORTER)
    assert dept(city) == {"rated": 1, "satisfied": 1}
    act(Citizen(PHONE), e, "rate", later(2), rating="unsatisfied", note="还是很脏")
    e = Event.objects.get(pk=e.pk)
    assert (counts(e)["rated"], counts(e)["satisfied"]) == (1, 0) and e.dissatisfaction_pending
    assert dept(city) == {"rated": 1, "satisfied": 0}
    assert TransitionRecord.objects.get(kind="event", case_id=e.pk, action="rate").flows == "-satisfied"
    assert_rollups_right()


def test_the_reporters_satisfied_takes_a_follow_ups_unsatisfied_off_the_list(city, citizen_closed):
    e = citizen_closed
    act(city.operator_a, e, "follow_up", later(1), **REPORTER_UNSATISFIED)
    assert dept(city) == {"rated": 1, "satisfied": 0}
    act(Citizen(PHONE), e, "rate", later(2), rating="basically")
    e = Event.objects.get(pk=e.pk)
    assert not e.dissatisfaction_pending and counts(e)["satisfied"] == 1
    assert listed(city.operator_a, rating="unsatisfied_pending") == []
    assert dept(city) == {"rated": 1, "satisfied": 1}
    assert_rollups_right()


def test_a_follow_up_after_the_reporters_satisfied_rating_does_not_list_the_case(city, citizen_closed):
    e = citizen_closed
    act(Citizen(PHONE), e, "rate", later(1), rating="satisfied")
    act(city.operator_a, e, "follow_up", later(2), **REPORTER_UNSATISFIED)
    e = Event.objects.get(pk=e.pk)
    assert not e.dissatisfaction_pending and listed(city.operator_a, rating="unsatisfied_pending") == []
    assert "reopen" not in workflow.allowed_actions(e, city.operator_a)
    assert dept(city) == {"rated": 1, "satisfied": 1}
    assert_rollups_right()


def test_every_listed_case_can_be_reopened_once(city, closed):
    # a case listed before the rank existed may count a 满意 all the same: the list still offers its reopen
    act(city.operator_a, closed, "follow_up", later(1), **ASKED_REPORTER)
    Event.objects.filter(pk=closed.pk).update(dissatisfaction_pending=True)
    e = Event.objects.get(pk=closed.pk)
    assert "reopen" in workflow.allowed_actions(e, city.operator_a)
    act(city.operator_a, e, "reopen", later(2), note="回访不满意，重新派遣")
    e = close(city, Event.objects.get(pk=closed.pk), later(3))
    act(city.operator_a, e, "follow_up", later(4), **REPORTER_UNSATISFIED)
    e = Event.objects.get(pk=closed.pk)
    assert e.dissatisfaction_pending and "reopen" not in workflow.allowed_actions(e, city.operator_a)
    with pytest.raises(Conflict, match="已重启过一次"):
        act(city.operator_a, e, "reopen", later(5), note="再重启")


def test_the_banner_words_only_the_actions_allowed(city, closed):
    c = Client()
    c.force_login(city.operator_a)
    url = reverse("events:detail", args=[closed.number])
    act(city.operator_a, closed, "follow_up", later(1), **REPORTER_UNSATISFIED)
    html = c.get(url).content.decode()
    assert "请重启办理，或填写不满意情况说明" in html and 'id="act-reopen"' in html
    act(city.operator_a, closed, "reopen", later(2), note="重新派遣")
    e = close(city, Event.objects.get(pk=closed.pk), later(3))
    act(city.operator_a, e, "follow_up", later(4), **REPORTER_UNSATISFIED)
    html = c.get(url).content.decode()
    assert "请重启办理" not in html and 'id="act-reopen"' not in html
    assert "已重启过一次，请填写不满意情况说明" in html and 'id="act-explain_dissatisfaction"' in html


# --- the note's length ---------------------------------------------------------------------------

def test_a_note_over_5000_characters_is_refused_on_the_page_and_nothing_is_saved(city, closed):
    c = Client()
    c.force_login(city.operator_a)
    r = c.post(reverse("events:act", args=[closed.number, "follow_up"]), {**ASKED_REPORTER, "note": "很" * 100_000})
    assert r.status_code == 400 and "不能超过5000字" in r.content.decode()
    assert r.context["errors"]["note"] == ["不能超过5000字"]
    assert not FollowUp.objects.filter(event=closed).exists()
    r = c.post(reverse("events:act", args=[closed.number, "follow_up"]), {**ASKED_REPORTER, "note": "很" * 5000})
    assert r.status_code == 302 and len(FollowUp.objects.get(event=closed).result) == 5000


@pytest.mark.parametrize("action", ["accept", "reject", "supervise"])
def test_every_action_caps_its_note(city, report, action):
    e = report()
    with pytest.raises(ValidationFailed) as err:
        act(city.operator_a, e, action, level="yellow", note="长" * 5001)
    assert err.value.fields == {"note": ["不能超过5000字"]}
    assert Event.objects.get(pk=e.pk).status == Status.REPORTED and e.log.count() == 1


def test_the_api_caps_the_note_too(city, closed, api):
    status, body = api("post", f"/events/{closed.number}/actions/follow_up", city.operator_a,
                       {**ASKED_REPORTER, "note": "很" * 5001})
    assert status == 422 and "note" in body["fields"]
    assert not FollowUp.objects.filter(event=closed).exists()


def test_a_rating_comment_over_500_characters_is_refused(city, citizen_closed):
    with pytest.raises(ValidationFailed) as err:
        act(Citizen(PHONE), citizen_closed, "rate", rating="satisfied", note="好" * 501)
    assert err.value.fields == {"note": ["不能超过500字"]}
    assert Event.objects.get(pk=citizen_closed.pk).rating == ""

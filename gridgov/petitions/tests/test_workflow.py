"""Every allowed transition leads where the table says; every other one is refused (409 / 403)."""

from datetime import timedelta

import pytest

from gridgov.core.errors import Conflict, Forbidden
from gridgov.petitions import workflow
from gridgov.petitions.models import Petition, PetitionLog, Status
from gridgov.petitions.tests.conftest import T0

S = Status
DAY = timedelta(days=1)


@pytest.fixture
def in_state(city, register, act):
    """A petition driven through the workflow to ``status`` (plus a few special set-ups)."""

    def build(status: str):
        p = register()
        op = city.operator_a
        if status == S.REGISTERED:
            return p
        if status == S.NOT_ACCEPTED:
            return act(op, p, "not_accept", {"note": "不属于信访事项"})
        if status == S.TRANSFERRED:
            return act(op, p, "transfer", {"department": "CG", "note": "属城管职责"})
        p = act(op, p, "accept", {"note": "予以受理"})
        if status == S.HANDLING:
            return p
        if status == "pending_extension":
            return act(op, p, "request_extension", {"days": 10, "note": "情况复杂"}, now=T0 + DAY)
        p = act(op, p, "reply", {"note": "经调查，物业收费符合标准", "reply_date": "2026-11-24"}, now=T0 + DAY)
        if status == S.REPLIED:
            return p
        if status == S.CLOSED:
            return act(op, p, "close", now=T0 + 2 * DAY)
        p = act(op, p, "request_review", {"note": "不服答复"}, now=T0 + 3 * DAY)
        if status == S.REVIEWING:
            return p
        p = act(op, p, "reply_review", {"note": "维持原答复", "reply_date": "2026-11-27"}, now=T0 + 4 * DAY)
        if status == S.REVIEW_REPLIED:
            return p
        if status == "closed_after_review":
            return act(op, p, "close", now=T0 + 5 * DAY)
        p = act(op, p, "request_recheck", {"note": "不服复查意见"}, now=T0 + 5 * DAY)
        if status == S.RECHECKING:
            return p
        p = act(op, p, "reply_recheck", {"note": "维持复查意见", "reply_date": "2026-11-29"}, now=T0 + 6 * DAY)
        assert status == S.RECHECK_REPLIED
        return p

    return build


# (set-up, action, actor, inputs, expected status afterwards)
ALLOWED = [
    (S.REGISTERED, "accept", "operator_a", {"department": "ZJ"}, S.HANDLING),
    (S.REGISTERED, "not_accept", "operator_a", {"note": "已经诉讼程序处理"}, S.NOT_ACCEPTED),
    (S.REGISTERED, "transfer", "operator_a", {"agency": "市信访局", "note": "不属本级职责"}, S.TRANSFERRED),
    (S.REGISTERED, "acknowledge", "operator_a", {}, S.REGISTERED),
    (S.REGISTERED, "take", "leader_a", {}, S.REGISTERED),
    (S.TRANSFERRED, "accept", "liaison_cg", {}, S.HANDLING),
    (S.TRANSFERRED, "not_accept", "liaison_cg", {"note": "不属本部门职责"}, S.NOT_ACCEPTED),
    (S.TRANSFERRED, "take", "leader_county", {}, S.TRANSFERRED),
    (S.HANDLING, "request_extension", "operator_a", {"days": 30, "note": "需多部门会商"}, S.HANDLING),
    (S.HANDLING, "reply", "operator_a", {"note": "书面答复"}, S.REPLIED),
    (S.HANDLING, "take", "leader_a", {}, S.HANDLING),
    ("pending_extension", "approve_extension", "operator_a", {}, S.HANDLING),
    ("pending_extension", "deny_extension", "operator_a", {"note": "理由不充分"}, S.HANDLING),
    (S.REPLIED, "close", "operator_a", {}, S.CLOSED),
    (S.REPLIED, "request_review", "operator_a", {"note": "不服"}, S.REVIEWING),
    (S.REPLIED, "take", "leader_a", {}, S.REPLIED),
    (S.CLOSED, "request_review", "operator_a", {"note": "不服"}, S.REVIEWING),
    (S.REVIEWING, "reply_review", "county_operator", {"note": "复查意见"}, S.REVIEW_REPLIED),
    (S.REVIEWING, "take", "leader_a", {}, S.REVIEWING),
    (S.REVIEW_REPLIED, "close", "operator_a", {}, S.CLOSED),
    (S.REVIEW_REPLIED, "request_recheck", "operator_a", {"note": "不服"}, S.RECHECKING),
    ("closed_after_review", "request_recheck", "operator_a", {"note": "不服"}, S.RECHECKING),
    (S.RECHECKING, "reply_recheck", "operator_a", {"note": "复核意见"}, S.RECHECK_REPLIED),
    (S.RECHECKING, "take", "leader_a", {}, S.RECHECKING),
    (S.RECHECK_REPLIED, "close", "operator_a", {}, S.CLOSED),
    (S.RECHECK_REPLIED, "take", "leader_a", {}, S.RECHECK_REPLIED),
    (S.REPLIED, "record_delivery", "operator_a", {"delivery_date": "2026-11-25"}, S.REPLIED),
    (S.CLOSED, "record_delivery", "operator_a", {}, S.CLOSED),
    (S.REVIEWING, "record_delivery", "operator_a", {}, S.REVIEWING),
    (S.REVIEW_REPLIED, "record_delivery", "operator_a", {}, S.REVIEW_REPLIED),
    (S.RECHECKING, "record_delivery", "operator_a", {}, S.RECHECKING),
    (S.RECHECK_REPLIED, "record_delivery", "operator_a", {}, S.RECHECK_REPLIED),
]


def test_the_table_of_allowed_transitions_covers_every_human_action_and_source():
    real = {"pending_extension": S.HANDLING, "closed_after_review": S.CLOSED}
    covered = {(real.get(src, src), a) for src, a, *_ in ALLOWED}
    for action in workflow.HUMAN_ACTIONS:
        t = workflow.TRANSITIONS[action]
        for src in t.sources:
            if action == "acknowledge" and src != S.REGISTERED:
                continue  # a decision already counts as the reply; tested in test_deadlines
            if action in ("approve_extension", "deny_extension"):
                continue  # from handling with a pending request: the "pending_extension" set-up
            if action == "take" and src in (S.REGISTERED, S.HANDLING, S.REPLIED, S.REVIEWING, S.REVIEW_REPLIED,
                                            S.RECHECKING, S.RECHECK_REPLIED, S.TRANSFERRED):
                continue
            assert (src, action) in covered, (src, action)


@pytest.mark.parametrize(("setup", "action", "who", "raw", "target"), ALLOWED,
                         ids=[f"{s}-{a}" for s, a, *_ in ALLOWED])
def test_an_allowed_transition_leads_to_its_target_and_appends_one_log_row(city, in_state, act, setup, action, who,
                                                                          raw, target):
    p = in_state(setup)
    before = PetitionLog.objects.filter(petition=p).count()
    p = act(getattr(city, who), p, action, raw, now=T0 + 7 * DAY)
    assert p.status == target
    entries = list(PetitionLog.objects.filter(petition=p).order_by("-id")[:1])
    assert PetitionLog.objects.filter(petition=p).count() == before + 1 and entries[0].action == action


STATES = [S.REGISTERED, S.HANDLING, S.NOT_ACCEPTED, S.TRANSFERRED, S.REPLIED, S.CLOSED, S.REVIEWING,
          S.REVIEW_REPLIED, S.RECHECKING, S.RECHECK_REPLIED]


@pytest.mark.parametrize("status", STATES)
def test_every_action_that_does_not_start_from_a_state_is_a_409_there(in_state, city, status):
    p = in_state(status)
    assert p.status == status
    for action in workflow.HUMAN_ACTIONS:
        if status in workflow.TRANSITIONS[action].sources:
            continue
        with pytest.raises(Conflict):
            workflow.check(p, action, city.operator_a, T0 + 7 * DAY)


WRONG = {
    "accept": ["operator_b", "worker_a", "leader_a", "liaison_cg", "admin"],
    "not_accept": ["operator_b", "worker_a", "leader_county", "liaison_zj"],
    "transfer": ["operator_b", "worker_a", "leader_a", "liaison_cg"],
    "acknowledge": ["operator_b", "worker_a", "leader_a", "liaison_cg"],
    "take": ["operator_a", "worker_a", "liaison_cg", "leader_a_other"],
}


@pytest.mark.parametrize("action", list(WRONG))
def test_an_action_is_forbidden_to_the_wrong_people_in_the_right_state(city, in_state, action):
    from gridgov.accounts.models import User

    p = in_state(S.REGISTERED)
    other = User.objects.create_user("leader_b", role=User.Role.LEADER, region=city.township_b)
    for who in WRONG[action]:
        user = other if who == "leader_a_other" else getattr(city, who)
        with pytest.raises(Forbidden):
            workflow.check(p, action, user, T0)


def test_a_transferred_petition_is_decided_by_the_receiving_department_not_another(city, in_state):
    p = in_state(S.TRANSFERRED)
    with pytest.raises(Forbidden):
        workflow.check(p, "accept", city.liaison_zj, T0)
    with pytest.raises(Forbidden):
        workflow.check(p, "accept", city.operator_a, T0)
    assert "accept" in workflow.allowed_actions(p, city.liaison_cg)


def test_the_handling_department_may_reply_and_ask_for_an_extension_but_not_approve_it(city, in_state, act):
    p = in_state(S.REGISTERED)
    p = act(city.operator_a, p, "accept", {"department": "CG"})
    assert p.handling_department == city.dept_cg
    allowed = workflow.allowed_actions(p, city.liaison_cg, T0)
    assert "reply" in allowed and "request_extension" in allowed and "approve_extension" not in allowed
    p = act(city.liaison_cg, p, "request_extension", {"days": 5, "note": "需调查"})
    with pytest.raises(Forbidden):
        workflow.check(p, "approve_extension", city.liaison_cg, T0)


def test_a_transfer_to_an_outside_agency_finishes_the_petition_here(city, in_state, act):
    p = act(city.operator_a, in_state(S.REGISTERED), "transfer", {"agency": "省信访局", "note": "转省局"})
    assert p.transferred_to_agency == "省信访局" and not p.is_open and p.deadline is None
    assert not Petition.objects.open().filter(pk=p.pk).exists()


def test_not_accepting_records_the_reason_as_the_written_notice(city, in_state, act):
    p = act(city.operator_a, in_state(S.REGISTERED), "not_accept", {"note": "已进入诉讼程序"})
    assert p.decision_reason == "已进入诉讼程序"
    assert p.log.get(action="not_accept").data == {"written_notice": True}


def test_not_accepting_without_a_reason_is_refused_and_changes_nothing(city, in_state, act):
    from gridgov.core.errors import ValidationFailed

    p = in_state(S.REGISTERED)
    with pytest.raises(ValidationFailed) as exc:
        act(city.operator_a, p, "not_accept", {"note": " "})
    assert "note" in exc.value.fields
    p.refresh_from_db()
    assert p.status == S.REGISTERED and p.log.count() == 1


def test_the_log_is_append_only(city, in_state):
    entry = in_state(S.REGISTERED).log.first()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        PetitionLog.objects.all().delete()


def test_a_leader_takes_a_case_once_and_is_shown_on_it(city, in_state, act):
    p = act(city.leader_a, in_state(S.HANDLING), "take")
    assert p.leader == city.leader_a
    with pytest.raises(Conflict):
        workflow.check(p, "take", city.leader_county, T0)
    # otherwise the leader reads only
    assert workflow.allowed_actions(p, city.leader_a, T0) == []

"""The 信访工作条例 deadlines: acceptance 15 days, handling 60 (+ one extension of ≤ 30), the 7-day reply
to letters and the 30-day windows for 复查 / 复核 — in calendar days, a last day that is not a working day
moved to the first working day after it (民法典 §203); see also test_holidays.py."""

from datetime import datetime, timedelta

import pytest

from gridgov.core.errors import Conflict, ValidationFailed
from gridgov.petitions import services, sla, workflow
from gridgov.petitions.models import Extension, Petition, Status
from gridgov.petitions.tests.conftest import T0, TZ

DAY = timedelta(days=1)


def end_of(year, month, day):
    """24:00 of that day, local time: where a period of days ends (民法典 §201, §203)."""
    return datetime(year, month, day, tzinfo=TZ) + DAY


def test_a_registered_petition_must_be_decided_within_15_calendar_days(register):
    p = register()  # Monday 2026-11-23 09:00; the day itself is not counted
    assert p.deadline == end_of(2026, 12, 8)  # across two weekends: calendar days, not working days
    assert p.warn_at == T0 + (p.deadline - T0) * 0.8
    assert sla.sla_state(p, T0 + 11 * DAY) == sla.NORMAL
    assert sla.sla_state(p, T0 + 13 * DAY) == sla.NEAR_DUE
    assert sla.sla_state(p, datetime(2026, 12, 8, 23, 59, tzinfo=TZ)) == sla.NEAR_DUE  # the whole 15th day counts
    assert sla.sla_state(p, end_of(2026, 12, 8)) == sla.OVERDUE


def test_an_accepted_petition_must_be_finished_within_60_days_of_acceptance(city, register, act):
    p = act(city.operator_a, register(), "accept", now=T0 + 3 * DAY)
    assert p.accepted_at == T0 + 3 * DAY and p.deadline == end_of(2027, 1, 25)  # 11-26 + 60 days
    assert sla.stage_label(p) == "办理期限"


def test_a_stage_deadline_runs_in_natural_time_and_is_recorded_as_such(city, register, act):
    """deadline_unit means what it means on events (the unit the deadline and its warning are counted in)."""
    from gridgov.cases.models import TransitionRecord

    p = register()
    assert p.deadline_unit == "natural_hours" and p.deadline_provisional is False
    p = act(city.operator_a, p, "accept", now=T0 + 3 * DAY)
    assert p.deadline_unit == "natural_hours"
    p = act(city.operator_a, p, "reply", {"note": "已答复"}, now=T0 + 4 * DAY)
    assert p.deadline is None and p.deadline_unit == ""
    records = TransitionRecord.objects.filter(kind="petition", case_id=p.pk).order_by("at", "id")
    assert [(r.action, r.category, r.on_time) for r in records] == [
        ("register", "letter", None), ("accept", "letter", True), ("reply", "letter", True)]


def test_the_limits_are_configurable(settings, register):
    settings.GRIDGOV = {**settings.GRIDGOV, "PETITION_ACCEPT_DAYS": 10, "PETITION_ACK_DAYS": 5}
    p = register()
    assert p.deadline == end_of(2026, 12, 3)
    assert p.ack_due_at == end_of(2026, 11, 30)  # day 5 is Saturday 11-28: the period ends with Monday


def test_one_approved_extension_of_30_days_moves_the_deadline_by_30_days(city, register, act):
    p = act(city.operator_a, register(), "accept")
    p = act(city.operator_a, p, "request_extension", {"days": 30, "note": "涉及多个部门"}, now=T0 + 50 * DAY)
    assert p.deadline == end_of(2027, 1, 22)  # not yet: it needs approval
    p = act(city.operator_a, p, "approve_extension", now=T0 + 51 * DAY)
    # 30 more whole days: 2027-02-21, a Sunday, so the period ends with Monday 2027-02-22
    # (2027 is not in the chinese-calendar package: the weekday rule, no holiday known)
    assert p.deadline == end_of(2027, 2, 22) and p.extension_days == 30
    assert sla.sla_state(p, T0 + 70 * DAY) == sla.NORMAL


def test_an_extension_of_more_than_30_days_is_refused_with_a_chinese_error_and_nothing_written(city, register, act):
    p = act(city.operator_a, register(), "accept")
    with pytest.raises(ValidationFailed) as exc:
        act(city.operator_a, p, "request_extension", {"days": 31, "note": "情况复杂"})
    assert "不得超过30日" in exc.value.fields["days"][0]
    assert not Extension.objects.exists() and p.log.count() == 2


def test_a_second_extension_is_refused_with_a_chinese_error(city, register, act):
    p = act(city.operator_a, register(), "accept")
    p = act(city.operator_a, p, "request_extension", {"days": 10, "note": "情况复杂"})
    p = act(city.operator_a, p, "approve_extension")
    with pytest.raises(Conflict) as exc:
        act(city.operator_a, p, "request_extension", {"days": 5, "note": "还需时间"})
    assert "只能延长一次" in str(exc.value.message)
    assert "request_extension" not in workflow.allowed_actions(p, city.operator_a, T0)
    assert Extension.objects.filter(petition=p).count() == 1


def test_a_denied_extension_leaves_the_deadline_and_may_be_asked_again(city, register, act):
    p = act(city.operator_a, register(), "accept")
    p = act(city.operator_a, p, "request_extension", {"days": 10, "note": "情况复杂"})
    p = act(city.operator_a, p, "deny_extension", {"note": "理由不充分"})
    assert p.deadline == end_of(2027, 1, 22) and p.extension_days == 0
    assert "request_extension" in workflow.allowed_actions(p, city.operator_a, T0)


def test_a_letter_owes_a_reply_within_7_days_and_a_visit_does_not(register):
    letter = register(channel="letter")
    visit = register(channel="visit", phone="13900000001")
    assert letter.ack_due_at == end_of(2026, 11, 30) and letter.acked_at is None
    assert visit.ack_due_at is None and sla.ack_state(visit) is None
    assert sla.ack_state(letter, T0 + 6 * DAY) == sla.NORMAL
    assert sla.ack_state(letter, T0 + 7 * DAY) == sla.NEAR_DUE  # Monday a week later: still in time
    assert sla.ack_state(letter, end_of(2026, 11, 30)) == sla.OVERDUE


def test_the_procedural_reply_is_recorded_once_and_a_decision_counts_as_the_reply(city, register, act):
    p = act(city.operator_a, register(), "acknowledge", now=T0 + 2 * DAY)
    assert p.acked_at == T0 + 2 * DAY and p.log.get(action="acknowledge").data == {"in_time": True}
    assert "acknowledge" not in workflow.allowed_actions(p, city.operator_a, T0)
    q = act(city.operator_a, register(phone="13900000002"), "accept", now=T0 + 8 * DAY)
    assert q.acked_at == T0 + 8 * DAY  # a written acceptance notice is a reply, here a late one


def test_the_seven_day_reply_rate_counts_decided_letters_only(city, register, act):
    in_time = register(phone="13900000001")
    act(city.operator_a, in_time, "acknowledge", now=T0 + 6 * DAY)
    late = register(phone="13900000002")
    act(city.operator_a, late, "acknowledge", now=T0 + 8 * DAY)
    register(phone="13900000003")  # never replied, past due by T0 + 9 days
    register(phone="13900000004", now=T0 + 5 * DAY)  # still inside its 7 days
    register(channel="visit", phone="13900000005")  # a visit owes no such reply
    out = services.reply_rate_for(city.operator_a, since="2026-11-01", until="2026-11-30", now=T0 + 9 * DAY)
    assert (out["letters"], out["counted"], out["in_time"], out["late"], out["unreplied"], out["pending"]) == (
        4, 3, 1, 1, 1, 1)
    assert out["rate"] == pytest.approx(1 / 3, abs=1e-4)
    # another region, another period: nothing
    assert services.reply_rate_for(city.operator_b, now=T0 + 9 * DAY)["rate"] is None
    assert services.reply_rate_for(city.operator_a, since="2026-12-01", until="2026-12-31",
                                   now=T0 + 9 * DAY)["letters"] == 0


def _replied(city, register, act, day="2026-11-24", delivered="2026-11-24"):
    p = act(city.operator_a, register(), "accept")
    p = act(city.operator_a, p, "reply", {"note": "书面答复意见", "reply_date": day}, now=T0 + 2 * DAY)
    if delivered:
        p = act(city.operator_a, p, "record_delivery", {"delivery_date": delivered}, now=T0 + 2 * DAY)
    return p


def test_a_review_may_be_requested_on_the_30th_day_after_the_written_reply(city, register, act):
    p = _replied(city, register, act)  # reply received 2026-11-24: day 30 is 2026-12-24
    last_minute = datetime(2026, 12, 24, 23, 59, tzinfo=TZ)
    p = act(city.operator_a, p, "request_review", {"note": "不服答复"}, now=last_minute)
    # 30 days for the review opinion: 2027-01-23 is a Saturday, so it is due by the end of Monday 01-25
    assert p.status == Status.REVIEWING and p.deadline == end_of(2027, 1, 25)


def test_a_review_requested_on_the_31st_day_is_refused(city, register, act):
    p = _replied(city, register, act)
    with pytest.raises(Conflict) as exc:
        act(city.operator_a, p, "request_review", {"note": "不服答复"}, now=datetime(2026, 12, 25, 0, 1, tzinfo=TZ))
    assert "已超过复查申请期限" in str(exc.value.message) and "2026-12-24" in str(exc.value.message)
    assert Petition.objects.get(pk=p.pk).status == Status.REPLIED


def test_a_review_may_be_requested_after_closing_within_the_window_but_only_once(city, register, act):
    p = act(city.operator_a, _replied(city, register, act), "close", now=T0 + 3 * DAY)
    p = act(city.operator_a, p, "request_review", {"note": "不服"}, now=T0 + 10 * DAY)
    assert p.status == Status.REVIEWING and p.closed_at is None
    p = act(city.operator_a, p, "reply_review", {"note": "维持", "reply_date": "2026-12-03"}, now=T0 + 10 * DAY)
    p = act(city.operator_a, p, "close", now=T0 + 11 * DAY)
    with pytest.raises(Conflict):
        act(city.operator_a, p, "request_review", {"note": "再次不服"}, now=T0 + 12 * DAY)


def test_a_recheck_window_is_30_days_from_the_review_opinion(city, register, act):
    p = act(city.operator_a, _replied(city, register, act), "request_review", {"note": "不服"}, now=T0 + 3 * DAY)
    p = act(city.operator_a, p, "reply_review", {"note": "维持", "reply_date": "2026-12-01"}, now=T0 + 8 * DAY)
    p = act(city.operator_a, p, "record_delivery", {"delivery_date": "2026-12-01"}, now=T0 + 8 * DAY)
    with pytest.raises(Conflict) as exc:
        act(city.operator_a, p, "request_recheck", {"note": "不服"}, now=datetime(2027, 1, 1, 9, tzinfo=TZ))
    assert "已超过复核申请期限" in str(exc.value.message)
    p = act(city.operator_a, p, "request_recheck", {"note": "不服"}, now=datetime(2026, 12, 31, 17, tzinfo=TZ))
    assert p.status == Status.RECHECKING


def test_a_reply_dated_in_the_future_is_refused(city, register, act):
    p = act(city.operator_a, register(), "accept")
    with pytest.raises(ValidationFailed) as exc:
        act(city.operator_a, p, "reply", {"note": "答复", "reply_date": "2026-12-30"})
    assert "reply_date" in exc.value.fields
    with pytest.raises(ValidationFailed):
        act(city.operator_a, p, "reply", {"note": "答复", "reply_date": "2026/11/x"})
    assert Petition.objects.get(pk=p.pk).status == Status.HANDLING


def test_the_filter_agrees_with_the_python_derivation(register):
    p = register()
    for days in (0, 11, 12, 14, 15, 40):
        now = T0 + days * DAY
        for state in sla.core_sla.STATES:
            assert Petition.objects.filter(sla.sla_q(state, now), pk=p.pk).exists() == (sla.sla_state(p, now) == state)


def test_the_letters_reply_clock_is_judged_by_its_own_deadline(city, register, act):
    """A letter's 7-day reply is a second clock: the statistics records of its reminder and of the reply
    judge against ``ack_due_at`` (7 days), not against the 15-day acceptance deadline that also runs."""
    from gridgov.cases.models import TransitionRecord
    from gridgov.petitions import sla

    p = register()
    assert p.ack_due_at < p.deadline
    sla.sweep(p.ack_due_at + DAY)  # past the reply's 7 days, inside the acceptance's 15
    overdue = TransitionRecord.objects.get(kind="petition", case_id=p.pk, action="ack_overdue")
    assert overdue.on_time is False
    act(city.operator_a, p, "acknowledge", {"note": "已收到来信，正在办理"}, now=p.ack_due_at + 2 * DAY)
    late = TransitionRecord.objects.get(kind="petition", case_id=p.pk, action="acknowledge")
    assert late.on_time is False  # the stage deadline alone would have called it on time

"""信访 periods whose last day is not a working day end at 24:00 of the first working day after it
(民法典 §203), read from the working-day calendar, with the real 2026 schedule of the chinese-calendar
package: National Day 10-01…10-07 (10-08 a working Thursday), Spring Festival 02-15…02-23, and the 调休
make-up working days Sunday 09-20, Saturday 10-10, Saturday 02-14 and Saturday 02-28.

And the 复查 / 复核 windows run from the day the petitioner *received* the written document (送达)."""

from datetime import date, datetime, timedelta

import pytest

from gridgov.core.errors import Conflict, ValidationFailed
from gridgov.petitions import limits, workflow
from gridgov.petitions.models import Petition, Status
from gridgov.petitions.tests.conftest import TZ
from gridgov.worktime import calendar as workcal
from gridgov.worktime.models import CalendarDay


def at(y, m, d, h=9, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=TZ)


def end_of(y, m, d):
    """24:00 of that day (stored as 00:00 of the next)."""
    return datetime(y, m, d, tzinfo=TZ) + timedelta(days=1)


def test_the_2026_calendar_is_what_these_tests_assume(db):
    days = {d: workcal.is_workday(d)[0] for d in (
        date(2026, 10, 1), date(2026, 10, 7), date(2026, 10, 8), date(2026, 10, 10), date(2026, 9, 20),
        date(2026, 2, 16), date(2026, 2, 23), date(2026, 2, 24), date(2026, 2, 28))}
    assert days == {
        date(2026, 10, 1): False, date(2026, 10, 7): False, date(2026, 10, 8): True, date(2026, 10, 10): True,
        date(2026, 9, 20): True, date(2026, 2, 16): False, date(2026, 2, 23): False, date(2026, 2, 24): True,
        date(2026, 2, 28): True,
    }


def test_registration_on_2026_09_16_must_be_decided_by_the_end_of_2026_10_08(register):
    """The issue's example: day 15 is 10-01, National Day; the holiday ends 10-07; due 2026-10-09 00:00."""
    p = register(channel="visit", now=at(2026, 9, 16, 15, 30))
    assert p.deadline == datetime(2026, 10, 9, 0, 0, tzinfo=TZ)
    assert p.status == Status.REGISTERED
    assert p.warn_at < p.deadline


@pytest.mark.parametrize(("registered", "due", "why"), [
    (date(2026, 11, 6), date(2026, 11, 23), "day 15 is Saturday 11-21: Monday"),
    (date(2026, 11, 7), date(2026, 11, 23), "day 15 is Sunday 11-22: Monday"),
    (date(2026, 11, 5), date(2026, 11, 20), "day 15 is Friday 11-20: stays"),
    (date(2026, 9, 25), date(2026, 10, 10), "day 15 is Saturday 10-10, a 调休 working day: stays"),
    (date(2026, 9, 5), date(2026, 9, 20), "day 15 is Sunday 09-20, a 调休 working day: stays"),
    (date(2026, 2, 13), date(2026, 2, 28), "day 15 is Saturday 02-28, a 调休 working day: stays"),
    (date(2026, 2, 1), date(2026, 2, 24), "day 15 is 02-16, Spring Festival to 02-23: Tuesday 02-24"),
    (date(2026, 9, 22), date(2026, 10, 8), "day 15 is 10-07, the holiday's last day: 10-08"),
])
def test_the_15_days_to_decide_end_on_a_working_day(register, registered, due, why):
    p = register(channel="visit", now=datetime.combine(registered, datetime.min.time(), tzinfo=TZ) + timedelta(hours=10))
    assert p.deadline == end_of(due.year, due.month, due.day), why


@pytest.mark.parametrize(("registered", "due"), [
    (date(2026, 9, 24), date(2026, 10, 8)),   # day 7 is 10-01 (National Day)
    (date(2026, 10, 3), date(2026, 10, 10)),  # registered in the holiday; day 7 is the working Saturday 10-10
    (date(2026, 11, 21), date(2026, 11, 30)),  # day 7 is Saturday 11-28: Monday 11-30
    (date(2026, 11, 23), date(2026, 11, 30)),  # Monday to Monday
])
def test_the_7_day_reply_to_a_letter_ends_on_a_working_day(register, registered, due):
    p = register(channel="letter", now=datetime.combine(registered, datetime.min.time(), tzinfo=TZ)
                 + timedelta(hours=11))
    assert p.ack_due_at == end_of(due.year, due.month, due.day)


def test_the_60_days_to_finish_end_on_a_working_day(city, register, act):
    p = register(channel="visit", now=at(2026, 7, 20))
    p = act(city.operator_a, p, "accept", now=at(2026, 8, 2, 10))  # a Sunday: day 60 is 10-01
    assert p.deadline == end_of(2026, 10, 8)


@pytest.mark.parametrize(("days", "due"), [
    (2, date(2026, 10, 10)),   # 10-08 + 2: the working Saturday 10-10
    (3, date(2026, 10, 12)),   # 10-08 + 3: Sunday 10-11 → Monday 10-12
    (30, date(2026, 11, 9)),   # 10-08 + 30: Saturday 11-07 → Monday 11-09
])
def test_an_extension_runs_on_from_the_end_of_the_period_it_extends(city, register, act, days, due):
    p = register(channel="visit", now=at(2026, 7, 20))
    p = act(city.operator_a, p, "accept", now=at(2026, 8, 2, 10))  # ends with 10-08 (moved off National Day)
    p = act(city.operator_a, p, "request_extension", {"days": days, "note": "涉及多部门"}, now=at(2026, 9, 28))
    p = act(city.operator_a, p, "approve_extension", now=at(2026, 9, 29))
    assert p.deadline == end_of(due.year, due.month, due.day) and p.extension_days == days
    entry = p.log.get(action="approve_extension")
    assert datetime.fromisoformat(entry.data["old_deadline"]) == end_of(2026, 10, 8)


def test_an_administrator_override_moves_the_end_too(db):
    """A day the administrator declared a day off (e.g. a local holiday) is not a last day either."""
    CalendarDay.objects.create(date=date(2026, 11, 20), is_workday=False, note="地方节日")
    assert limits.last_day(date(2026, 11, 5), 15) == date(2026, 11, 23)
    CalendarDay.objects.create(date=date(2026, 11, 21), is_workday=True, note="补班")
    assert limits.last_day(date(2026, 11, 5), 15) == date(2026, 11, 21)


def test_a_year_the_package_does_not_know_falls_back_to_the_weekday_rule(db):
    # 2030-06-01 is a Saturday; with no schedule for 2030 the weekday rule applies: Monday 06-03
    assert limits.last_day(date(2030, 5, 17), 15) == date(2030, 6, 3)


# --- 送达 and the 复查 / 复核 windows ----------------------------------------------------------------

@pytest.fixture
def replied(city, register, act):
    """Accepted 2026-08-03, written reply dated 2026-08-20 (not yet delivered)."""
    p = register(channel="visit", now=at(2026, 8, 3))
    p = act(city.operator_a, p, "accept", now=at(2026, 8, 3, 10))
    return act(city.operator_a, p, "reply", {"note": "书面答复意见", "reply_date": "2026-08-20"}, now=at(2026, 8, 20))


def test_without_a_delivery_date_the_review_window_is_pending_and_not_running(city, replied, act):
    p = replied
    w = workflow.review_window(p, at(2026, 12, 1))
    assert (w["kind"], w["state"], w["until"], w["label"]) == ("review", "pending_delivery", None, "待送达")
    # 100 days after the reply date a review can still be asked: the 30 days never started
    p = act(city.operator_a, p, "request_review", {"note": "不服答复"}, now=at(2026, 11, 28))
    assert p.status == Status.REVIEWING


def test_the_review_window_runs_from_delivery_not_from_the_reply_date(city, replied, act):
    p = act(city.operator_a, replied, "record_delivery", {"delivery_date": "2026-09-01", "note": "邮寄送达"},
            now=at(2026, 9, 2))
    assert p.reply_delivered_on == date(2026, 9, 1) and p.replied_on == date(2026, 8, 20)
    # 30 days from 09-01 is 10-01 (National Day): the window lasts through 10-08
    w = workflow.review_window(p, at(2026, 10, 8, 23, 59))
    assert (w["state"], w["until"]) == ("open", date(2026, 10, 8))
    assert workflow.review_window(p, at(2026, 10, 9, 0, 1))["state"] == "closed"
    entry = p.log.get(action="record_delivery")
    assert entry.data == {"document": "reply", "delivery_date": "2026-09-01", "window_until": "2026-10-08"}
    assert entry.note == "邮寄送达" and entry.actor == city.operator_a
    with pytest.raises(Conflict) as exc:
        act(city.operator_a, p, "request_review", {"note": "不服答复"}, now=at(2026, 10, 9, 0, 1))
    assert "已超过复查申请期限" in str(exc.value.message) and "2026-10-08" in str(exc.value.message)
    # on the moved last day it is still in time (20 days after the window counted from the reply date closed)
    p = act(city.operator_a, p, "request_review", {"note": "不服答复"}, now=at(2026, 10, 8, 23, 59))
    assert p.status == Status.REVIEWING


def test_the_recheck_window_runs_from_delivery_of_the_review_opinion(city, replied, act):
    p = act(city.operator_a, replied, "record_delivery", {"delivery_date": "2026-08-21"}, now=at(2026, 8, 21))
    p = act(city.operator_a, p, "request_review", {"note": "不服答复"}, now=at(2026, 8, 25))
    p = act(city.operator_a, p, "reply_review", {"note": "维持", "reply_date": "2026-09-10"}, now=at(2026, 9, 10))
    assert workflow.review_window(p, at(2026, 9, 11))["state"] == "pending_delivery"
    p = act(city.operator_a, p, "record_delivery", {"delivery_date": "2026-09-12"}, now=at(2026, 9, 12))
    assert p.review_delivered_on == date(2026, 9, 12) and p.reply_delivered_on == date(2026, 8, 21)
    # 09-12 + 30 = 10-12, a Monday and a working day: stays
    w = workflow.review_window(p, at(2026, 10, 12))
    assert (w["kind"], w["state"], w["until"]) == ("recheck", "open", date(2026, 10, 12))
    with pytest.raises(Conflict) as exc:
        act(city.operator_a, p, "request_recheck", {"note": "不服"}, now=at(2026, 10, 13))
    assert "已超过复核申请期限" in str(exc.value.message)


def test_a_delivery_is_recorded_once_and_never_in_the_future_or_before_the_reply(city, replied, act):
    p = replied
    with pytest.raises(ValidationFailed) as exc:
        act(city.operator_a, p, "record_delivery", {"delivery_date": "2026-08-19"}, now=at(2026, 8, 25))
    assert "不能早于答复日期" in exc.value.fields["delivery_date"][0]
    with pytest.raises(ValidationFailed) as exc:
        act(city.operator_a, p, "record_delivery", {"delivery_date": "2026-08-26"}, now=at(2026, 8, 25))
    assert "不能晚于今天" in exc.value.fields["delivery_date"][0]
    with pytest.raises(ValidationFailed) as exc:
        act(city.operator_a, p, "record_delivery", {"delivery_date": "2026-13-01"}, now=at(2026, 8, 25))
    assert "delivery_date" in exc.value.fields
    fresh = Petition.objects.get(pk=p.pk)
    assert fresh.reply_delivered_on is None and not fresh.log.filter(action="record_delivery").exists()
    p = act(city.operator_a, p, "record_delivery", {}, now=at(2026, 8, 25))  # today by default
    assert p.reply_delivered_on == date(2026, 8, 25)
    with pytest.raises(Conflict) as exc:
        act(city.operator_a, p, "record_delivery", {"delivery_date": "2026-08-24"}, now=at(2026, 8, 26))
    assert "送达日期已登记" in str(exc.value.message)
    assert "record_delivery" not in workflow.allowed_actions(p, city.operator_a, at(2026, 8, 26))


def test_only_the_office_records_delivery_and_not_before_a_written_reply(city, register, act):
    from gridgov.core.errors import Forbidden

    p = register(channel="visit", now=at(2026, 8, 3))
    with pytest.raises(Conflict):
        act(city.operator_a, p, "record_delivery", {}, now=at(2026, 8, 4))
    p = act(city.operator_a, p, "accept", {"department": "CG"}, now=at(2026, 8, 3, 10))
    p = act(city.liaison_cg, p, "reply", {"note": "答复", "reply_date": "2026-08-10"}, now=at(2026, 8, 10))
    with pytest.raises(Forbidden):
        act(city.liaison_cg, p, "record_delivery", {}, now=at(2026, 8, 11))
    assert Petition.objects.get(pk=p.pk).reply_delivered_on is None


# --- API and page -----------------------------------------------------------------------------------

def _replied_by_the_real_clock(city, register, act):
    from django.utils import timezone

    past = timezone.now() - timedelta(days=20)
    p = register(channel="visit", now=past)
    p = act(city.operator_a, p, "accept", now=past + timedelta(hours=1))
    day = timezone.localdate() - timedelta(days=5)
    return act(city.operator_a, p, "reply", {"note": "书面答复意见", "reply_date": day.isoformat()},
               now=timezone.now()), day


def test_the_api_records_delivery_and_shows_the_window(city, register, act, api):
    from django.utils import timezone

    p, reply_day = _replied_by_the_real_clock(city, register, act)
    status, body = api("get", f"/petitions/{p.number}", city.operator_a)
    assert status == 200 and body["reply_delivered_on"] is None
    assert body["review_window"] == {"kind": "review", "state": "pending_delivery", "label": "待送达", "until": None}
    assert "record_delivery" in body["allowed_actions"]
    for bad, words in (("2026-02-30", "日期"), ((timezone.localdate() + timedelta(days=1)).isoformat(), "不能晚于今天"),
                       ((reply_day - timedelta(days=1)).isoformat(), "不能早于答复日期")):
        status, err = api("post", f"/petitions/{p.number}/actions/record_delivery", city.operator_a,
                          {"delivery_date": bad})
        assert status == 422 and words in err["fields"]["delivery_date"][0], err
    assert Petition.objects.get(pk=p.pk).reply_delivered_on is None
    delivered = reply_day + timedelta(days=2)
    status, body = api("post", f"/petitions/{p.number}/actions/record_delivery", city.operator_a,
                       {"delivery_date": delivered.isoformat(), "note": "直接送达，本人签收"})
    assert status == 200, body
    assert body["reply_delivered_on"] == delivered.isoformat()
    until = limits.last_day(delivered, 30)
    assert body["review_window"] == {"kind": "review", "state": "open", "label": "可申请", "until": until.isoformat()}
    assert body["timeline"][-1]["action"] == "record_delivery"
    status, err = api("post", f"/petitions/{p.number}/actions/record_delivery", city.operator_a, {})
    assert status == 409
    assert api("post", f"/petitions/{p.number}/actions/record_delivery", city.operator_b, {})[0] == 404


def test_the_page_shows_pending_delivery_and_records_it(city, register, act):
    from django.test import Client
    from django.urls import reverse

    p, reply_day = _replied_by_the_real_clock(city, register, act)
    c = Client()
    c.force_login(city.operator_a)
    page = c.get(reverse("petitions:detail", args=[p.number])).content.decode()
    assert "待送达" in page and 'id="act-record_delivery"' in page and 'name="delivery_date"' in page
    resp = c.post(reverse("petitions:act", args=[p.number, "record_delivery"]), {"delivery_date": "2026-13-40"})
    assert resp.status_code == 400 and "日期格式无效" in resp.content.decode()
    resp = c.post(reverse("petitions:act", args=[p.number, "record_delivery"]),
                  {"delivery_date": reply_day.isoformat(), "note": "邮寄送达"})
    assert resp.status_code == 302
    page = c.get(reverse("petitions:detail", args=[p.number])).content.decode()
    until = limits.last_day(reply_day, 30)
    assert f"可申请至 {until.isoformat()}" in page and reply_day.isoformat() in page
    assert 'id="act-record_delivery"' not in page

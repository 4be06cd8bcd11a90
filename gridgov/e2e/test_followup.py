"""跟踪回访 and hotline callers in a real browser.

(a) A 12345 caller: the township operator records the call with the caller's name and phone; the caller
    (a citizen on a phone, no account) follows the case with the number the SMS gave them and the phone,
    and rates it 不满意 once it is closed; the operator is alerted, finds the case on 不满意待处理 and
    explains it, which takes it off the list.
(b) A grid worker's own report: after the close, the grid worker records a 回访 on the phone with the
    affected neighbour (who was asked), who is not satisfied; the operator reopens the case from the list.

Screenshots at 390 px (phone) and 1366 px (desk) when $GRIDGOV_E2E_SHOTS is set.
"""

from __future__ import annotations

import re

import pytest

from gridgov.core.models import Notification
from gridgov.events import services
from gridgov.events.models import Event, FollowUp, Status
from gridgov.events.taxonomy import install_default_categories
from gridgov.testing import make_city

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips every test here then
    expect = None

pytestmark = pytest.mark.e2e

CALLER = "13955550123"
MASKED = "139****0123"
DESK = {"width": 1366, "height": 900}


def close_by_services(city, event: Event) -> None:
    """The handling between intake and close is the loop test's (test_event_loop.py): here through the services."""
    for actor, action, raw in [(city.operator_a, "accept", {}), (city.operator_a, "dispatch", {"lead_department": "CG"}),
                               (city.liaison_cg, "sign", {}), (city.liaison_cg, "feedback", {"note": "已安排清运"}),
                               (city.operator_a, "verify_pass", {})]:
        services.perform_action(actor, Event.objects.get(pk=event.pk), action, raw)


def expect_message(page, text: str) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


def no_horizontal_scroll(page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "page scrolls sideways"


def test_a_hotline_caller_tracks_and_rates_and_the_operator_explains_the_dissatisfaction(pages):
    city = make_city()
    install_default_categories()
    operator = pages.open("op_a")
    operator.set_viewport_size(DESK)
    pages.login(operator, "op_a")

    # --- the operator records the call ----------------------------------------------------------
    operator.goto("/events/new/")
    caller_box = operator.locator(".caller")
    expect(caller_box).to_be_hidden()  # only for a hotline call
    operator.get_by_label("来源").select_option(label="热线")
    expect(caller_box).to_be_visible()
    operator.get_by_label("事件分类").select_option(label="道路保洁")
    operator.get_by_label("事件描述").fill("来电反映古城路东段人行道垃圾堆积三天无人清运")
    operator.locator("#id_lng").fill("116.005")
    operator.locator("#id_lat").fill("36.405")
    operator.get_by_label("地址").fill("古城路东段")
    operator.get_by_label("来电人姓名").fill("王女士")
    operator.get_by_label("来电人手机号").fill("1395555")  # a digit short: the field says so
    operator.get_by_role("button", name="提交上报").click()
    phone_field = operator.locator(".field.has-error", has=operator.get_by_label("来电人手机号"))
    expect(phone_field.locator(".error")).to_contain_text("请填写来电人的11位手机号码")
    expect(operator.locator(".caller")).to_be_visible()
    pages.shot(operator, "desk-hotline-error")
    operator.get_by_label("来电人手机号").fill(CALLER)
    pages.shot(operator, "desk-hotline-form")
    operator.get_by_role("button", name="提交上报").click()
    expect_message(operator, f"编号已发送至来电人 {MASKED}")
    number = re.search(r"事件编号：(\S+?)；", operator.locator(".messages").inner_text()).group(1)
    expect(operator.locator(".facts")).to_contain_text(f"王女士 {MASKED}")
    expect(operator.locator("main")).not_to_contain_text(CALLER)
    pages.shot(operator, "desk-hotline-recorded")

    # what the caller's phone received
    sms = Notification.objects.get(kind="hotline_receipt")
    assert sms.phone == CALLER and number in sms.body
    event = Event.objects.get(number=number)
    assert event.reporter_id is None and event.source == "hotline"

    # --- the caller follows the case on a phone -------------------------------------------------
    caller = pages.open("caller", phone=True)
    caller.goto(sms.link)
    expect(caller.get_by_label("事件编号")).to_have_value(number)
    caller.get_by_label("上报时填写的手机号").fill(CALLER)
    caller.get_by_role("button", name="查询", exact=True).click()
    track = caller.locator(".track")
    expect(track.locator("h2 .badge")).to_have_text("待受理")
    expect(caller.locator(".rate-form")).to_have_count(0)
    pages.shot(caller, "phone-caller-tracks")

    close_by_services(city, event)
    caller.get_by_role("button", name="查询", exact=True).click()
    expect(track.locator("h2 .badge")).to_have_text("已结案")
    rate = caller.locator(".rate-form")
    rate.get_by_label("不满意").check()
    rate.get_by_label("意见建议（可不填）").fill("只清了一半，路口还堆着")
    pages.shot(caller, "phone-caller-rates")
    no_horizontal_scroll(caller)
    rate.get_by_role("button", name="提交评价").click()
    expect(caller.locator(".alert-success")).to_contain_text("感谢您的评价")
    expect(caller.locator(".track")).to_contain_text("您的评价：不满意")

    # --- the operator is alerted and explains ---------------------------------------------------
    operator.goto("/notifications/")
    expect(operator.locator("main")).to_contain_text(f"群众评价不满意，请处理：{number}")
    pages.shot(operator, "desk-alert")
    operator.goto("/events/")
    chip = operator.get_by_test_id("chip-unsatisfied")
    expect(chip).to_contain_text("不满意待处理 1")
    chip.click()
    expect(operator.get_by_test_id("worklist-count")).to_have_text("1")
    pages.shot(operator, "desk-unsatisfied-list")
    operator.locator("table.events").get_by_role("link", name=number).click()
    expect(operator.get_by_test_id("unsatisfied-pending")).to_be_visible()
    explain = operator.locator("#act-explain_dissatisfaction")
    explain.locator("summary").click()
    explain.get_by_label("情况说明").fill("已电话向王女士说明：路口垃圾属另一清运片区，已转告并于当日清运")
    pages.shot(operator, "desk-explain")
    explain.get_by_role("button", name="确认不满意情况说明").click()
    expect_message(operator, "操作成功：不满意情况说明")
    expect(operator.get_by_test_id("unsatisfied-pending")).to_have_count(0)
    operator.goto("/events/?rating=unsatisfied_pending")
    expect(operator.get_by_test_id("worklist-count")).to_have_text("0")

    # the operator's pages at phone width too
    operator.set_viewport_size({"width": 390, "height": 844})
    operator.goto(f"/events/{number}/")
    no_horizontal_scroll(operator)
    pages.shot(operator, "phone-operator-explained")
    event.refresh_from_db()
    assert event.status == Status.CLOSED and event.rating == "unsatisfied" and not event.dissatisfaction_pending
    pages.assert_clean()


def test_a_grid_worker_records_a_follow_up_with_the_neighbour_and_the_operator_reopens(pages):
    city = make_city()
    install_default_categories()
    event, _ = services.create_event(city.worker_a, services.EventInput(
        category="0301", description="古城路东段人行道垃圾堆积", lng=116.005, lat=36.405, address="古城路东段"))
    close_by_services(city, event)

    worker = pages.open("worker_a", phone=True)
    pages.login(worker, "worker_a")
    worker.goto(f"/events/{event.number}/")
    fu = worker.locator("#act-follow_up")
    fu.locator("summary").click()
    fu.get_by_label("回访方式").select_option(label="上门回访")
    fu.get_by_label("其他当事人").check()
    fu.get_by_label("不满意").check()
    fu.get_by_label("回访情况").fill("走访路边商户，反映垃圾清运后又有堆积")
    fu.get_by_role("button", name="确认回访").click()  # no name: the field says what is missing
    name_field = fu.locator(".field.has-error", has=worker.get_by_label("受访人姓名"))
    expect(name_field.locator(".error")).to_contain_text("请填写受访人姓名")
    pages.shot(worker, "phone-followup-error")
    fu = worker.locator("#act-follow_up")
    fu.get_by_label("受访人姓名").fill("李老板")
    fu.get_by_label("与事件关系").fill("路边商户")
    fu.get_by_label("回访情况").fill("走访路边商户，反映垃圾清运后又有堆积")
    pages.shot(worker, "phone-followup-form")
    no_horizontal_scroll(worker)
    fu.get_by_role("button", name="确认回访").click()
    expect_message(worker, "操作成功：回访")
    box = worker.get_by_test_id("followups")
    expect(box).to_contain_text("上门回访")
    expect(box).to_contain_text("李老板")
    expect(box).to_contain_text("路边商户")
    expect(worker.get_by_test_id("effective-rating")).to_contain_text("不满意")
    pages.shot(worker, "phone-followup-recorded")

    operator = pages.open("op_a")
    operator.set_viewport_size(DESK)
    pages.login(operator, "op_a")
    operator.goto("/notifications/")
    expect(operator.locator("main")).to_contain_text(f"回访不满意，请处理：{event.number}")
    operator.goto("/events/?rating=unsatisfied_pending")
    operator.locator("table.events").get_by_role("link", name=event.number).click()
    pages.shot(operator, "desk-followup-case")
    reopen = operator.locator("#act-reopen")
    reopen.locator("summary").click()
    reopen.get_by_label("重启原因").fill("回访不满意，重新派遣清运")
    reopen.get_by_role("button", name="确认重启").click()
    expect_message(operator, "操作成功：重启")
    operator.goto("/events/?rating=unsatisfied_pending")
    expect(operator.get_by_test_id("worklist-count")).to_have_text("0")

    event.refresh_from_db()
    f = FollowUp.objects.get(event=event)
    assert (f.respondent, f.respondent_name, f.relationship, f.satisfaction, f.by) == (
        "other", "李老板", "路边商户", "unsatisfied", city.worker_a)
    assert event.status == Status.ACCEPTED and event.reopen_count == 1 and not event.dissatisfaction_pending
    pages.assert_clean()

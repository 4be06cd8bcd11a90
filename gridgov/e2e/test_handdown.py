"""Hand-down in a real browser: a citizen's report without GPS lands at the city center; the city's operator
(at a desk) hands it down to a township center; the township's operator (on a phone) finds it in the worklist
and accepts it. On the way, the citizen's first try with a point far outside the city is refused at the
location field, and the township opens the place-correction form (its map must draw in an opened action).
"""

from __future__ import annotations

import pytest

from gridgov.core.models import Notification
from gridgov.events.models import Event, Status
from gridgov.events.taxonomy import install_default_categories
from gridgov.testing import make_city

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips every test here then
    expect = None

pytestmark = pytest.mark.e2e

DESK = {"width": 1366, "height": 900}


def expect_message(page, text: str) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


def test_a_city_case_is_handed_down_to_a_township_which_accepts_it(pages):
    city = make_city()
    install_default_categories()

    # --- a citizen reports from a phone: first with a point in Beijing, then without a point -------------
    citizen = pages.open("citizen", phone=True)
    citizen.goto("/citizen/report/")
    citizen.get_by_label("事件分类").select_option(label="道路保洁")
    citizen.get_by_label("事件描述").fill("古楼路12号门口垃圾堆积多日无人清运")
    citizen.locator("#id_lng").fill("116.40")
    citizen.locator("#id_lat").fill("39.90")
    citizen.get_by_label("地址").fill("古楼路12号门口")
    citizen.get_by_label("手机号码").fill("13800001234")
    citizen.get_by_role("button", name="提交", exact=True).click()
    location = citizen.locator("fieldset.field.location")
    expect(location).to_have_class("field location has-error")
    expect(location.locator(".error")).to_contain_text("该位置不在本市范围内")
    pages.shot(citizen, "citizen-out-of-city")
    assert not Event.objects.exists()
    citizen.locator("#id_lng").fill("")
    citizen.locator("#id_lat").fill("")
    citizen.get_by_role("button", name="提交", exact=True).click()
    expect(citizen.get_by_role("heading", name="提交成功")).to_be_visible()
    number = citizen.locator("#tracking-number").inner_text().strip()
    event = Event.objects.get(number=number)
    assert event.center_id == city.city.pk and event.grid_id is None

    # --- the city's operator, at a desk, hands it down to 古楼街道 --------------------------------------
    op_city = pages.open("op_city")
    op_city.set_viewport_size(DESK)
    pages.login(op_city, "op_city")
    op_city.goto("/events/")
    row = op_city.locator("table.events tbody tr", has=op_city.get_by_role("link", name=number))
    expect(row.get_by_test_id("status-badge")).to_have_text("待受理")
    row.get_by_role("link", name=number).click()
    expect(op_city.locator(".facts")).to_contain_text("聊城市综治中心")
    hand_down = op_city.locator("#act-hand_down")
    hand_down.locator("summary").click()
    hand_down.get_by_label("下派至").select_option(label="东昌府区 · 古楼街道综治中心")
    reason = hand_down.get_by_label("下派理由")
    expect(reason).to_have_attribute("required", "")  # a hand-down needs its reason
    reason.fill("请古楼街道核实后受理")
    pages.shot(op_city, "city-hand-down-form")
    hand_down.get_by_role("button", name="确认下派").click()
    expect_message(op_city, "操作成功：下派")
    expect(op_city.locator(".facts")).to_contain_text("古楼街道综治中心")
    entry = op_city.get_by_test_id("timeline").locator("li.tl-hand_down")
    expect(entry).to_contain_text("请古楼街道核实后受理")
    expect(entry.locator(".tl-data")).to_contain_text("古楼街道综治中心")
    expect(op_city.locator("#act-hand_down")).to_have_count(0)  # no longer the city's to route
    pages.shot(op_city, "city-handed-down")

    # --- the township's operator, on a phone, finds it in the worklist and accepts it --------------------
    op_a = pages.open("op_a", phone=True)
    pages.login(op_a, "op_a")
    op_a.goto("/events/")
    row = op_a.locator("table.events tbody tr", has=op_a.get_by_role("link", name=number))
    expect(row.get_by_test_id("status-badge")).to_have_text("待受理")
    pages.shot(op_a, "township-worklist")
    row.get_by_role("link", name=number).click()
    expect(op_a.get_by_test_id("timeline")).to_contain_text("下派")
    relocate = op_a.locator("#act-relocate")
    relocate.locator("summary").click()
    relocate_map = relocate.locator("#relocate-map")
    expect(relocate_map).to_be_visible()
    expect(relocate_map.locator(".leaflet-overlay-pane path").first).to_be_attached()  # the township's grids
    assert relocate_map.bounding_box()["height"] > 100
    pages.shot(op_a, "township-relocate-form")
    relocate.locator("summary").click()
    op_a.locator("#act-accept").get_by_role("button", name="受理", exact=True).click()
    expect_message(op_a, "操作成功：受理")
    expect(op_a.get_by_test_id("event-head").get_by_test_id("status-badge")).to_have_text("已受理")
    pages.shot(op_a, "township-accepted")

    # --- and, having found the place, corrects it by tapping the grid on the form's map ------------------
    relocate = op_a.locator("#act-relocate")
    relocate.locator("summary").click()
    picker = relocate.locator("#relocate-map")
    label = picker.locator(".leaflet-tooltip", has_text="古城社区第二网格")
    expect(label).to_be_visible()
    picker.scroll_into_view_if_needed()
    # the point typed into the form's coordinates (the map follows and names the grid there); tapping a map is
    # walked in test_citizen_forms — here a tap raced the opened map's pan to its grids on a loaded machine
    relocate.locator("#relocate-lng").fill("116.015")
    relocate.locator("#relocate-lat").fill("36.405")
    relocate.locator("#relocate-lat").dispatch_event("change")
    expect(relocate.locator("#relocate-lng")).not_to_have_value("")
    expect(relocate.locator("#relocate-status")).to_contain_text("所在网格：古城社区第二网格（371502001001002）")
    expect(relocate.get_by_label("更正原因")).to_have_attribute("required", "")
    relocate.get_by_label("更正原因").fill("现场核实在古城社区第二网格")
    relocate.get_by_role("button", name="确认更正位置").click()
    expect_message(op_a, "操作成功：更正位置")
    expect(op_a.locator(".facts")).to_contain_text("古城社区第二网格")
    corrected = op_a.get_by_test_id("timeline").locator("li.tl-relocate .tl-data")
    expect(corrected).to_contain_text("更正前")
    expect(corrected).to_contain_text("古楼街道")
    expect(corrected).to_contain_text("古城社区第二网格")
    pages.shot(op_a, "township-relocated")
    op_a.set_viewport_size(DESK)
    op_a.locator("#act-relocate summary").click()
    pages.shot(op_a, "township-relocate-form-desk")

    event = Event.objects.get(number=number)
    assert event.status == Status.ACCEPTED and event.center_id == city.township_a.pk
    assert event.grid_id == city.grid_a2.pk and event.region_id == city.community_a.pk
    assert list(event.log.order_by("created_at", "pk").values_list("action", flat=True)) == [
        "report", "hand_down", "accept", "relocate"]
    assert Notification.objects.filter(recipient=city.operator_a, kind="hand_down").count() == 1
    pages.assert_clean()

"""Citizens' forms in a real browser, on a map without tiles: a citizen applies for mediation choosing the
community (no GPS; by the cascade and by finding the place by name), reports an event by tapping the map and sees
the grid the point is in, and a bad submission is told next to the field.  Phone (390) and desk (1366) sizes."""

from __future__ import annotations

import re

import pytest

from gridgov.disputes.models import Dispute
from gridgov.events.models import Event
from gridgov.events.taxonomy import install_default_categories
from gridgov.regions import outlines
from gridgov.testing import make_city

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips every test here then
    expect = None

pytestmark = pytest.mark.e2e

DESK = {"width": 1366, "height": 900}


@pytest.fixture(autouse=True)
def _fresh_outlines(settings):
    # the deployment's map centre (GRIDGOV_MAP_CENTER) on the test city's grids
    settings.GRIDGOV = {**settings.GRIDGOV, "MAP_CENTER": "116.01,36.405"}
    outlines.invalidate()
    yield
    outlines.invalidate()


def fill_application(page, description="邻居装修噪音扰民，多次协商无果"):
    page.get_by_label("您的姓名").fill("王五")
    page.get_by_label("手机号").first.fill("13900000009")
    page.get_by_label("纠纷类型").select_option("neighbor")
    page.get_by_label("纠纷简要情况").fill(description)
    page.get_by_label("当事人1姓名").fill("王五")
    page.get_by_label("当事人2姓名").fill("赵六")


def error_next_to(page, locator_css: str):
    return page.locator(f"{locator_css} .error")


@pytest.mark.parametrize("phone", [True, False], ids=["phone", "desk"])
def test_a_citizen_applies_for_mediation_choosing_the_community_without_gps(pages, phone):
    make_city()
    page = pages.open("citizen", phone=phone)
    if not phone:
        page.set_viewport_size(DESK)
    page.goto("/disputes/apply/")
    expect(page.get_by_role("heading", name="申请人民调解")).to_be_visible()
    fill_application(page)

    # first without any place: the message is next to the region cascade, nothing is registered
    page.get_by_role("button", name="提交申请").click()
    cascade = page.locator(".region-cascade")
    expect(cascade).to_have_class(re.compile(r"has-error"))
    expect(cascade.locator(".error")).to_have_text("请选择纠纷发生地所属区划或在地图上选点")
    pages.shot(page, "apply-error")
    assert Dispute.objects.count() == 0

    # the form came back filled; the map shows community outlines and names without tiles
    expect(page.get_by_label("纠纷简要情况")).to_have_value("邻居装修噪音扰民，多次协商无果")
    expect(page.locator("#pick-map .community-label", has_text="古城社区")).to_be_visible()

    # choose county → township → community (each next list filled from the regions API)
    page.get_by_label("县(区)").select_option(label="东昌府区")
    expect(page.get_by_label("乡镇(街道)").locator("option", has_text="古楼街道")).to_have_count(1)
    page.get_by_label("乡镇(街道)").select_option(label="古楼街道")
    expect(page.get_by_label("村(社区)").locator("option", has_text="古城社区居委会")).to_have_count(1)
    page.get_by_label("村(社区)").select_option(label="古城社区居委会")
    pages.shot(page, "apply-cascade")
    page.get_by_role("button", name="提交申请").click()

    expect(page.locator("main")).to_contain_text("JF")
    d = Dispute.objects.get()
    assert (d.region.code, d.center.code, d.lng) == ("371502001001", "371502001", None)
    pages.shot(page, "apply-done")
    pages.assert_clean()


def test_finding_a_place_by_name_chooses_its_community_and_moves_the_map(pages):
    make_city()
    page = pages.open("citizen", phone=True)
    page.goto("/disputes/apply/")
    fill_application(page)

    search = page.get_by_label("搜索地名、小区或网格")
    search.fill("柳园社区")
    result = page.locator("#place-results").get_by_role("button", name="柳园社区居委会 柳园街道")
    expect(result).to_be_visible()
    pages.shot(page, "search-results")
    search.press("Enter")  # the first result; the form is not submitted
    expect(page.get_by_label("村(社区)")).to_have_value("371502002001")
    expect(page.get_by_label("乡镇(街道)")).to_have_value("371502002")
    expect(page.locator("#pick-map .grid-label", has_text="柳园社区第一网格")).to_be_visible()
    assert Dispute.objects.count() == 0
    page.get_by_role("button", name="提交申请").click()

    expect(page.locator("main")).to_contain_text("JF")
    assert Dispute.objects.get().region.code == "371502002001"
    pages.assert_clean()


@pytest.mark.parametrize("phone", [True, False], ids=["phone", "desk"])
def test_a_citizen_reports_an_event_tapping_the_map_and_sees_the_grid(pages, phone):
    make_city()
    install_default_categories()
    page = pages.open("citizen", phone=phone)
    if not phone:
        page.set_viewport_size(DESK)
    page.goto("/citizen/report/")
    expect(page.get_by_role("heading", name="我要反映")).to_be_visible()

    # a bad submission first: each message next to its field
    page.get_by_label("事件描述").fill("短")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator(".field.has-error", has=page.get_by_label("事件分类")).locator(".error")).to_be_visible()
    expect(page.locator(".field.has-error", has=page.get_by_label("事件描述")).locator(".error")).to_be_visible()
    expect(page.locator(".field.has-error", has=page.get_by_label("手机号码")).locator(".error")).to_be_visible()
    pages.shot(page, "report-errors")
    assert Event.objects.count() == 0

    page.get_by_label("事件分类").select_option(label="道路保洁")
    page.get_by_label("事件描述").fill("小区门口垃圾桶满溢多日无人清运")
    page.get_by_label("搜索地名、小区或网格").fill("古城社区第二网格")
    page.locator("#place-results .place-result", has_text="古城社区第二网格").click()
    picker = page.locator("#pick-map")
    label = picker.locator(".grid-label", has_text="古城社区第二网格")
    expect(label).to_be_visible()
    page.wait_for_function("() => !document.querySelector('#pick-map.leaflet-zoom-anim')")
    picker.scroll_into_view_if_needed()
    box = label.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + 12
    if phone:
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)
    expect(page.locator("#id_lng")).not_to_have_value("")
    expect(page.locator("fieldset.location > .error")).to_have_count(0)  # the point answers "where"
    expect(page.get_by_test_id("picked-grid")).to_have_text("所在网格：古城社区第二网格（371502001001002） · 古城社区居委会")
    page.get_by_label("手机号码").fill("13800001234")
    pages.shot(page, "report-picked")
    page.get_by_role("button", name="提交", exact=True).click()

    expect(page.get_by_role("heading", name="提交成功")).to_be_visible()
    event = Event.objects.get()
    assert event.grid.code == "371502001001002"
    pages.assert_clean()

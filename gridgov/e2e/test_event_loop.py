"""The closed loop in a real browser: a grid worker reports from a phone, the township center accepts
and dispatches, the department's liaison signs and feeds back, the center verifies and the worker
rates — each in their own browser context, through the pages only.  Plus the scope check (another
township's operator gets the 404 page) and a citizen's report and tracking without an account.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re

import pytest
from PIL import Image

from gridgov.events import services
from gridgov.events.models import Attachment, Event, Rating, Status
from gridgov.events.taxonomy import install_default_categories
from gridgov.testing import make_city

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips every test here then
    expect = None

pytestmark = pytest.mark.e2e

# what the event page's timeline shows for each log action, in the order of the loop
LOOP = [
    ("report", "上报", "待受理"),
    ("accept", "受理", "已受理"),
    ("dispatch", "派遣", "待签收"),
    ("sign", "签收", "处置中"),
    ("feedback", "反馈处置结果", "待核查"),
    ("verify_pass", "核查通过", "已结案"),
    ("rate", "评价", "已结案"),
]
GRID_A1_LNG = (116.00, 116.01)
GRID_A1_LAT = (36.40, 36.41)


def photo_bytes(page, text: str) -> bytes:
    """A real (decodable) small JPEG, drawn by the browser's canvas."""
    data_url = page.evaluate(
        """(text) => {
            const c = document.createElement("canvas");
            c.width = 160; c.height = 120;
            const g = c.getContext("2d");
            g.fillStyle = "#8a8f95"; g.fillRect(0, 0, 160, 120);
            g.fillStyle = "#3c8d63"; g.fillRect(0, 80, 160, 40);
            g.fillStyle = "#ffffff"; g.font = "16px sans-serif"; g.fillText(text, 10, 40);
            return c.toDataURL("image/jpeg", 0.8);
        }""",
        text,
    )
    data = base64.b64decode(data_url.split(",", 1)[1])
    assert data[:3] == b"\xff\xd8\xff", "the canvas did not produce a JPEG"
    return data


def status_of(page):
    return page.get_by_test_id("event-head").get_by_test_id("status-badge")


def timeline_of(page):
    return page.get_by_test_id("timeline").locator(".tl-head > strong")


def expect_state(page, steps: int) -> None:
    """The event page shows the state after the first ``steps`` steps of the loop, and those steps."""
    expect(status_of(page)).to_have_text(LOOP[steps - 1][2])
    expect(timeline_of(page)).to_have_text([label for _a, label, _s in LOOP[:steps]])


def expect_message(page, text: str) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


def click_on_grid(page, grid_name: str) -> tuple[float, float]:
    """Click the report form's map inside the grid drawn with ``grid_name`` (its label marks its
    centre); return the longitude and latitude the form took from the click."""
    picker = page.locator("#pick-map")
    label = picker.locator(".leaflet-tooltip", has_text=grid_name)
    expect(label).to_be_visible()  # the grid layer came from the API and the map fitted it
    picker.scroll_into_view_if_needed()
    page.wait_for_function("() => !document.querySelector('#pick-map.leaflet-zoom-anim')")
    box = label.bounding_box()
    map_box = picker.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    assert map_box["x"] < x < map_box["x"] + map_box["width"] and map_box["y"] < y < map_box["y"] + map_box["height"]
    page.touchscreen.tap(x, y)  # labels let clicks through to the map (pointer-events: none)
    lng_input, lat_input = page.locator("#id_lng"), page.locator("#id_lat")
    expect(lng_input).not_to_have_value("")
    expect(picker.locator(".leaflet-marker-icon")).to_have_count(1)
    return float(lng_input.input_value()), float(lat_input.input_value())


def test_grid_worker_operator_and_liaison_carry_one_event_from_report_to_rating(pages, tmp_path):
    city = make_city()
    install_default_categories()

    worker = pages.open("worker_a", phone=True)
    operator = pages.open("op_a")
    liaison = pages.open("liaison_cg")

    # --- the grid worker reports from the phone ------------------------------------------------
    pages.login(worker, "worker_a")
    assert worker.url.endswith("/events/mine/")
    photo = tmp_path / "现场-道路垃圾.jpg"
    photo.write_bytes(photo_bytes(worker, "road"))
    pages.menu(worker).get_by_role("link", name="上报事件").click()
    expect(worker.get_by_role("heading", name="上报事件", exact=True)).to_be_visible()
    # static files are served: Leaflet, htmx and the stylesheet
    worker.wait_for_load_state("load")
    assert worker.evaluate("() => [typeof window.L, typeof window.htmx]") == ["object", "object"]
    assert (
        worker.evaluate(
            "() => [...document.styleSheets].filter(s => /gridgov\\.css|leaflet\\.css/.test(s.href || '')"
            " && s.cssRules.length > 0).length"
        )
        == 2
    )

    category = worker.get_by_label("事件分类")
    expect(category.locator("optgroup[label='城市管理'] option[value='0301']")).to_have_text("道路保洁")
    category.select_option(label="道路保洁")
    worker.get_by_label("事件描述").fill("古城路东段人行道上堆放大量生活垃圾，影响通行")
    lng, lat = click_on_grid(worker, "古城社区第一网格")
    assert GRID_A1_LNG[0] < lng < GRID_A1_LNG[1] and GRID_A1_LAT[0] < lat < GRID_A1_LAT[1], (lng, lat)
    worker.get_by_label("地址").fill("古城路东段")
    worker.locator("#id_attachments").set_input_files(str(photo))
    pages.shot(worker, "report-form")
    worker.get_by_role("button", name="提交上报").click()

    expect_message(worker, "上报成功")
    message = worker.locator(".messages").inner_text()
    number = re.search(r"事件编号：(\S+)", message).group(1)
    expect(worker.get_by_test_id("event-number")).to_have_text(number)
    assert worker.url.endswith(f"/events/{number}/")
    expect_state(worker, 1)
    expect(worker.locator(".facts")).to_contain_text("古城社区第一网格")
    thumb = worker.locator(".ev-desc + .attachments img")
    expect(thumb).to_have_count(1)
    thumb.scroll_into_view_if_needed()
    worker.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    pages.shot(worker, "reported")

    # --- the township operator accepts and dispatches ------------------------------------------
    pages.login(operator, "op_a")
    assert operator.url.endswith("/events/")
    row = operator.locator("table.events tbody tr", has=operator.get_by_role("link", name=number))
    expect(row.get_by_test_id("status-badge")).to_have_text("待受理")
    pages.shot(operator, "worklist")
    row.get_by_role("link", name=number).click()
    expect_state(operator, 1)
    operator.locator("#act-accept").get_by_role("button", name="受理", exact=True).click()
    expect_message(operator, "操作成功：受理")
    expect_state(operator, 2)

    dispatch = operator.locator("#act-dispatch")
    dispatch.locator("summary").click()
    dispatch.get_by_label("主办部门").select_option(label="区城管局")
    dispatch.get_by_label("派遣意见").fill("请区城管局安排环卫人员清理")
    pages.shot(operator, "dispatch-form")
    dispatch.get_by_role("button", name="确认派遣").click()
    expect_message(operator, "操作成功：派遣")
    expect_state(operator, 3)
    expect(operator.locator(".facts")).to_contain_text("区城管局")

    # --- the department's liaison signs and feeds back -----------------------------------------
    pages.login(liaison, "liaison_cg")
    assert "/inbox/" in liaison.url
    expect(liaison.locator(".tabs .tab.active")).to_contain_text("待签收")
    pages.shot(liaison, "inbox")
    liaison.locator("table.events").get_by_role("link", name=number).click()
    expect_state(liaison, 3)
    liaison.locator("#act-sign").get_by_role("button", name="签收", exact=True).click()
    expect_message(liaison, "操作成功：签收")
    expect_state(liaison, 4)

    feedback = liaison.locator("#act-feedback")
    feedback.locator("summary").click()
    feedback.get_by_label("处置结果").fill("已安排环卫人员清运垃圾，人行道恢复通行")
    pages.shot(liaison, "feedback-form")
    feedback.get_by_role("button", name="确认反馈处置结果").click()
    expect_message(liaison, "操作成功：反馈处置结果")
    expect_state(liaison, 5)

    # --- the operator verifies ------------------------------------------------------------------
    operator.reload()
    expect_state(operator, 5)
    operator.locator("#act-verify_pass").get_by_role("button", name="核查通过").click()
    expect_message(operator, "操作成功：核查通过")
    expect_state(operator, 6)
    expect(operator.locator("#act-verify_pass")).to_have_count(0)
    pages.shot(operator, "closed")

    # --- the grid worker rates ------------------------------------------------------------------
    pages.menu(worker).get_by_role("link", name="我的上报").click()
    worker.get_by_role("link", name=number).click()
    expect_state(worker, 6)
    rate = worker.locator("#act-rate")
    rate.locator("summary").click()
    rate.get_by_label("满意", exact=True).check()
    rate.get_by_label("评价意见").fill("处理及时，很满意")
    pages.shot(worker, "rate-form")
    rate.get_by_role("button", name="确认评价").click()
    expect_message(worker, "操作成功：评价")
    expect_state(worker, 7)
    expect(worker.locator(".facts")).to_contain_text("满意：处理及时，很满意")
    expect(worker.locator("#act-rate")).to_have_count(0)
    pages.shot(worker, "rated")

    # --- what the database holds ----------------------------------------------------------------
    event = Event.objects.get(number=number)
    assert event.status == Status.CLOSED
    assert event.rating == Rating.SATISFIED
    assert event.reporter_id == city.worker_a.pk
    assert event.grid_id == city.grid_a1.pk and event.center_id == city.township_a.pk
    assert event.lead_department_id == city.dept_cg.pk
    assert list(event.log.order_by("created_at", "pk").values_list("action", flat=True)) == [a for a, _l, _s in LOOP]
    (att,) = Attachment.objects.filter(event=event)
    assert att.kind == Attachment.Kind.PHOTO and att.log_id is None
    # stored re-encoded (Pillow): the same picture, described by the bytes that are kept
    with att.file.open("rb") as f:
        stored = f.read()
    assert att.sha256 == hashlib.sha256(stored).hexdigest() and att.size == len(stored)
    assert att.content_type == "image/jpeg" and Image.open(io.BytesIO(stored)).size == (160, 120)
    pages.assert_clean()


def test_another_township_operator_gets_a_404_page_for_the_event(pages):
    city = make_city()
    install_default_categories()
    data = services.EventInput(category="0301", description="路面有大量垃圾未清理", lng=116.005, lat=36.405)
    event, _ = services.create_event(city.worker_a, data)
    assert event.center_id == city.township_a.pk

    page = pages.open("op_b")
    pages.login(page, "op_b")
    expect(page.locator("table.events")).not_to_contain_text(event.number)
    response = page.goto(f"/events/{event.number}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="未找到")).to_be_visible()
    expect(page.locator("main")).to_contain_text("未找到该事件，或该事件不在您的管辖范围内")
    expect(page.locator("main")).not_to_contain_text("路面有大量垃圾未清理")
    pages.shot(page, "not-found")
    pages.assert_clean()


def test_citizen_reports_without_an_account_and_tracks_the_case(pages):
    make_city()
    install_default_categories()

    page = pages.open("citizen", phone=True)
    page.goto("/citizen/report/")
    expect(page.get_by_role("heading", name="我要反映")).to_be_visible()
    page.get_by_label("事件分类").select_option(label="道路保洁")
    page.get_by_label("事件描述").fill("小区门口垃圾桶满溢多日无人清运")
    page.locator("#id_lng").fill("116.005")
    page.locator("#id_lat").fill("36.405")
    page.get_by_label("地址").fill("古城社区北门")
    page.get_by_label("手机号码").fill("13800001234")
    pages.shot(page, "citizen-form")
    page.get_by_role("button", name="提交", exact=True).click()

    expect(page.get_by_role("heading", name="提交成功")).to_be_visible()
    number = page.locator("#tracking-number").inner_text().strip()
    assert re.fullmatch(r"[A-Z]+\d+", number), number
    expect(page.locator("main")).to_contain_text("138****1234")
    pages.shot(page, "citizen-done")

    page.get_by_role("link", name="查询进度").first.click()
    expect(page.get_by_label("事件编号")).to_have_value(number)
    page.get_by_label("上报时填写的手机号").fill("13800001234")
    page.get_by_role("button", name="查询", exact=True).click()
    track = page.locator(".track")
    expect(track.get_by_role("heading", level=2)).to_contain_text(number)
    expect(track.locator("h2 .badge")).to_have_text("待受理")
    expect(track.locator(".timeline")).to_contain_text("上报")
    pages.shot(page, "citizen-track")

    event = Event.objects.get(number=number)
    assert event.status == Status.REPORTED and event.reporter_id is None
    assert event.reporter_phone == "13800001234"
    pages.assert_clean()

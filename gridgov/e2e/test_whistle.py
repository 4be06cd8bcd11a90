"""吹哨报到 in a real browser: the township operator dispatches a case to 城管 with 住建 and 公安 assisting; each
assisting liaison (one on a phone, one at a desk) finds it in the inbox, reports in (报到) and records the
department's part (协办反馈) with a photo; the lead's liaison signs, sees their parts and feeds back; the
operator sees who reported in and what each did — each in their own browser context, through the pages only.
"""

from __future__ import annotations

import pytest

from gridgov.accounts.models import Department, User
from gridgov.e2e.test_event_loop import expect_message, photo_bytes
from gridgov.events import services
from gridgov.events.models import Assist, Event, Status
from gridgov.events.taxonomy import install_default_categories
from gridgov.testing import PASSWORD, make_city

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips every test here then
    expect = None

pytestmark = pytest.mark.e2e

DESK = {"width": 1366, "height": 900}


def report_in_and_record(pages, page, username: str, number: str, part: str, photo) -> None:
    """An assisting liaison: the inbox, 报到, then 协办反馈 with a photo."""
    pages.login(page, username)
    assert "/inbox/" in page.url
    expect(page.locator(".tabs .tab.active")).to_contain_text("待签收/报到")
    row = page.locator("table.events tbody tr", has=page.get_by_role("link", name=number))
    expect(row).to_contain_text("协办")
    expect(row).to_contain_text("报到时限")
    pages.shot(page, f"{username}-inbox")
    row.get_by_role("link", name=number).click()
    expect(page.get_by_test_id("event-number")).to_have_text(number)
    pages.shot(page, f"{username}-called")
    page.locator("#act-report_in").get_by_role("button", name="报到(协办)").click()
    expect_message(page, "操作成功：报到(协办)")
    form = page.locator("#act-assist_feedback")
    form.locator("summary").click()
    form.get_by_label("协办情况").fill(part)
    form.locator("input[type=file]").set_input_files(str(photo))
    pages.shot(page, f"{username}-feedback-form")
    form.get_by_role("button", name="确认协办反馈").click()
    expect_message(page, "操作成功：协办反馈")
    expect(page.locator("#act-assist_feedback")).to_have_count(0)
    panel = page.get_by_test_id("assists")
    expect(panel).to_contain_text(part)
    pages.shot(page, f"{username}-done")


def test_whistle_two_departments_report_in_and_record_their_parts(pages, tmp_path):
    city = make_city()
    install_default_categories()
    ga = Department.objects.create(code="GA", name="区公安分局", region=city.county)
    User.objects.create_user("liaison_ga", password=PASSWORD, role=User.Role.LIAISON, department=ga,
                             full_name="公安联络员")
    data = services.EventInput(category="0302", description="古城路12号院内私搭乱建彩钢房，占用消防通道", lng=116.005,
                               lat=36.405, address="古城路12号")
    event, _ = services.create_event(city.worker_a, data)
    number = event.number

    operator = pages.open("op_a")
    operator.set_viewport_size(DESK)
    zj = pages.open("liaison_zj", phone=True)
    ga_page = pages.open("liaison_ga")
    ga_page.set_viewport_size(DESK)
    lead = pages.open("liaison_cg", phone=True)

    # --- the operator accepts and blows the whistle ---------------------------------------------
    pages.login(operator, "op_a")
    operator.goto(f"/events/{number}/")
    operator.locator("#act-accept").get_by_role("button", name="受理", exact=True).click()
    expect_message(operator, "操作成功：受理")
    dispatch = operator.locator("#act-dispatch")
    dispatch.locator("summary").click()
    dispatch.get_by_label("主办部门").select_option(label="区城管局")
    dispatch.get_by_label("区住建局").check()
    dispatch.get_by_label("区公安分局").check()
    dispatch.get_by_label("派遣意见").fill("城管牵头拆除，住建认定违建，公安维持现场秩序")
    pages.shot(operator, "dispatch-form")
    dispatch.get_by_role("button", name="确认派遣").click()
    expect_message(operator, "操作成功：派遣")
    panel = operator.get_by_test_id("assists")
    expect(panel.get_by_test_id("assist-ZJ")).to_contain_text("待报到")
    expect(panel.get_by_test_id("assist-GA")).to_contain_text("待报到")
    pages.shot(operator, "whistled")

    # --- each assisting department reports in and records its part ------------------------------
    zj_photo, ga_photo = tmp_path / "住建-认定.jpg", tmp_path / "公安-现场.jpg"
    zj_photo.write_bytes(photo_bytes(zj, "zj"))
    ga_photo.write_bytes(photo_bytes(ga_page, "ga"))
    report_in_and_record(pages, zj, "liaison_zj", number, "经现场核查，该彩钢房未取得规划许可，认定为违法建设", zj_photo)
    report_in_and_record(pages, ga_page, "liaison_ga", number, "派民警到场维持秩序，劝导当事人配合拆除", ga_photo)

    # --- the lead signs, sees their parts, and feeds back ---------------------------------------
    pages.login(lead, "liaison_cg")
    lead.locator("table.events").get_by_role("link", name=number).click()
    lead.locator("#act-sign").get_by_role("button", name="签收", exact=True).click()
    expect_message(lead, "操作成功：签收")
    panel = lead.get_by_test_id("assists")
    expect(panel.get_by_test_id("assist-ZJ")).to_contain_text("认定为违法建设")
    expect(panel.get_by_test_id("assist-GA")).to_contain_text("维持秩序")
    expect(panel.locator(".attachments img")).to_have_count(2)
    feedback = lead.locator("#act-feedback")
    feedback.locator("summary").click()
    feedback.get_by_label("处置结果").fill("会同住建、公安拆除违建彩钢房，消防通道已恢复畅通")
    pages.shot(lead, "lead-feedback-form")
    feedback.get_by_role("button", name="确认反馈处置结果").click()
    expect_message(lead, "操作成功：反馈处置结果")
    pages.shot(lead, "lead-fed-back")

    # --- the operator sees who reported in and what each did --------------------------------------
    operator.reload()
    panel = operator.get_by_test_id("assists")
    for code in ("ZJ", "GA"):
        row = panel.get_by_test_id(f"assist-{code}")
        expect(row).to_contain_text("已协办反馈")
        expect(row).to_contain_text("按时")
    expect(panel.locator(".attachments img")).to_have_count(2)
    for img in panel.locator(".attachments img").all():
        img.scroll_into_view_if_needed()
        operator.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    pages.shot(operator, "who-reported-in")
    operator.set_viewport_size({"width": 390, "height": 844})
    pages.shot(operator, "who-reported-in-narrow")

    event = Event.objects.get(number=number)
    assert event.status == Status.HANDLED
    calls = {a.department.code: a for a in Assist.objects.filter(event=event)}
    assert set(calls) == {"ZJ", "GA"}
    assert all(a.reported_on_time and a.feedback_on_time and a.feedback_log_id for a in calls.values())
    pages.assert_clean()

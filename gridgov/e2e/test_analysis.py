"""一分析三报告 in a real browser: a county operator opens the month's analysis from the menu, drafts the three
reports, edits a section of the 矛盾纠纷 report, sends it (the form is gone, the page says 已报送) and downloads
the DOCX, which carries the edited text and the numbers; the same pages on a phone. No console error, nothing
fetched from outside.

With ``GRIDGOV_E2E_SHOTS=/tmp/h4-shots`` the screenshots (desk 1366×900, phone 390×844) land there."""

from __future__ import annotations

import io

import pytest
from docx import Document

from gridgov.analysis.analysis import WARNING_SLOT
from gridgov.analysis.tests import world
from gridgov.core import providers
from gridgov.testing import make_city

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips every test here then
    expect = None

pytestmark = pytest.mark.e2e
DESK = {"width": 1366, "height": 900}


@pytest.fixture
def city(transactional_db, monkeypatch):
    monkeypatch.setattr(providers, "_slots", {k: v for k, v in providers._slots.items() if k != WARNING_SLOT})
    c = make_city()
    world.build(c)
    return c


def open_analysis(pages, page, month: str) -> None:
    pages.menu(page).get_by_role("link", name="一分析三报告").click()
    form = page.get_by_test_id("analysis-open")
    form.get_by_label("月份").fill(month)
    form.get_by_role("button", name="查看分析").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("东昌府区 · 2026年11月分析")


def test_a_county_operator_edits_sends_and_downloads_the_dispute_report(pages, city):
    page = pages.open("op_county")
    page.set_viewport_size(DESK)
    pages.login(page, "op_county")
    open_analysis(pages, page, world.MONTH)
    expect(page.get_by_test_id("analysis-main")).to_contain_text("事件受理数")
    expect(page.get_by_test_id("analysis-places")).to_contain_text("+200.0%")
    expect(page.get_by_test_id("analysis-warnings")).to_contain_text("无")
    pages.shot(page, "analysis-desk")

    page.get_by_role("button", name="生成/更新报告草稿").click()
    reports = page.get_by_test_id("analysis-reports")
    draft_link = reports.locator("li", has_text="矛盾纠纷分析报告").get_by_role("link", name="草稿")
    expect(draft_link).to_be_visible()
    draft_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("东昌府区2026年11月矛盾纠纷分析报告")
    overview = page.get_by_label("一、总体情况")
    expect(overview).to_contain_text("本期登记矛盾纠纷3件")
    overview.fill("经研判，本月矛盾纠纷总体平稳，邻里纠纷2件、劳动争议1件。")
    page.get_by_test_id("report-edit").get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("已保存")
    expect(page.get_by_label("一、总体情况")).to_have_value("经研判，本月矛盾纠纷总体平稳，邻里纠纷2件、劳动争议1件。")
    pages.shot(page, "report-draft-desk")

    page.get_by_test_id("report-send").get_by_role("button", name="报送").click()
    expect(page.get_by_test_id("report-status")).to_have_text("已报送")
    expect(page.get_by_test_id("report-edit")).to_have_count(0)
    expect(page.get_by_test_id("report-send")).to_have_count(0)
    pages.shot(page, "report-sent-desk")

    href = page.get_by_test_id("report-docx").get_attribute("href")
    got = page.context.request.get(href)
    assert got.status == 200
    doc = Document(io.BytesIO(got.body()))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "经研判，本月矛盾纠纷总体平稳" in text
    cells = {row.cells[0].text: row.cells[1].text for t in doc.tables for row in t.rows}
    assert cells["矛盾纠纷登记数"] == "3" and cells["邻里"] == "2"

    phone = pages.open("op_county phone", phone=True)
    pages.login(phone, "op_county")
    open_analysis(pages, phone, world.MONTH)
    pages.shot(phone, "analysis-phone")
    phone.get_by_test_id("analysis-reports").locator("li", has_text="矛盾纠纷分析报告").get_by_role(
        "link", name="已报送").click()
    expect(phone.get_by_test_id("report-status")).to_have_text("已报送")
    pages.shot(phone, "report-sent-phone")
    pages.menu(phone).get_by_role("link", name="一分析三报告").click()
    expect(phone.get_by_role("heading", name="报告归档")).to_be_visible()
    pages.shot(phone, "archive-phone")
    pages.assert_clean()

"""A 稳评 in a real browser: a county center's operator starts a social-stability risk assessment of a
demolition project from a phone, records a 听证 with its counts, two risk items and the four findings, sets the
level and the recommendation, records the decision, generates the report (downloaded and opened) and files it
with the 政法委. The guards show their reasons on the page before each step's work is there; another county's
operator gets the 404 page. Screens at phone (390×844) and desk (1366×900) sizes.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.assessments.models import Assessment, Status
from gridgov.regions.models import Region
from gridgov.testing import PASSWORD, make_city

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips every test here then
    expect = None

pytestmark = pytest.mark.e2e
DESK = {"width": 1366, "height": 900}


def status_of(page):
    return page.get_by_test_id("assessment-head").get_by_test_id("status-badge")


def add_risk(page, item, source, likelihood, impact, mitigation, owner):
    form = page.locator("#act-add_risk")
    if not form.evaluate("el => el.open"):
        form.locator(":scope > summary").click()
    form.get_by_label("风险点").fill(item)
    form.get_by_label("风险来源").fill(source)
    form.get_by_label("可能性（1-5）").select_option(str(likelihood))
    form.get_by_label("影响程度（1-5）").select_option(str(impact))
    form.get_by_label("防范化解措施").fill(mitigation)
    form.get_by_label("责任单位").fill(owner)
    form.get_by_role("button", name="保存风险点").click()
    expect(page.locator(".messages")).to_contain_text("登记风险点")


def test_a_county_user_runs_a_stability_assessment_through_to_filing(pages):
    city = make_city()
    yanggu = Region.objects.create(code="371521", name="阳谷县", level=Region.Level.COUNTY, parent=city.city)
    User.objects.create_user("op_yanggu", password=PASSWORD, role=User.Role.OPERATOR, region=yanggu)
    today = timezone.localdate()
    day = lambda n: (today - timedelta(days=n)).isoformat()  # noqa: E731

    phone = pages.open("op_county", phone=True)
    desk = pages.open("op_county")
    desk.set_viewport_size(DESK)

    # --- start it from the phone --------------------------------------------------------------
    pages.login(phone, "op_county")
    pages.menu(phone).get_by_role("link", name="稳评").click()
    phone.get_by_role("link", name="发起稳评").click()
    expect(phone.get_by_role("heading", name="发起社会稳定风险评估")).to_be_visible()
    phone.get_by_role("button", name="发起稳评").click()  # empty: field errors, nothing made
    expect(phone.locator(".field.has-error")).to_have_count(6)
    assert Assessment.objects.count() == 0
    phone.get_by_label("评估事项").fill("古楼街道旧城片区房屋征收改造项目")
    phone.get_by_label("事项类型").select_option("land")
    phone.get_by_label("决策主体").fill("东昌府区人民政府")
    phone.locator("#f-ab").fill("聊城某社会稳定风险评估事务所")
    phone.get_by_label("评估主体为第三方机构").check()
    phone.get_by_label("影响区域").select_option([city.township_a.code, city.community_a.code])
    phone.get_by_label("事项概述").fill("涉及住户约320户、商户26家，拟采取货币补偿与产权调换相结合方式。")
    pages.shot(phone, "phone-new")
    phone.get_by_role("button", name="发起稳评").click()
    expect(phone.locator(".messages")).to_contain_text("已发起稳评")
    expect(status_of(phone)).to_have_text("评估方案")
    number = phone.get_by_test_id("assessment-number").inner_text()
    assert number.startswith("WP")

    # --- plan and survey ------------------------------------------------------------------------
    phone.locator("#act-confirm_plan").get_by_label("评估方案").fill("采取公示、听证、问卷和专家咨询方式，一个月内完成")
    phone.get_by_role("button", name="确定评估方案").click()
    expect(status_of(phone)).to_have_text("风险调查")
    expect(phone.get_by_test_id("guard-finish_survey")).to_contain_text("尚未记录任何风险调查")
    form = phone.locator("#act-add_survey")
    form.get_by_label("调查方式").select_option("hearing")
    form.get_by_label("调查日期").fill(day(6))
    form.get_by_label("参与人数").fill("60")
    form.get_by_label("支持意见").fill("41")
    form.get_by_label("反对意见").fill("12")
    form.get_by_label("其他意见").fill("7")
    form.get_by_label("主要意见").fill("多数居民支持改造，部分居民对补偿标准有异议")
    form.get_by_role("button", name="保存调查记录").click()
    expect(phone.get_by_test_id("surveys")).to_contain_text("听证")
    expect(phone.get_by_test_id("surveys")).to_contain_text("60")
    pages.shot(phone, "phone-survey")
    phone.locator("#act-finish_survey").get_by_role("button", name="完成风险调查").click()
    expect(status_of(phone)).to_have_text("风险识别")

    # --- the register -----------------------------------------------------------------------------
    add_risk(phone, "补偿标准争议引发群体性上访", "被征收户", 4, 4, "公开补偿标准，一户一策做好解释", "区住建局")
    add_risk(phone, "施工扰民", "周边居民", 3, 2, "限定施工时间，设置围挡降噪", "施工单位")
    expect(phone.get_by_test_id("risks").locator("tbody tr")).to_have_count(2)
    expect(phone.get_by_test_id("risks")).to_contain_text("高")
    phone.locator("#act-finish_identify").get_by_role("button", name="完成风险识别").click()
    expect(status_of(phone)).to_have_text("评估论证")

    # --- the four findings ----------------------------------------------------------------------
    for aspect, ok, text in [("合法性", "通过", "符合《国有土地上房屋征收与补偿条例》"), ("合理性", "通过", "补偿方案兼顾各方利益"),
                             ("可行性", "通过", "补偿资金已落实"), ("可控性", "存在问题", "存在群体性上访风险，须落实化解措施")]:
        form = phone.locator("#act-set_finding")
        form.get_by_label("论证方面").select_option(label=aspect)
        form.get_by_label("论证结论").select_option(label=ok)
        form.get_by_label("论证意见").fill(text)
        form.get_by_role("button", name="保存论证意见").click()
        expect(phone.get_by_test_id("findings")).to_contain_text(text)
        if aspect == "合法性":
            expect(phone.get_by_test_id("guard-finish_argue")).to_contain_text("合理性、可行性、可控性")
    phone.locator("#act-finish_argue").get_by_role("button", name="完成评估论证").click()
    expect(status_of(phone)).to_have_text("定级")
    expect(phone.get_by_test_id("guard-decide")).to_contain_text("尚未确定风险等级")

    # --- level, decision, report, filing on the desk -------------------------------------------------
    pages.login(desk, "op_county")
    desk.goto(f"/assessments/{number}/")
    form = desk.locator("#act-set_level")
    form.get_by_label("风险等级").select_option("high")
    form.get_by_label("评估建议").select_option("implement")
    form.get_by_role("button", name="确定风险等级").click()  # high with 实施: refused by field
    expect(desk.get_by_test_id("error")).to_contain_text("高风险事项不能建议实施")
    form = desk.locator("#act-set_level")
    form.get_by_label("风险等级").select_option("medium")
    form.get_by_label("评估建议").select_option("implement")
    form.get_by_label("定级理由").fill("落实化解措施后风险总体可控")
    form.get_by_role("button", name="确定风险等级").click()
    expect(status_of(desk)).to_have_text("决策")
    expect(desk.get_by_test_id("level-badge")).to_have_text("中风险")
    form = desk.locator("#act-decide")
    form.get_by_label("决策结果").select_option("adopted")
    form.get_by_label("决策日期").fill(day(1))
    form.get_by_label("决策说明").fill("区政府常务会议研究同意实施")
    form.get_by_role("button", name="登记决策").click()
    expect(status_of(desk)).to_have_text("备案")
    expect(desk.get_by_test_id("guard-file")).to_contain_text("尚未生成评估报告")
    desk.locator("#act-generate_report").get_by_role("button", name="生成评估报告").click()
    expect(desk.get_by_test_id("report-download")).to_be_visible()
    href = desk.get_by_test_id("report-download").get_attribute("href")
    resp = desk.request.get(href)
    assert resp.status == 200 and "wordprocessingml" in resp.headers["content-type"]
    from docx import Document

    doc = Document(io.BytesIO(resp.body()))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "听证" in cells and "补偿标准争议引发群体性上访" in cells and "施工扰民" in cells
    assert "风险等级：中" in text and "决策结果：决定实施" in text
    pages.shot(desk, "desk-report")
    form = desk.locator("#act-file")
    form.get_by_label("备案日期").fill(day(0))
    form.get_by_label("备案编号").fill("东政法稳备〔2026〕8号")
    form.get_by_role("button", name="备案").click()
    expect(status_of(desk)).to_have_text("跟踪")
    expect(desk.get_by_test_id("filing")).to_contain_text("东政法稳备〔2026〕8号")
    expect(desk.get_by_test_id("timeline").locator(".tl-head > strong").first).to_have_text("发起稳评")
    pages.shot(desk, "desk-filed")
    phone.reload()
    pages.shot(phone, "phone-filed")
    desk.goto("/assessments/")
    expect(desk.get_by_role("link", name=number)).to_be_visible()
    pages.shot(desk, "desk-list")

    a = Assessment.objects.get(number=number)
    assert a.status == Status.TRACKING and a.surveys.count() == 1 and a.risks.count() == 2
    assert a.findings.count() == 4 and a.filed_with == "政法委" and a.report

    # another county's operator gets the 404 page
    other = pages.open("op_yanggu")
    pages.login(other, "op_yanggu")
    assert other.goto(f"/assessments/{number}/").status == 404
    pages.assert_clean()

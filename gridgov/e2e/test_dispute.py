"""A dispute in a real browser: a grid worker registers a neighbour dispute from a phone, the township
center accepts it, grades it and assigns a mediator chosen in the 调解员超市, the mediator records a
session and a successful agreement (and downloads the 协议书), and the center closes the case after
the follow-up visit.  Each person in their own browser context, through the pages only.
"""

from __future__ import annotations

import io

import pytest

from gridgov.accounts.models import User
from gridgov.disputes.models import Dispute, Mediator, Status
from gridgov.testing import PASSWORD, make_city

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips every test here then
    expect = None

pytestmark = pytest.mark.e2e


def status_of(page):
    return page.get_by_test_id("dispute-head").get_by_test_id("status-badge")


def act(page, code: str):
    """Open an action's form on the case page."""
    details = page.locator(f"#act-{code}")
    if details.evaluate("el => el.tagName") == "DETAILS" and not details.evaluate("el => el.open"):
        details.locator("summary").click()
    return details


def test_a_neighbour_dispute_goes_from_the_grid_worker_to_a_mediators_agreement_and_is_closed(pages):
    city = make_city()
    user = User.objects.create_user("med_wang", password=PASSWORD, role=User.Role.MEDIATOR, full_name="王调解")
    wang = Mediator.objects.create(user=user, name="王调解", org_name="古楼街道人民调解委员会",
                                   specialties=["neighbor", "marriage"], region=city.township_a,
                                   bio="从事人民调解十五年，擅长邻里纠纷")
    Mediator.objects.create(name="李调解", org_name="柳园劳动争议调解室", org_kind="studio", specialties=["labor"],
                            region=city.township_b)

    worker = pages.open("worker_a", phone=True)
    operator = pages.open("op_a")
    mediator = pages.open("med_wang", phone=True)

    # --- the grid worker registers the dispute from the phone -----------------------------------
    pages.login(worker, "worker_a")
    pages.menu(worker).get_by_role("link", name="矛盾纠纷").click()
    worker.get_by_role("link", name="登记纠纷").click()
    expect(worker.get_by_role("heading", name="登记矛盾纠纷")).to_be_visible()
    worker.get_by_label("纠纷类型").select_option("neighbor")
    worker.get_by_label("纠纷简要情况").fill("楼上卫生间漏水，楼下天花板发霉，双方多次争吵，楼下要求赔偿维修费")
    worker.get_by_label("当事人1姓名").fill("张三")
    worker.get_by_label("当事人1电话").fill("13800000001")
    worker.get_by_label("当事人2姓名").fill("李四")
    worker.get_by_label("当事人2电话").fill("13800000002")
    worker.get_by_label("涉及金额（元）").fill("3000")
    worker.get_by_label("地点").fill("古城路1号院3号楼")
    worker.get_by_label("经度", exact=True).fill("116.005")
    worker.get_by_label("纬度", exact=True).fill("36.405")
    pages.shot(worker, "worker-intake")
    worker.get_by_role("button", name="提交登记").click()
    expect(worker.locator(".messages")).to_contain_text("纠纷登记成功")
    expect(status_of(worker)).to_have_text("登记")
    number = worker.get_by_test_id("dispute-number").inner_text()
    assert number.startswith("JF")
    expect(worker.get_by_test_id("parties")).to_contain_text("138****0001")  # masked
    pages.shot(worker, "worker-case")

    # --- the center accepts, grades and assigns a mediator from the supermarket -----------------
    pages.login(operator, "op_a")
    operator.get_by_role("navigation").get_by_role("link", name="纠纷调解").click()
    operator.get_by_role("link", name=number).click()
    operator.locator("#act-accept").get_by_role("button", name="受理").click()
    expect(status_of(operator)).to_have_text("已受理")
    form = act(operator, "regrade")
    form.get_by_label("风险等级").select_option("serious")
    form.get_by_label("调整理由").fill("双方多次争吵，有肢体冲突苗头")
    form.get_by_role("button", name="确认调整风险等级").click()
    expect(operator.get_by_test_id("risk-badge").first).to_have_text("较大")
    expect(operator.get_by_test_id("risk")).to_contain_text("有肢体冲突苗头")
    act(operator, "assign").get_by_role("link", name="到调解员超市挑选").click()
    expect(operator.get_by_role("heading", name="调解员超市")).to_be_visible()
    cards = operator.get_by_test_id("mediator-card")
    expect(cards).to_have_count(1)  # filtered to the dispute's type: 邻里
    expect(cards.first).to_contain_text("王调解")
    pages.shot(operator, "supermarket")
    cards.first.get_by_role("link", name="选择此调解员").click()
    form = operator.locator("#act-assign")
    expect(form.get_by_label("调解员")).to_have_value(str(wang.pk))
    form.get_by_role("button", name="确认分派调解").click()
    expect(status_of(operator)).to_have_text("已分派调解")

    # --- the mediator records a session and the agreement ---------------------------------------
    pages.login(mediator, "med_wang")
    assert mediator.url.endswith("/disputes/")
    mediator.get_by_role("link", name=number).click()
    mediator.locator("#act-start").get_by_role("button", name="开始调解").click()
    expect(status_of(mediator)).to_have_text("调解中")
    form = act(mediator, "session")
    form.get_by_label("地点").fill("古城社区调解室")
    form.get_by_label("参加人员").fill("张三、李四、王调解、网格员")
    form.get_by_label("调解笔录").fill("双方陈述漏水经过；经释法说理，李四同意承担维修费用")
    form.get_by_role("button", name="确认记录调解").click()
    expect(mediator.get_by_test_id("session")).to_contain_text("古城社区调解室")
    form = act(mediator, "succeed")
    form.get_by_label("协议内容").fill("李四于十日内赔偿张三维修费3000元\n李四负责修复卫生间防水\n双方就此事互不追究")
    form.get_by_label("履行期限").fill("2026-12-31")
    form.get_by_role("button", name="确认调解成功").click()
    expect(status_of(mediator)).to_have_text("调解成功")
    expect(mediator.get_by_test_id("confirm-last-day")).to_contain_text("最后一日")
    pages.shot(mediator, "mediator-agreement")
    href = mediator.get_by_test_id("agreement-download").get_attribute("href")
    resp = mediator.request.get(href)
    assert resp.status == 200 and "wordprocessingml" in resp.headers["content-type"]
    from docx import Document

    doc = Document(io.BytesIO(resp.body()))
    text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    assert "申请人：张三" in text and "李四负责修复卫生间防水" in text and "调解员签名" in text

    # --- the center follows up and closes -------------------------------------------------------
    operator.reload()
    form = act(operator, "follow_up")
    form.get_by_label("当事人满意度").select_option("satisfied")
    form.get_by_label("协议履行情况").select_option("fulfilled")
    form.get_by_label("回访情况").fill("电话回访双方，赔偿已付清，邻里关系缓和")
    form.get_by_role("button", name="确认回访").click()
    expect(status_of(operator)).to_have_text("已回访")
    operator.locator("#act-close").get_by_role("button", name="结案").click()
    expect(status_of(operator)).to_have_text("结案")
    expect(operator.get_by_test_id("timeline").locator(".tl-head > strong")).to_have_text(
        ["登记", "受理", "调整风险等级", "分派调解", "开始调解", "记录调解", "调解成功", "回访", "结案"])
    pages.shot(operator, "closed")

    d = Dispute.objects.get(number=number)
    assert d.status == Status.CLOSED and d.mediator == wang and d.chosen_by_party
    assert d.agreement.performance == "fulfilled"

    # another township's operator gets the 404 page
    other = pages.open("op_b")
    pages.login(other, "op_b")
    resp = other.goto(f"/disputes/{number}/")
    assert resp.status == 404
    pages.assert_clean()

"""一标三实 and key populations in a real browser: a grid worker registers a family in a rented flat
from a phone (address + house, three residents, the tenancy), then visits an overdue key person;
the township center's operator, on a desktop, watches 动态掌控率 go up from 50% to 100%.

Identity numbers stay masked on every page the grid worker sees (they lack the reveal permission);
the operator, given the permission, sees a full number only after stating a reason (logged).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from stdnum.cn import ric

from gridgov.core import crypto
from gridgov.registry.models import AccessLog, House, KeyCategory, Resident, RiskLevel, Tenancy, Visit
from gridgov.registry.services.addresses import AddressInput, get_or_create_address
from gridgov.registry.services.houses import save_house
from gridgov.registry.services.key_people import install_default_key_categories, list_key_person
from gridgov.registry.services.residents import ResidentInput, save_resident
from gridgov.registry.services.visits import coverage, record_visit
from gridgov.testing import make_city

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips every test here then
    expect = None

pytestmark = pytest.mark.e2e


def ric_number(first17: str) -> str:
    """A valid 居民身份证 number: the 17 digits and their check character (may be X)."""
    assert len(first17) == 17 and first17.isdigit()
    return first17 + ric.calc_check_digit(first17 + "0")  # stdnum ignores the last character


# the family moving into the rented flat: name, 17 digits (region 371502, birth date, sequence), relation
FAMILY = [
    ("张伟", ric_number("37150219850312231"), "13912340001", "户主"),
    ("李娜", ric_number("37150219870624242"), "13912340002", "配偶"),
    ("张小明", ric_number("37150220150901015"), "", "子女"),
]
VISIT_FINDINGS = "见到本人，在物流园打零工，情绪稳定，家属配合帮教"


def expect_message(page, text: str) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


def main_text(page) -> str:
    return page.locator("main").inner_text()


def assert_no_full_ids(page, numbers) -> None:
    """No full identity number anywhere in the page's HTML (text, attributes, option labels)."""
    html = page.content()
    for number in numbers:
        assert number not in html, f"full identity number {number} on {page.url}"


def assert_fits_the_phone(page) -> None:
    """Nothing wider than the screen: the page does not scroll sideways (the nav strips scroll inside)."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]}px wide on a {widths[1]}px phone"


def phone_shot(pages, page, name: str) -> None:
    assert_fits_the_phone(page)
    pages.shot(page, name)


def coverage_card(page):
    return page.get_by_test_id("coverage")


def seed_key_persons(city) -> dict:
    """Two key persons listed 60 days ago in grid A1 (the grid worker's): one visited yesterday
    (covered), one never visited (overdue) — township A's 动态掌控率 is 1 / 2 = 50%.  A third,
    overdue, in township B must not count for township A's operator."""
    install_default_key_categories()
    cats = {c.code: c for c in KeyCategory.objects.all()}
    today = timezone.localdate()
    address, _ = get_or_create_address(city.worker_a, AddressInput(
        region="371502001001", road="古城路20号院", building="1", unit="1", room="101", lng=116.004, lat=36.404))
    house, _ = save_house(city.worker_a, address, status="owner", use="residential")
    released, _ = save_resident(city.worker_a, ResidentInput(
        name="王志强", id_number=ric_number("37150219780405113"), phone="13700001111", house=house))
    corrected, _ = save_resident(city.worker_a, ResidentInput(
        name="赵文斌", id_number=ric_number("37150219900817135"), house=house))
    overdue, _ = list_key_person(
        city.operator_a, released, cats["released"], risk_level=RiskLevel.HIGH, worker=city.worker_a,
        since=today - timedelta(days=60), attributes={"released_on": (today - timedelta(days=70)).isoformat(),
                                                      "aftercare": "帮教中"})
    covered, _ = list_key_person(
        city.operator_a, corrected, cats["community_correction"], risk_level=RiskLevel.MEDIUM, worker=city.worker_a,
        since=today - timedelta(days=60), attributes={"term_end": (today + timedelta(days=200)).isoformat(),
                                                      "correction_type": "缓刑"})
    record_visit(city.worker_a, covered, method=Visit.Method.PHONE, findings="电话联系，按时报到",
                 visited_at=timezone.now() - timedelta(days=1))

    b_address, _ = get_or_create_address(city.worker_b, AddressInput(
        region="371502002001", road="柳园路5号", lng=116.105, lat=36.405))
    b_house, _ = save_house(city.worker_b, b_address, status="owner", use="residential")
    b_person, _ = save_resident(city.worker_b, ResidentInput(
        name="钱多多", id_number=ric_number("37150219950101221"), house=b_house))
    list_key_person(city.operator_b, b_person, cats["youth"], risk_level=RiskLevel.LOW,
                    since=today - timedelta(days=90))
    assert coverage(city.township_a.code)["rate"] == 0.5
    return {"overdue": overdue, "covered": covered, "ids": [released.pk, corrected.pk]}


def test_grid_worker_registers_a_rented_flat_and_a_visit_raises_the_centers_coverage(pages):
    city = make_city()
    seeded = seed_key_persons(city)
    full_ids = [number for _n, number, _p, _r in FAMILY] + [
        crypto.decrypt(r.id_number_enc) for r in Resident.objects.filter(pk__in=seeded["ids"])]

    worker = pages.open("worker_a", phone=True)
    operator = pages.open("op_a")

    # --- the operator's coverage before the visit ----------------------------------------------
    pages.login(operator, "op_a")
    operator.get_by_role("navigation", name="主导航").get_by_role("link", name="基础数据").click()
    expect(operator.get_by_role("heading", name="基础数据", exact=True)).to_be_visible()
    card = coverage_card(operator)
    expect(card.get_by_role("heading", name="动态掌控率")).to_be_visible()
    expect(card).to_contain_text("古楼街道")
    expect(card.get_by_test_id("coverage-rate")).to_have_text("50%")
    expect(card.get_by_test_id("coverage-count")).to_have_text("1 / 2 人")
    community_row = card.locator("table tbody tr", has_text="古城社区居委会")
    expect(community_row).to_contain_text("50%")
    expect(operator.get_by_test_id("house-total")).to_have_text("1")
    expect(operator.get_by_test_id("resident-total")).to_have_text("2")
    pages.shot(operator, "operator-coverage-before")

    # --- the grid worker, on the phone: the address and the house ------------------------------
    pages.login(worker, "worker_a")
    pages.menu(worker).get_by_role("link", name="基础数据").click()
    mine = coverage_card(worker)
    expect(mine).to_contain_text("我负责的重点人员")
    expect(mine.get_by_test_id("coverage-rate")).to_have_text("50%")
    expect(mine.locator(".due-line")).to_contain_text("已逾期 1")
    phone_shot(pages, worker, "worker-home")

    worker.get_by_role("link", name="登记房屋").click()
    expect(worker.get_by_role("heading", name="登记房屋")).to_be_visible()
    expect(worker.get_by_label("所属村(社区)")).to_have_value("371502001001")  # the worker's only community
    worker.get_by_label("街路巷/小区").fill("古城路18号院")
    worker.get_by_label("楼栋(门牌)号").fill("3")
    worker.get_by_label("单元").fill("2")
    worker.get_by_label("楼层").fill("3")
    worker.get_by_label("室", exact=True).fill("301")
    worker.get_by_label("网格", exact=True).select_option(label="古城社区第一网格（古城社区居委会）")
    worker.get_by_label("使用状态").select_option(label="出租")
    worker.get_by_label("房屋用途").select_option(label="住宅")
    worker.get_by_label("建筑结构").select_option(label="砖混")
    worker.get_by_label("面积(㎡)").fill("86.5")
    worker.get_by_label("产权人姓名").fill("孙立新")
    worker.get_by_label("产权人电话").fill("13605351234")
    phone_shot(pages, worker, "house-form")
    worker.get_by_role("button", name="保存房屋").click()

    expect_message(worker, "房屋已登记")
    expect(worker.get_by_test_id("house-address")).to_contain_text("古城路18号院")
    expect(worker.get_by_test_id("house-status")).to_have_text("出租")
    facts = worker.locator(".facts").first
    expect(facts).to_contain_text("古城社区第一网格")
    expect(facts).to_contain_text("136****1234")  # the owner's phone, masked
    expect(facts).not_to_contain_text("13605351234")
    expect(worker.get_by_text("尚未登记住户")).to_be_visible()
    house_url = worker.url

    # --- three residents, each from the house page ---------------------------------------------
    for i, (name, number, phone, relation) in enumerate(FAMILY):
        worker.get_by_role("link", name="登记住户").click()
        expect(worker.get_by_role("heading", name="登记人口")).to_be_visible()
        expect(worker.locator("main")).to_contain_text("古城路18号院")
        worker.get_by_label("姓名").fill(name)
        expect(worker.get_by_label("证件类型")).to_have_value("ric")
        worker.get_by_label("人口类型").select_option(label="流动人口")
        worker.get_by_label("证件号码").fill(number)
        if phone:
            worker.get_by_label("联系电话").fill(phone)
        worker.get_by_label("与户主关系").fill(relation)
        worker.get_by_label("户籍地").fill("山东省聊城市东昌府区")
        expect(worker.get_by_label("现居房屋")).to_have_value(house_url.rstrip("/").rsplit("/", 1)[1])
        if i == 0:
            phone_shot(pages, worker, "resident-form")
        worker.get_by_role("button", name="保存登记").click()
        # the same answer as for someone registered in another township (issue 8): the house page shows them
        expect_message(worker, "已提交登记")
        assert worker.url == house_url  # back to the house, ready for the next one
        expect(worker.get_by_test_id("house-residents")).to_contain_text(name)

    table = worker.get_by_test_id("house-residents")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(worker.locator("main")).to_contain_text("3 人")
    for name, number, _phone, relation in FAMILY:
        row = table.locator("tbody tr", has_text=name)
        expect(row).to_contain_text(relation)
        expect(row).to_contain_text(crypto.mask_id(number))
        expect(row).to_contain_text("流动人口")
    assert_no_full_ids(worker, full_ids)

    # --- the tenancy: the head of the family rents the flat for a year -------------------------
    today = timezone.localdate()
    start, end = today.replace(day=1), today.replace(day=1).replace(year=today.year + 1) - timedelta(days=1)
    worker.get_by_role("link", name="登记租赁").click()
    expect(worker.get_by_role("heading", name="登记租赁")).to_be_visible()
    head_name, head_number = FAMILY[0][0], FAMILY[0][1]
    tenant = worker.get_by_label(re.compile(r"^承租人"))  # "承租人 *", not "新承租人"
    tenant.select_option(label=f"{head_name}（{crypto.mask_id(head_number)}）")
    expect(worker.locator("#new-tenant")).to_be_hidden()  # only for "登记新的承租人…"
    worker.get_by_label("租期开始").fill(start.isoformat())
    worker.get_by_label("租期结束").fill(end.isoformat())
    worker.get_by_label("合同编号").fill("ZL-2026-0318")
    assert_no_full_ids(worker, full_ids)
    phone_shot(pages, worker, "tenancy-form")
    worker.get_by_role("button", name="保存租赁登记").click()

    expect_message(worker, f"已登记租赁：{head_name}")
    tenancies = worker.get_by_test_id("tenancies")
    expect(tenancies.locator("tbody tr")).to_have_count(1)
    expect(tenancies).to_contain_text(head_name)
    expect(tenancies).to_contain_text(f"{start.isoformat()} 至 {end.isoformat()}")
    expect(tenancies).to_contain_text("ZL-2026-0318")
    expect(worker.get_by_test_id("house-status")).to_have_text("出租")
    history = worker.get_by_test_id("history")
    tenancy_change = history.locator("li", has_text="新增租赁登记")
    expect(tenancy_change.locator("dt")).to_have_text(["房屋", "承租人", "租期开始", "租期结束", "合同编号"])
    expect(history.locator("li", has_text="新增实有房屋")).to_contain_text("136****1234")
    phone_shot(pages, worker, "house-registered")

    # the resident page: masked, and no way to reveal for a grid worker without the permission
    worker.get_by_test_id("house-residents").get_by_role("link", name=head_name).click()
    expect(worker.get_by_test_id("resident-name")).to_have_text(head_name)
    expect(worker.get_by_test_id("masked-id")).to_have_text(crypto.mask_id(head_number))
    expect(worker.locator("main")).to_contain_text("139****0001")
    expect(worker.get_by_text("查看完整信息")).to_have_count(0)
    # the history keeps the birth year only: the full date is the 8 digits the masked number hides
    created = worker.get_by_test_id("history").locator("li", has_text="新增实有人口")
    expect(created.locator("dt", has_text="出生年份")).to_have_count(1)
    expect(created).to_contain_text(crypto.mask_id(head_number))
    expect(worker.locator("main")).not_to_contain_text("1985-03-12")
    assert_no_full_ids(worker, full_ids)
    phone_shot(pages, worker, "resident-masked")

    # the lists on the phone: masked numbers and phones, one card per person
    worker.get_by_role("navigation", name="基础数据").get_by_role("link", name="实有人口").click()
    people = worker.get_by_test_id("resident-table").locator("tbody tr")
    expect(people).to_have_count(5)  # the family and the two key persons of grid A1
    for name, number, _phone, _relation in FAMILY:
        expect(people.filter(has_text=name)).to_contain_text(crypto.mask_id(number))
    expect(people.filter(has_text="张伟")).to_contain_text("139****0001")
    assert_no_full_ids(worker, full_ids)
    phone_shot(pages, worker, "resident-list")
    worker.get_by_role("navigation", name="基础数据").get_by_role("link", name="实有房屋").click()
    worker.get_by_label("使用状态").select_option(label="出租")
    worker.get_by_role("button", name="筛选").click()
    expect(worker.locator("main table tbody tr")).to_have_count(1)
    expect(worker.locator("main table tbody tr")).to_contain_text("古城路18号院3号楼2单元301室")
    phone_shot(pages, worker, "house-list-rented")

    # --- the visit to the overdue key person, from the phone -----------------------------------
    pages.menu(worker).get_by_role("link", name="走访提醒").click()
    expect(worker.get_by_role("heading", name="我的走访提醒")).to_be_visible()
    expect(worker.get_by_test_id("due-overdue")).to_have_text("已逾期 1")
    due_row = worker.get_by_test_id("kp-table").locator("tbody tr", has_text="王志强")
    expect(due_row.get_by_test_id("visit-state")).to_have_text("已逾期")
    expect(due_row).to_contain_text("刑满释放人员")
    expect(due_row).to_contain_text("从未走访")
    phone_shot(pages, worker, "visits-due")
    due_row.get_by_role("link", name="王志强").click()

    expect(worker.get_by_test_id("kp-name")).to_have_text("王志强")
    expect(worker.locator(".rec-head").get_by_test_id("visit-state")).to_have_text("已逾期")
    expect(worker.locator(".facts")).to_contain_text("371502********")
    listed = worker.get_by_test_id("history").locator("li", has_text="新增重点人员")
    expect(listed).to_contain_text("释放日期：")  # the category's labels, not the attribute keys
    expect(listed).to_contain_text("安置帮教情况：帮教中")
    expect(listed).not_to_contain_text("released_on")
    assert_no_full_ids(worker, full_ids)
    worker.get_by_role("link", name="记录走访").click()
    expect(worker.get_by_role("heading", name="记录走访")).to_be_visible()
    worker.get_by_label("面访").check()
    worker.get_by_label("走访情况").fill(VISIT_FINDINGS)
    phone_shot(pages, worker, "visit-form")
    worker.get_by_role("button", name="提交走访记录").click()

    next_due = (today + timedelta(days=7)).isoformat()  # high risk: every 7 days
    expect_message(worker, f"走访已记录，下次请于 {next_due} 前走访")
    expect(worker.locator(".rec-head").get_by_test_id("visit-state")).to_have_text("正常")
    expect(worker.get_by_test_id("kp-due")).to_have_text(next_due)
    visits = worker.get_by_test_id("visits")
    expect(visits.locator("li")).to_have_count(1)
    expect(visits).to_contain_text("面访")
    expect(visits).to_contain_text("古楼网格员")
    expect(visits).to_contain_text(VISIT_FINDINGS)
    phone_shot(pages, worker, "visit-recorded")

    pages.menu(worker).get_by_role("link", name="基础数据").click()
    expect(coverage_card(worker).get_by_test_id("coverage-rate")).to_have_text("100%")
    expect(coverage_card(worker).locator(".due-line")).to_contain_text("已逾期 0")

    # --- the operator's coverage after the visit -----------------------------------------------
    operator.reload()
    card = coverage_card(operator)
    expect(card.get_by_test_id("coverage-rate")).to_have_text("100%")
    expect(card.get_by_test_id("coverage-count")).to_have_text("2 / 2 人")
    expect(card.locator("table tbody tr", has_text="古城社区居委会")).to_contain_text("100%")
    expect(operator.get_by_test_id("house-total")).to_have_text("2")
    expect(operator.get_by_test_id("resident-total")).to_have_text("5")
    rented = operator.locator(".count-list li.hl", has_text="出租")
    expect(rented.locator("b")).to_have_text("1")
    pages.shot(operator, "operator-coverage-after")

    # --- with the permission, the operator sees a full number only after giving a reason --------
    city.operator_a.user_permissions.add(Permission.objects.get(codename="view_full_identity",
                                                                content_type__app_label="registry"))
    rented.get_by_role("link", name="出租").click()
    operator.get_by_role("link", name="古城路18号院").first.click()
    operator.get_by_test_id("house-residents").get_by_role("link", name=head_name).click()
    expect(operator.get_by_test_id("masked-id")).to_have_text(crypto.mask_id(head_number))
    assert_no_full_ids(operator, full_ids)
    operator.get_by_text("查看完整信息").click()
    operator.get_by_label("查看事由").fill("核实承租人身份")
    operator.get_by_role("button", name="确认查看").click()
    expect(operator.get_by_test_id("full-id")).to_have_text(head_number)
    expect(operator.get_by_test_id("full-phone")).to_have_text("13912340001")
    pages.shot(operator, "operator-revealed")

    # --- what the database holds ----------------------------------------------------------------
    house = House.objects.get(address__road="古城路18号院")
    assert house.status == House.Status.RENTED and house.address.grid_id == city.grid_a1.pk
    family = list(Resident.objects.filter(house=house).order_by("pk"))
    assert [r.name for r in family] == [n for n, _i, _p, _r in FAMILY]
    assert [crypto.decrypt(r.id_number_enc) for r in family] == [i for _n, i, _p, _r in FAMILY]
    assert all(r.household == Resident.Household.FLOATING and r.grid_id == city.grid_a1.pk for r in family)
    assert [r.sex for r in family] == ["M", "F", "M"]
    (tenancy,) = Tenancy.objects.filter(house=house)
    assert (tenancy.tenant_id, tenancy.start, tenancy.end, tenancy.contract_no) == (
        family[0].pk, start, end, "ZL-2026-0318")
    (visit,) = Visit.objects.filter(key_person=seeded["overdue"])
    assert visit.worker_id == city.worker_a.pk and visit.method == Visit.Method.IN_PERSON
    assert visit.findings == VISIT_FINDINGS
    assert coverage(city.township_a.code)["rate"] == 1.0
    (log,) = AccessLog.objects.all()
    assert (log.actor_id, log.object_id, log.reason) == (city.operator_a.pk, family[0].pk, "核实承租人身份")
    pages.assert_clean()

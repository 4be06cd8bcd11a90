"""The main menu on a 390-px phone: every item of every role's menu can be reached and tapped.

The nav sat in one row that scrolled sideways with no cue, so 走访提醒, 矛盾纠纷, 法律咨询 and 消息 were off
screen.  Now a phone shows a 菜单 toggle that opens the whole menu; each link must then be inside the
viewport and pass Playwright's actionability checks (visible, stable, not covered, enabled).  On a desk
every item shows without the toggle.
"""

from __future__ import annotations

import pytest

from gridgov.accounts.models import User
from gridgov.testing import PASSWORD, make_city

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips every test here then
    expect = None

pytestmark = pytest.mark.e2e

PHONE_WIDTH, PHONE_HEIGHT = 390, 844

# for each role, a few items that must be among the menu's links (the issue named the ones that scrolled off)
MUST_HAVE = {
    "worker_a": ["上报事件", "走访提醒", "矛盾纠纷", "法律咨询", "消息"],
    "op_a": ["受理工作台", "信访", "基础数据", "指挥中心", "考核评价", "通报", "法律咨询", "消息"],
    "liaison_cg": ["部门收件箱", "法律咨询", "消息"],
    "leader_county": ["事件总览", "信访积案", "指挥中心", "通报", "法律咨询", "消息"],
    "mediator_m": ["我的调解", "登记纠纷", "调解员超市", "法律咨询", "消息"],
    "admin": ["录入事件", "后台管理", "指挥中心", "通报", "法律咨询", "消息"],
}


def _check_menu_reachable(page, username: str) -> list[str]:
    nav = page.locator("nav.mainnav")
    toggle = page.locator("label.nav-toggle")
    expect(toggle).to_be_visible()
    expect(nav).to_be_hidden()  # closed until asked for: the page is not pushed down by a tall menu
    toggle.click()
    expect(nav).to_be_visible()
    links = nav.locator("a")
    texts = [t.strip() for t in links.all_inner_texts()]
    assert len(texts) >= 3, f"{username}: menu has {texts}"
    for i in range(links.count()):
        link = links.nth(i)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH + 0.5, f"{username}: {texts[i]} off screen {box}"
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE_HEIGHT + 0.5, f"{username}: {texts[i]} off screen {box}"
        assert box["height"] >= 36, f"{username}: {texts[i]} is too small to tap ({box})"
        link.click(trial=True)  # actionability: visible, stable, receives the tap, enabled
    return texts


def test_every_menu_item_of_every_role_is_reachable_on_a_phone(pages):
    city = make_city()
    User.objects.create_user(username="mediator_m", password=PASSWORD, role=User.Role.MEDIATOR,
                             region=city.township_a, full_name="调解员")
    for username, expected in MUST_HAVE.items():
        page = pages.open(username, phone=True)
        pages.login(page, username)
        page.goto("/laws/")  # a light page every role may open
        texts = _check_menu_reachable(page, username)
        missing = [t for t in expected if t not in texts]
        assert not missing, f"{username}: missing {missing} in {texts}"
        pages.shot(page, f"menu-{username}")
        # the last item really opens from the phone menu
        page.locator("nav.mainnav a").last.click()
        page.wait_for_url("**/notifications/**")
        expect(page.locator("nav.mainnav")).to_be_hidden()  # the new page starts with the menu closed
        page.context.close()

    citizen = pages.open("citizen", phone=True)
    citizen.goto("/")
    texts = _check_menu_reachable(citizen, "citizen")
    assert {"我要反映", "进度查询", "申请调解", "调解进度", "工作人员登录"} <= set(texts)
    pages.assert_clean()


def test_on_a_desk_the_whole_menu_shows_without_the_toggle(pages):
    make_city()
    page = pages.open("admin")
    page.set_viewport_size({"width": 1366, "height": 900})
    pages.login(page, "admin")
    page.goto("/laws/")
    expect(page.locator("label.nav-toggle")).to_be_hidden()
    links = page.locator("nav.mainnav a")
    assert links.count() >= 10
    for i in range(links.count()):
        expect(links.nth(i)).to_be_visible()
        box = links.nth(i).bounding_box()
        assert box["x"] + box["width"] <= 1366
    pages.shot(page, "menu-desk")
    pages.assert_clean()

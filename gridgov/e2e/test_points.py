"""积分 in a real browser on a phone: a citizen asks for a code, types it, sees the balance and the history,
redeems an item of the community's catalogue; the community's operator hands it over on the staff page."""

from __future__ import annotations

import json
import re

import pytest
from django.utils import timezone

from gridgov.points import services
from gridgov.points.models import CatalogueItem, EntryKind, Participant, Redemption
from gridgov.testing import make_city

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips every test here then
    expect = None

pytestmark = pytest.mark.e2e

PHONE = "13800006666"


def test_a_citizen_signs_in_with_a_code_and_redeems_and_the_operator_hands_over(pages, settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "NOTIFY_BACKENDS": "file"}
    city = make_city()
    who = Participant.objects.create(phone=PHONE, name="张三", community=city.community_a)
    services._write(who, None, EntryKind.AWARD, 12, "test:seed", "上报被受理", timezone.now())
    CatalogueItem.objects.create(community=city.community_a, name="理发一次", cost=5, stock=3)

    page = pages.open("citizen", phone=True)
    page.goto("/points/")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_text("验证码已发送到您的手机")).to_be_visible()
    with open(settings.GRIDGOV["NOTIFY_FILE"], encoding="utf-8") as fh:
        code = re.search(r"(\d{6})", json.loads(fh.read().splitlines()[-1])["subject"]).group(1)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="查看积分").click()
    balance = page.get_by_test_id("points-balance")
    expect(balance).to_contain_text("12")
    expect(page.get_by_test_id("points-history")).to_contain_text("上报被受理")
    page.get_by_test_id("points-catalogue").get_by_role("button", name="兑换").click()
    expect(page.get_by_text("已申请兑换“理发一次”")).to_be_visible()
    expect(page.get_by_test_id("points-balance")).to_contain_text("7")
    pages.shot(page, "citizen-points")

    staff = pages.open("op_a")
    pages.login(staff, "op_a")
    staff.goto("/points/redemptions/")
    expect(staff.get_by_test_id("points-redemptions")).to_contain_text("张**")
    staff.get_by_role("button", name="确认领取").click()
    expect(staff.get_by_text("已确认领取")).to_be_visible()
    assert Redemption.objects.get().status == Redemption.Status.HANDED_OVER
    pages.assert_clean()

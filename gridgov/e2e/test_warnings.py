"""An early warning in a real browser: a hotspot warning (raised through the engine's upsert from a Signal, as
the hotspot rule will raise it) is opened from the board by the township operator on a phone, assessed with a
note, a supervision (督办) of an event behind it is linked — performed through the events workflow — and the
warning is closed (已解除). At a desk the board shows it on the map and the command center's feed lists it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.cases.warnrules import Signal
from gridgov.events import services as event_services
from gridgov.events.models import Event
from gridgov.events.taxonomy import install_default_categories
from gridgov.testing import make_city
from gridgov.warnings.engine import upsert
from gridgov.warnings.models import Warning

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips every test here then
    expect = None

pytestmark = pytest.mark.e2e
DESK = {"width": 1366, "height": 900}


def act(page, code: str):
    details = page.locator(f"#act-{code}")
    if not details.evaluate("el => el.open"):
        details.locator("summary").click()
    return details


def test_a_township_operator_assesses_a_hotspot_warning_links_a_supervision_and_closes_it(pages):
    city = make_city()
    install_default_categories()
    now = timezone.now()
    events = [event_services.create_event(city.worker_a, event_services.EventInput(
        category="0301", description=f"古城路垃圾堆放，第{i + 1}次反映", lng=116.005 + i * 0.0003, lat=36.405),
        now=now - timedelta(days=i))[0] for i in range(3)]
    upsert([Signal(rule="hotspot", key="hotspot:event:371502001001001:0301", level="orange", code="371502001001001",
                   title="古城社区第一网格“市容环境”事件异常增多",
                   explanation="近 7 日发生 9 起，基线期望 2.1 起（过去 8 周同期均值），泊松检验 P(X≥9)=0.0009 < 0.01。",
                   numbers={"observed": 9, "expected": 2.1, "p_value": 0.0009},
                   cases=[("event", e.pk) for e in events], point=(116.0053, 36.405)),
            Signal(rule="hotspot", key="hotspot:event:371502002001001:0301", level="red", code="371502002001001",
                   title="柳园街道的预警", explanation="另一街道", point=(116.105, 36.405))], now=now)
    w = Warning.objects.get(code="371502001001001")
    other = Warning.objects.get(code="371502002001001")

    # --- at a desk: the board (list + map) and the warning's page -----------------------------------
    desk = pages.open("op_a")
    desk.set_viewport_size(DESK)
    pages.login(desk, "op_a")
    pages.menu(desk).get_by_role("link", name="预警").click()
    expect(desk.get_by_role("heading", name="预警看板")).to_be_visible()
    table = desk.get_by_test_id("warning-table")
    expect(table.get_by_role("link", name=w.number)).to_be_visible()
    expect(table.get_by_text(other.number)).to_have_count(0)  # another township's: never shown
    expect(desk.locator("#warning-map canvas")).to_have_count(1)  # the markers are drawn on a canvas
    pages.shot(desk, "desk-board")
    table.get_by_role("link", name=w.number).click()
    expect(desk.get_by_test_id("explanation")).to_contain_text("基线期望 2.1 起")
    pages.shot(desk, "desk-detail")

    # --- on a phone: assess, supervise an event behind it, close ------------------------------------
    phone = pages.open("op_a", phone=True)
    pages.login(phone, "op_a")
    pages.menu(phone).get_by_role("link", name="预警").click()
    pages.shot(phone, "phone-board")
    phone.get_by_test_id("warning-table").get_by_role("link", name=w.number).click()
    status = phone.get_by_test_id("warning-head").get_by_test_id("status-badge")
    expect(status).to_have_text("新预警")
    expect(phone.get_by_test_id("cases").get_by_role("link", name=events[0].number)).to_be_visible()
    pages.shot(phone, "phone-detail-new")

    form = act(phone, "assess")
    form.get_by_label("研判意见").fill("经研判：古城路垃圾堆放反复发生，属实，需督办城管限期清理")
    form.get_by_role("button", name="确认研判").click()
    expect(status).to_have_text("已研判")

    form = act(phone, "link_supervision")
    form.get_by_label("督办事件").select_option(events[0].number)
    form.get_by_label("督办级别").select_option("red")
    form.get_by_label("督办意见").fill("红牌督办：三日内清理完毕并建立长效保洁机制")
    pages.shot(phone, "phone-supervise-form")
    form.get_by_role("button", name="确认督办事件").click()
    expect(status).to_have_text("处置中")
    expect(phone.get_by_test_id("linked-actions")).to_contain_text(events[0].number)

    form = act(phone, "resolve")
    form.get_by_label("解除理由").fill("已清理完毕，连续七日无新发")
    form.get_by_role("button", name="确认解除").click()
    expect(status).to_have_text("已解除")
    expect(phone.get_by_test_id("timeline")).to_contain_text("督办事件")
    pages.shot(phone, "phone-detail-resolved")

    w.refresh_from_db()
    assert w.status == "resolved" and w.assessment.startswith("经研判")
    supervised = Event.objects.get(pk=events[0].pk)
    assert supervised.supervision == "red"
    assert supervised.log.filter(action="supervise", note__startswith="红牌督办").count() == 1

    # --- the event's page shows the 督办 ----------------------------------------------------------
    desk.goto(f"/events/{events[0].number}/")
    expect(desk.locator("main")).to_contain_text("红牌督办：三日内清理完毕")
    desk.goto(f"/warnings/{w.number}/")
    pages.shot(desk, "desk-detail-resolved")
    pages.assert_clean()


def test_the_command_center_feed_lists_the_open_warnings_of_the_region(pages):
    city = make_city()
    upsert([Signal(rule="hotspot", key="hotspot:x", level="red", code="371502001001001",
                   title="古城社区第一网格事件异常增多", explanation="近 7 日 9 起，期望 2.1 起")])
    desk = pages.open("leader_county")
    desk.set_viewport_size(DESK)
    pages.login(desk, "leader_county")
    desk.goto("/command/")
    feed = desk.get_by_test_id("feed")
    expect(feed).to_contain_text("古城社区第一网格事件异常增多")
    expect(feed.locator(".cc-badge-warning-red")).to_have_text("红色预警")
    pages.shot(desk, "desk-command-feed")
    assert city.county.code == "371502"
    pages.assert_clean()

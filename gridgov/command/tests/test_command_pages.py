"""The command center page (/command/, /command/big/): who may open it, scope (404 outside), a bad period,
the KPIs it renders itself — each a link to a worklist holding exactly that many cases — and that it runs
no inline script (the CSP forbids them)."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from gridgov.stats import shapes
from gridgov.stats.tests.summary_world import build_world

HOME = "/command/"
BIG = "/command/big/"


@pytest.fixture
def world(city):
    shapes.invalidate()
    return build_world(city)


def tiles(html: str) -> dict[str, tuple[str, int]]:
    """data-key → (link, number) of the count tiles."""
    out = {}
    for m in re.finditer(r'<a class="cc-kpi cc-count[^"]*" href="([^"]*)" data-key="(\w+)">.*?'
                         r'<strong class="cc-kpi-value">(\d+)</strong>', html, re.S):
        out[m.group(2)] = (unescape(m.group(1)), int(m.group(3)))
    return out


def worklist_count(client, link: str) -> int:
    parts = urlsplit(link)
    resp = client.get(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})
    assert resp.status_code == 200
    return resp.context["page"].paginator.count


def test_the_urls_resolve():
    assert reverse("command:home") == HOME and reverse("command:big") == BIG


def test_anonymous_is_sent_to_login(client, city):
    resp = client.get(HOME)
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


@pytest.mark.parametrize("who", ["worker_a", "liaison_cg"])
def test_roles_without_statistics_get_404(client, city, who):
    client.force_login(getattr(city, who))
    assert client.get(HOME).status_code == 404
    assert client.get(BIG).status_code == 404


def test_a_township_operator_gets_404_for_another_township_and_the_county(client, city):
    client.force_login(city.operator_a)
    assert client.get(HOME, {"code": city.township_b.code}).status_code == 404
    assert client.get(HOME, {"code": city.county.code}).status_code == 404
    assert client.get(HOME, {"code": "not-a-code"}).status_code == 404
    resp = client.get(HOME)
    assert resp.status_code == 200 and resp.context["node"]["code"] == city.township_a.code


def test_a_county_leader_opens_the_county_and_a_township(client, city, world):
    client.force_login(city.leader_county)
    resp = client.get(HOME)
    assert resp.status_code == 200 and resp.context["node"]["code"] == city.county.code
    resp = client.get(HOME, {"code": city.township_a.code})
    assert resp.status_code == 200
    assert [c["name"] for c in resp.context["crumbs"]] == [city.county.name, city.township_a.name]


def test_the_page_renders_the_kpis_of_the_period(client, city, world):
    client.force_login(city.leader_county)
    resp = client.get(HOME, {"period": "day", "value": world.day})
    html = resp.content.decode()
    t = tiles(html)
    assert t["reported"][1] == 6 and t["closed"][1] == 2 and t["valid"][1] == 3
    assert t["open"][1] == 4  # open now, whenever reported
    rates = {k["key"]: k for k in resp.context["rate_tiles"]}
    assert rates["on_time_close_rate"]["numerator_count"] == 2
    assert rates["satisfaction_rate"]["percent"] == "100.00%" and "100.00%" in html
    assert world.day in html  # the period's label


def test_each_kpi_number_links_to_a_worklist_of_that_many_cases(client, city, world):
    client.force_login(city.leader_county)
    html = client.get(HOME, {"code": city.township_a.code, "value": world.month}).content.decode()
    t = tiles(html)
    assert set(t) >= {"reported", "valid", "closed", "due", "open", "overdue", "near_due"}
    for key, (link, number) in t.items():
        assert worklist_count(client, link) == number, key
    assert t["reported"][1] >= 3 and t["overdue"][1] >= 1  # the check above compared real numbers


def test_a_bad_period_is_a_400_with_the_message_and_the_current_month(client, city):
    client.force_login(city.leader_county)
    resp = client.get(HOME, {"period": "month", "value": "2026-13"})
    assert resp.status_code == 400
    assert "value" in resp.context["errors"] and resp.context["period"]["kind"] == "month"
    assert 'class="errorlist' in resp.content.decode()
    resp = client.get(HOME, {"measure": "nonsense"})
    assert resp.status_code == 400 and "measure" in resp.context["errors"]


@pytest.mark.parametrize("url,params", [(BIG, {}), (HOME, {"screen": "big"})])
def test_the_big_screen_has_no_page_chrome(client, city, url, params):
    client.force_login(city.leader_county)
    resp = client.get(url, params)
    html = resp.content.decode()
    assert resp.status_code == 200 and resp.context["big"]
    assert 'class="cc cc-big"' in html and 'class="topbar"' not in html and "cc-big-body" in html


def test_the_desk_page_sits_in_the_site_chrome(client, city):
    client.force_login(city.leader_county)
    html = client.get(HOME).content.decode()
    assert 'class="topbar"' in html and 'class="cc cc-desk"' in html


def test_no_inline_script_only_files_and_a_json_data_block(client, city):
    client.force_login(city.leader_county)
    html = client.get(HOME).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "command/js/command.js" in html and "vendor/echarts/echarts.min.js" in html
    assert " style=" not in html


def test_the_navigation_shows_the_command_center_evaluation_and_reports_to_leaders_operators_and_admins_only(
        client, city):
    for user, shown in [(city.leader_county, True), (city.operator_a, True), (city.admin, True),
                        (city.worker_a, False), (city.liaison_cg, False)]:
        client.force_login(user)
        html = client.get("/notifications/").content.decode()
        for href in (HOME, "/evaluation/", "/reports/"):
            assert (f'href="{href}"' in html) == shown, (user.username, href)

"""The command center in a real browser: a county leader opens it, drills down on the map and in the table
from the county to a township, a community and a grid, goes back with the browser, clicks a number and lands
on the worklist showing the same count, then generates and downloads the county's monthly report; the big screen fills 1920×1080 with nothing else on it; and the
desk page works on a laptop and a phone. No console error, no CSP violation, nothing fetched from outside.

With ``GRIDGOV_E2E_SHOTS=/tmp/shots_command`` the screenshots (big screen, laptop, phone) land there."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from gridgov.stats import shapes
from gridgov.stats.tests.summary_world import build_world
from gridgov.testing import make_city

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips every test here then
    expect = None

pytestmark = pytest.mark.e2e

BIG = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1366, "height": 768}


def _watch_csp(page) -> None:
    page.add_init_script("""
        window.__cspViolations = [];
        document.addEventListener("securitypolicyviolation",
            (e) => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));
    """)


def ready(page):
    expect(page.locator("#cc[data-ready='1']")).to_have_count(1)


def crumbs(page):
    return page.get_by_test_id("crumbs")


def tile(page, key: str):
    return page.locator(f"#cc-kpis [data-key='{key}'] .cc-kpi-value")


def shot(pages, page, name: str) -> None:
    page.wait_for_timeout(800)  # the charts' entry animation (a picture, not an assertion)
    pages.shot(page, name)


def drill_on_map(page, name: str) -> None:
    """Click a child's area on the map, near its corner (the centre may carry a heat dot, which opens the
    worklist instead)."""
    row = page.locator("#cc-table tbody tr", has=page.get_by_role("link", name=name, exact=True))
    code = row.get_attribute("data-code")
    index = page.locator("#cc-table tbody tr").evaluate_all(
        "(rows, code) => rows.findIndex(r => r.dataset.code === code)", code)
    page.locator("#cc-map path.leaflet-interactive").nth(index).click(position={"x": 4, "y": 4})


@pytest.fixture
def world(transactional_db):
    shapes.invalidate()
    city = make_city()
    return city, build_world(city)


def test_a_county_leader_drills_down_to_a_grid_and_opens_the_cases_behind_a_number(pages, world):
    city, w = world
    page = pages.open("leader_county")
    _watch_csp(page)
    page.set_viewport_size(LAPTOP)
    pages.login(page, "leader_county")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="指挥中心").click()
    ready(page)
    expect(crumbs(page)).to_have_text(city.county.name)
    # the period of the data set: a day, chosen with the period select and the URL
    page.goto(f"/command/?period=day&value={w.day}")
    ready(page)
    expect(tile(page, "reported")).to_have_text("6")
    expect(page.locator("#cc-table tbody tr")).to_have_count(2)
    expect(page.locator("#cc-map path.leaflet-interactive").first).to_be_visible()
    expect(page.locator("#cc-trend canvas")).to_have_count(1)
    expect(page.get_by_test_id("feed").locator("li")).not_to_have_count(0)
    shot(pages, page, "laptop-county")

    # county → township (on the map) → community → grid (in the table)
    drill_on_map(page, city.township_a.name)
    ready(page)
    expect(crumbs(page)).to_have_text(re.compile(f"{city.county.name}.*{city.township_a.name}"))
    expect(page).to_have_url(re.compile(f"code={city.township_a.code}"))
    expect(tile(page, "reported")).to_have_text("4")
    page.locator("#cc-table").get_by_role("link", name=city.community_a.name, exact=True).click()
    ready(page)
    expect(crumbs(page)).to_contain_text(city.community_a.name)
    expect(page.locator("#cc-table tbody tr")).to_have_count(2)  # its two grids
    drill_on_map(page, city.grid_a1.name)
    ready(page)
    expect(crumbs(page)).to_contain_text(city.grid_a1.name)
    expect(page).to_have_url(re.compile(f"code={city.grid_a1.code}"))
    expect(tile(page, "reported")).to_have_text("3")
    shot(pages, page, "laptop-grid")

    # back and forward with the browser, then the breadcrumb back to the township
    page.go_back()
    ready(page)
    expect(crumbs(page).locator("strong")).to_have_text(city.community_a.name)
    page.go_forward()
    ready(page)
    expect(crumbs(page).locator("strong")).to_have_text(city.grid_a1.name)
    crumbs(page).get_by_role("link", name=city.township_a.name).click()
    ready(page)
    expect(crumbs(page).locator("strong")).to_have_text(city.township_a.name)

    # a number in the table and a KPI tile: the worklist behind each shows the same count
    row = page.locator("#cc-table tbody tr", has=page.get_by_role("link", name=city.community_a.name, exact=True))
    shown = row.locator("td[data-measure='reported'] a").inner_text()
    row.locator("td[data-measure='reported'] a").click()
    expect(page).to_have_url(re.compile(r"/events/\?"))
    expect(page.get_by_test_id("worklist-count")).to_have_text(shown)
    page.go_back()
    ready(page)
    closed = tile(page, "closed").inner_text()
    tile(page, "closed").click()
    expect(page).to_have_url(re.compile(r"measure=closed"))
    expect(page.get_by_test_id("worklist-count")).to_have_text(closed)

    # the county's monthly 通报: generated from the reports page, then downloaded as a PDF that names the county
    page.goto("/reports/")
    form = page.get_by_test_id("report-generate")
    form.locator("select[name=region]").select_option(city.county.code)
    form.locator("select[name=kind]").select_option("monthly")
    form.locator("input[name=value]").fill(w.month)
    form.get_by_role("button", name="立即生成").click()
    row = page.locator("table.reports tbody tr").filter(has_text=city.county.name).first
    expect(row).to_contain_text("月")
    shot(pages, page, "laptop-reports")
    # the download link, fetched with the page's own session (the test contexts keep no downloaded files)
    response = page.request.get(row.get_by_role("link", name="PDF").get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert city.county.name in text and "按期结案率" in text
    assert page.evaluate("() => window.__cspViolations") == []
    pages.assert_clean()


def test_the_big_screen_fills_1920_by_1080_dark_without_page_chrome(pages, world):
    city, w = world
    page = pages.open("leader_county")
    _watch_csp(page)
    page.set_viewport_size(BIG)
    pages.login(page, "leader_county")
    page.goto(f"/command/big/?period=month&value={w.month}")
    ready(page)
    expect(page.locator(".topbar")).to_have_count(0)
    box = page.locator("#cc").bounding_box()
    assert (round(box["width"]), round(box["height"])) == (1920, 1080)
    assert page.evaluate("() => document.documentElement.scrollHeight") <= 1080  # nothing below the fold
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(4, 16, 31)"
    for panel in ("#cc-map", "#cc-trend", "#cc-cats", "#cc-sources", "#cc-sla", "#cc-feed"):
        b = page.locator(panel).bounding_box()
        assert b["height"] > 120 and b["y"] + b["height"] <= 1080, panel
    shot(pages, page, "big-screen")
    # a township on the big screen, through the map (the table is not shown there)
    page.locator("#cc-map path.leaflet-interactive").first.click(position={"x": 4, "y": 4})
    ready(page)
    expect(crumbs(page).locator("strong")).to_have_text(city.township_a.name)
    shot(pages, page, "big-screen-township")
    assert page.evaluate("() => window.__cspViolations") == []
    pages.assert_clean()


def test_the_desk_page_on_a_phone(pages, world):
    city, w = world
    page = pages.open("leader_county", phone=True)
    _watch_csp(page)
    pages.login(page, "leader_county")
    page.goto(f"/command/?period=month&value={w.month}")
    ready(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    expect(page.locator("#cc-map")).to_be_visible()
    shot(pages, page, "phone-county")
    page.locator("#cc-table").get_by_role("link", name=city.township_b.name, exact=True).click()
    ready(page)
    expect(crumbs(page).locator("strong")).to_have_text(city.township_b.name)
    assert page.evaluate("() => window.__cspViolations") == []
    pages.assert_clean()

"""The /evaluation/ pages: the rankings of the viewer's scope as desk tables, 404 outside it."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.cases.models import DeptTally, Tally

Q = "period=month&value=2026-11"


@pytest.fixture
def figures(city):
    # November: township A 按期结案 9/10, in the grid 5/10 → 76.67 (3 stars); October: A 5/10 on time,
    # nothing in the grid → (15 + 0) ÷ 45 = 33.33, B 10/10 → (30 + 15×1) ÷ 45 = 100 → A moved up one
    for level, code in ((4, "371502001"), (6, "371502001001001")):
        Tally.objects.create(kind="event", level=level, code=code, day=date(2026, 11, 3), reported=10, valid=10,
                             closed=10, closed_on_time=9, resolved_grid=5)
    Tally.objects.create(kind="event", level=4, code="371502001", day=date(2026, 10, 3), reported=10, valid=10,
                         closed=10, closed_on_time=5)
    Tally.objects.create(kind="event", level=4, code="371502002", day=date(2026, 10, 3), reported=10, valid=10,
                         closed=10, closed_on_time=10, resolved_grid=10)
    DeptTally.objects.create(kind="event", department=city.dept_cg, day=date(2026, 11, 3), received=4, signed=4,
                             signed_on_time=3, handled=4, handled_on_time=4)
    return city


def page(client, user, path, query=Q):
    client.force_login(user)
    return client.get(f"/evaluation/{path}/?{query}")


def test_a_county_leader_sees_the_townships_ranked_with_stars_arrows_and_links(client, figures):
    resp = page(client, figures.leader_county, "regions")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "古楼街道" in html and "柳园街道" in html
    assert "76.67" in html and "★★★☆☆" in html
    assert "▲1" in html  # A was second in October, first in November
    assert "/events/?region=371502001&amp;reported_from=2026-11-01" in html
    assert "measure=closed_on_time" in html
    assert "?code=371502001&amp;period=month&amp;value=2026-11" in html  # drill down to the township


def test_the_index_redirects_to_the_regions_tab_keeping_the_query(client, figures):
    client.force_login(figures.leader_county)
    resp = client.get(f"/evaluation/?{Q}")
    assert resp.status_code == 302 and resp["Location"] == f"/evaluation/regions/?{Q}"


@pytest.mark.parametrize("tab", ["regions", "grids", "workers", "departments"])
def test_township_b_operator_gets_404_for_township_a(client, figures, tab):
    resp = page(client, figures.operator_b, tab, f"code=371502001&{Q}")
    assert resp.status_code == 404
    assert "古楼" not in resp.content.decode().split("<main", 1)[1]


def test_a_township_operator_sees_its_grids_and_workers_only(client, figures):
    html = page(client, figures.operator_a, "grids").content.decode()
    assert "古城社区第一网格" in html and "柳园社区第一网格" not in html
    html = page(client, figures.operator_a, "workers", "period=week&value=2026-11-23").content.decode()
    assert "古楼网格员" in html and "柳园网格员" not in html
    assert "县内名次" not in html


def test_a_county_leader_sees_worker_county_ranks(client, figures):
    html = page(client, figures.leader_county, "workers", "period=week&value=2026-11-23").content.decode()
    assert "县内名次" in html and "柳园网格员" in html


def test_the_departments_tab_shows_the_rates_and_the_score(client, figures):
    html = page(client, figures.leader_county, "departments").content.decode()
    # 按时签收 3/4, 按期处置 4/4, nothing returned, reworked or extended, no rating:
    # (15×0.75 + 35 + 15 + 10 + 10) ÷ 85 × 100 = 95.59
    assert "区城管局" in html and "75.00%" in html and "95.59" in html


def test_a_bad_period_is_a_400_page_naming_the_problem(client, figures):
    resp = page(client, figures.leader_county, "regions", "period=month&value=2026-13")
    assert resp.status_code == 400
    assert "统计周期格式不正确" in resp.content.decode()


def test_a_liaison_is_refused_and_a_visitor_must_log_in(client, figures):
    assert page(client, figures.liaison_cg, "regions").status_code == 403
    client.logout()
    resp = client.get("/evaluation/regions/")
    assert resp.status_code == 302 and "/login" in resp["Location"]

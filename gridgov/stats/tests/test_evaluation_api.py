"""/api/v1/stats/rankings/…: scope (404 outside it), bad input (4xx naming the field) and the answer's shape."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.cases.models import DeptTally, Tally

PATHS = ("regions", "grids", "workers", "departments")


@pytest.fixture
def figures(city):
    # November 2026, township A: 按期结案 9 of 10 closed, 5 in the grid → (30×0.9 + 15×0.5) ÷ 45 = 76.67
    for level, code in ((4, "371502001"), (6, "371502001001001")):
        Tally.objects.create(kind="event", level=level, code=code, day=date(2026, 11, 3), reported=10, valid=10,
                             closed=10, closed_on_time=9, resolved_grid=5)
    DeptTally.objects.create(kind="event", department=city.dept_cg, day=date(2026, 11, 3), received=4, signed=4,
                             signed_on_time=4, handled=4, handled_on_time=4)
    return city


@pytest.mark.parametrize("path", PATHS)
def test_a_township_operator_gets_404_for_another_townships_rankings(api, city, path):
    status, body = api("get", f"/stats/rankings/{path}?code=371502001&period=month&value=2026-11",
                       user=city.operator_b)
    assert status == 404 and body["code"] == "not_found"


@pytest.mark.parametrize("path", PATHS)
def test_a_township_operator_cannot_rank_the_county_above_it(api, city, path):
    status, _b = api("get", f"/stats/rankings/{path}?code=371502&period=month&value=2026-11", user=city.operator_a)
    assert status == 404


@pytest.mark.parametrize("path", PATHS)
def test_a_liaison_has_no_ranking_and_nobody_logged_out_either(api, city, path):
    assert api("get", f"/stats/rankings/{path}", user=city.liaison_cg)[0] == 404
    assert api("get", f"/stats/rankings/{path}")[0] == 401


def test_a_county_leader_ranks_the_county_townships_with_index_stars_and_links(api, figures):
    status, body = api("get", "/stats/rankings/regions?period=month&value=2026-11", user=figures.leader_county)
    assert status == 200, body
    assert body["node"]["code"] == "371502" and body["period"]["label"] == "2026年11月"
    assert body["previous"]["value"] == "2026-10"
    rows = {r["code"]: r for r in body["rows"]}
    assert set(rows) == {"371502001", "371502002"}
    a = rows["371502001"]
    assert (a["index"], a["stars"], a["rank"]) == (76.67, 3, 1)
    assert rows["371502002"]["rank"] is None
    assert a["components"]["on_time_close_rate"]["value"] == 0.9
    assert a["links"]["closed_on_time"].startswith("/events/?region=371502001&reported_from=2026-11-01")
    assert "measure=closed_on_time" in a["links"]["closed_on_time"]
    assert body["labels"]["control_rate"] == "动态掌控率"
    assert body["star_thresholds"] == [60, 70, 80, 90]


def test_a_township_operator_ranks_its_own_grids_with_grid_links(api, figures):
    status, body = api("get", "/stats/rankings/grids?period=month&value=2026-11", user=figures.operator_a)
    assert status == 200, body
    codes = [r["code"] for r in body["rows"]]
    assert codes == ["371502001001001", "371502001001002"]
    assert body["rows"][0]["links"]["reported"].startswith("/events/?grid=371502001001001")


def test_a_township_operator_ranks_its_workers(api, figures):
    status, body = api("get", "/stats/rankings/workers?period=week&value=2026-11-23", user=figures.operator_a)
    assert status == 200, body
    assert [r["username"] for r in body["rows"]] == ["worker_a"]
    assert body["period"]["start"] == "2026-11-23" and body["targets"]["events"] == 5


def test_departments_ranking_for_the_county(api, figures):
    status, body = api("get", "/stats/rankings/departments?code=371502&period=month&value=2026-11",
                       user=figures.leader_county)
    assert status == 200, body
    rows = {r["code"]: r for r in body["rows"]}
    assert rows["CG"]["score"] == 100.0 and rows["CG"]["rank"] == 1 and rows["ZJ"]["rank"] is None
    assert body["weights"]["handle_rate"] == 35


@pytest.mark.parametrize(("query", "field"), [("period=month&value=2026-13", "value"),
                                               ("period=fortnight", "period"),
                                               ("period=week&value=yesterday", "value")])
def test_a_bad_period_is_a_400_naming_the_field(api, city, query, field):
    status, body = api("get", f"/stats/rankings/regions?{query}", user=city.leader_county)
    assert status == 400 and field in body["fields"]


def test_an_unknown_department_kind_is_a_400(api, city):
    status, body = api("get", "/stats/rankings/departments?kind=parking", user=city.leader_county)
    assert status == 400 and "kind" in body["fields"]


def test_grids_and_workers_of_the_whole_city_are_refused_with_the_field_named(api, city):
    for path in ("grids", "workers"):
        status, body = api("get", f"/stats/rankings/{path}", user=city.admin)
        assert status == 422 and "code" in body["fields"]

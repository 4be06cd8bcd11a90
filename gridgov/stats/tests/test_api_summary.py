"""/api/v1/stats/summary, /map, /trend, /mix and /feed: scope (404 outside, 401 anonymous), bad input (400 naming
the field), the figures on a known set of events, and that each number's link opens a worklist of exactly
that many cases."""

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from gridgov.events.models import Status
from gridgov.stats import shapes
from gridgov.stats.tests.summary_world import build_world

ENDPOINTS = ["/stats/summary", "/stats/map", "/stats/trend", "/stats/mix", "/stats/feed"]


@pytest.fixture
def world(city):
    shapes.invalidate()
    return build_world(city)


def worklist_count(client, user, link: str) -> int:
    client.force_login(user)
    parts = urlsplit(link)
    assert parts.path == "/events/"
    resp = client.get(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})
    assert resp.status_code == 200, resp.context.get("errors")
    return resp.context["page"].paginator.count


# --- scope and input -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ENDPOINTS)
def test_anonymous_gets_401(api, city, path):
    status, body = api("get", path)
    assert status == 401 and body["code"] == "unauthenticated"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_township_operator_gets_404_for_another_township_and_for_the_county(api, city, path):
    for code in (city.township_b.code, city.county.code, city.grid_b1.code):
        status, body = api("get", f"{path}?code={code}", user=city.operator_a)
        assert status == 404, (path, code, body)
    status, _ = api("get", f"{path}?code={city.township_a.code}", user=city.operator_a)
    assert status == 200


@pytest.mark.parametrize("code", ["371502009", "abc", "3715020010019999", "3715' OR 1=1", "3715" + "0" * 300])
def test_an_unknown_or_malformed_code_is_404(api, city, code):
    status, body = api("get", "/stats/summary", user=city.leader_county, data={"code": code})
    assert status == 404 and body["code"] == "not_found"


def test_a_role_without_statistics_gets_404(api, city):
    for user in (city.worker_a, city.liaison_cg):
        status, _ = api("get", "/stats/summary", user=user)
        assert status == 404


def test_a_county_leader_sees_the_county_and_its_townships(api, city, world):
    status, body = api("get", "/stats/summary", user=city.leader_county)
    assert status == 200 and body["node"]["code"] == city.county.code
    assert [n["code"] for n in body["path"]] == [city.county.code]
    status, body = api("get", "/stats/map", user=city.leader_county, data={"value": world.month})
    assert [r["code"] for r in body["rows"]] == [city.township_a.code, city.township_b.code]
    status, body = api("get", f"/stats/summary?code={city.township_b.code}", user=city.leader_county)
    assert status == 200 and [n["code"] for n in body["path"]] == [city.county.code, city.township_b.code]


@pytest.mark.parametrize("query,field", [
    ({"period": "quarter"}, "period"),
    ({"period": "month", "value": "2026-13"}, "value"),
    ({"period": "month", "value": "november"}, "value"),
    ({"period": "day", "value": "9999-12-31"}, "value"),
    ({"period": "year", "value": "0"}, "value"),
    ({"period": "week", "value": "2026-11-31" + "x" * 200}, "value"),
    ({"kind": "parcel"}, "kind"),
])
@pytest.mark.parametrize("path", ["/stats/summary", "/stats/map", "/stats/trend", "/stats/mix"])
def test_bad_period_or_kind_is_400_naming_the_field(api, city, path, query, field):
    status, body = api("get", path, user=city.leader_county, data=query)
    assert status == 400, body
    assert field in body["fields"] and body["fields"][field][0]


def test_bad_measure_by_and_feed_kind_are_400(api, city):
    status, body = api("get", "/stats/map", user=city.leader_county, data={"measure": "happiness"})
    assert status == 400 and "measure" in body["fields"]
    status, body = api("get", "/stats/mix", user=city.leader_county, data={"by": "colour"})
    assert status == 400 and "by" in body["fields"]
    status, body = api("get", "/stats/feed", user=city.leader_county, data={"kind": "petition"})
    assert status == 400 and "kind" in body["fields"]


# --- the figures --------------------------------------------------------------------------------

def test_summary_counts_kpis_and_open_now_of_the_day(api, city, world):
    status, body = api("get", "/stats/summary", user=city.leader_county, data={"period": "day", "value": world.day})
    assert status == 200
    c = body["counts"]
    assert (c["reported"], c["valid"], c["closed"], c["closed_on_time"]) == (6, 3, 2, 2)
    assert c["open"] == 3 and c["due"] == 2 + c["open_due"]
    kpis = {k["key"]: k for k in body["kpis"]}
    assert kpis["on_time_close_rate"]["numerator_count"] == 2
    assert kpis["on_time_close_rate"]["denominator_count"] == c["due"]
    assert kpis["satisfaction_rate"]["percent"] == "100.00%"
    assert kpis["return_rate"]["value"] == 0.0
    assert body["open_now"]["open"] == 4  # the three of that day and today's
    assert body["period"]["label"] == world.day


def test_each_number_of_the_summary_opens_a_worklist_of_that_many_cases(api, client, city, world):
    _, body = api("get", "/stats/summary", user=city.leader_county, data={"value": world.month})
    for measure in ("reported", "valid", "closed", "closed_on_time", "closed_late", "due", "open", "satisfied"):
        assert worklist_count(client, city.leader_county, body["links"][measure]) == body["counts"][measure], measure
    for measure in ("open", "overdue", "near_due", "backlog"):
        link = body["open_links"][measure]
        assert worklist_count(client, city.leader_county, link) == body["open_now"].get(measure, 0), measure
    o = body["open_now"]
    normal = worklist_count(client, city.leader_county, body["open_links"]["normal"])
    assert normal == o["open"] - o["overdue"] - o["near_due"] and o["overdue"] > 0
    for k in body["kpis"]:
        if k["numerator_link"]:
            assert worklist_count(client, city.leader_county, k["numerator_link"]) == k["numerator_count"], k["key"]


def test_map_rows_per_child_with_outlines_and_heat_per_grid(api, client, city, world):
    status, body = api("get", "/stats/map", user=city.leader_county,
                       data={"period": "day", "value": world.day, "measure": "on_time_close_rate"})
    assert status == 200
    a, b = body["rows"]
    assert (a["counts"]["reported"], b["counts"]["reported"]) == (4, 2)
    assert a["outline"]["type"] in ("Polygon", "MultiPolygon") and a["center"] is not None
    assert a["display"].endswith("%") and b["value"] == 1.0
    # the two grids of township A (lng 116.00–116.02) make one rectangle
    xs = [pt[0] for ring in a["outline"]["coordinates"] for pt in ring]
    assert (min(xs), max(xs)) == (116.0, 116.02)
    heat = {h["code"]: h for h in body["heat"]}
    assert {k: h["count"] for k, h in heat.items()} == {
        city.grid_a1.code: 3, city.grid_a2.code: 1, city.grid_b1.code: 2}
    assert heat[city.grid_a1.code]["lng"] == pytest.approx(116.005)
    for h in heat.values():
        assert worklist_count(client, city.leader_county, h["link"]) == h["count"]
    assert worklist_count(client, city.leader_county, a["link"]) == a["counts"]["closed_on_time"]


@pytest.mark.parametrize("who,code", [("admin", None), ("leader_county", None), ("operator_a", "community_a")])
def test_the_map_answer_matches_its_schema(api, city, world, who, code):
    from gridgov.stats.api_summary import MapOut

    data = {"value": world.month, "measure": "safety_index"}
    if code:
        data["code"] = getattr(city, code).code
    status, body = api("get", "/stats/map", user=getattr(city, who), data=data)
    assert status == 200
    checked = MapOut.model_validate(body).model_dump(mode="json")
    assert set(checked) == set(body) and checked["period"] == body["period"] and checked["node"] == body["node"]
    assert [r["code"] for r in checked["rows"]] == [r["code"] for r in body["rows"]]
    assert [h["code"] for h in checked["heat"]] == [h["code"] for h in body["heat"]]


def test_map_of_a_community_has_its_grids_and_a_grid_has_none(api, city, world):
    _, body = api("get", "/stats/map", user=city.operator_a, data={"code": city.community_a.code, "value": world.month})
    assert [r["code"] for r in body["rows"]] == [city.grid_a1.code, city.grid_a2.code]
    assert body["rows"][0]["outline"]["type"] == "Polygon"
    _, body = api("get", "/stats/map", user=city.operator_a, data={"code": city.grid_a1.code, "value": world.month})
    assert body["rows"] == [] and body["node"]["level"] == 6 and body["outline"]["type"] == "Polygon"


def test_map_heat_of_a_city_is_per_community(api, city, world):
    _, body = api("get", "/stats/map", user=city.admin, data={"period": "day", "value": world.day})
    assert body["node"]["code"] == city.city.code and body["heat_level_name"] == "村(社区)"
    assert {h["code"]: h["count"] for h in body["heat"]} == {city.community_a.code: 4, city.community_b.code: 2}


def test_map_without_grid_boundaries_has_no_outlines_but_still_rows(api, city, world):
    from gridgov.regions.models import Grid

    for g in Grid.objects.all():
        g.boundary = None
        g.save()
    _, body = api("get", "/stats/map", user=city.leader_county, data={"value": world.month})
    assert len(body["rows"]) == 2 and all(r["outline"] is None and r["center"] is None for r in body["rows"])
    assert body["heat"] == []


def test_map_leaves_off_an_unreadable_boundary_and_repairs_a_self_crossing_one(api, city, world):
    from gridgov.regions.models import Grid

    grids = list(Grid.objects.filter(boundary__isnull=False).order_by("code"))
    bad, crossing = grids[0], grids[1]
    x1, y1 = crossing.boundary["coordinates"][0][2]
    Grid.objects.filter(pk=bad.pk).update(boundary={"type": "Polygon", "coordinates": "not coordinates"})
    # a bow tie: valid JSON, an invalid polygon; make_valid turns it into two triangles
    lo_x, lo_y = crossing.boundary["coordinates"][0][0]
    Grid.objects.filter(pk=crossing.pk).update(boundary={"type": "Polygon", "coordinates": [
        [[lo_x, lo_y], [x1, y1], [x1, lo_y], [lo_x, y1], [lo_x, lo_y]]]})
    shapes.invalidate()
    snap = shapes.current()
    assert snap.outline(bad.code) is None and snap.center(bad.code) is None
    assert snap.outline(crossing.code)["type"] in ("MultiPolygon", "Polygon") and snap.center(crossing.code)
    status, body = api("get", "/stats/map", user=city.admin, data={"value": world.month})
    assert status == 200 and body["rows"]


def test_trend_has_a_point_a_day_and_its_links_open_those_cases(api, client, city, world):
    _, body = api("get", "/stats/trend", user=city.leader_county, data={"value": world.month})
    days = {p["at"]: p for p in body["points"]}
    start, end = (date.fromisoformat(body["period"][k]) for k in ("start", "end"))
    assert list(days) == [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    point = days[world.day]
    assert (point["reported"], point["closed"]) == (6, 2)
    assert worklist_count(client, city.leader_county, point["links"]["reported"]) == 6
    assert worklist_count(client, city.leader_county, point["links"]["closed"]) == 2


def test_mix_by_category_names_categories_and_by_source_names_sources(api, client, city, world):
    _, body = api("get", "/stats/mix", user=city.leader_county, data={"period": "day", "value": world.day})
    rows = {r["key"]: r for r in body["rows"]}
    assert rows["0301"]["reported"] == 5 and rows["0101"]["reported"] == 1
    assert rows["0301"]["name"] != "0301" and rows["0301"]["name"]
    assert worklist_count(client, city.leader_county, rows["0301"]["link"]) == 5
    _, body = api("get", "/stats/mix", user=city.leader_county,
                  data={"period": "day", "value": world.day, "by": "source"})
    names = {r["key"]: (r["name"], r["reported"]) for r in body["rows"]}
    assert names == {"grid_patrol": ("网格员巡查", 4), "hotline": ("热线", 2)}
    link = next(r["link"] for r in body["rows"] if r["key"] == "hotline")
    assert worklist_count(client, city.leader_county, link) == 2


def test_feed_lists_the_newest_the_overdue_and_links_to_each_event(api, city, world):
    status, body = api("get", "/stats/feed", user=city.leader_county)
    assert status == 200
    newest = world.events[-1]
    assert body["new"][0]["number"] == newest.number
    assert body["new"][0]["link"] == f"/events/{newest.number}/"
    overdue = {x["number"] for x in body["overdue"]}
    assert world.events[0].number in overdue and newest.number not in overdue
    closed = {e.number for e in world.events if e.status in (Status.CLOSED, Status.REJECTED)}
    assert not closed & {x["number"] for x in body["new"] + body["overdue"] + body["near_due"]}
    assert body["open_now"]["open"] == 4


def test_feed_of_a_township_operator_holds_only_their_township(api, city, world):
    _, body = api("get", "/stats/feed", user=city.operator_b)
    numbers = {x["number"] for x in body["new"]}
    assert numbers == {e.number for e in world.events if e.region.code.startswith(city.township_b.code)
                       and e.status not in (Status.CLOSED, Status.REJECTED)}


def test_every_map_measure_answers_and_colours_the_children(api, city, world):
    from gridgov.stats.api_summary import MEASURES

    keys = [m.key for m in MEASURES]
    assert {"reported", "open", "overdue", "on_time_close_rate"} <= set(keys)
    for key in keys:
        status, body = api("get", "/stats/map", user=city.leader_county, data={"value": world.month, "measure": key})
        assert status == 200 and body["measure"] == key, (key, body)
        assert len(body["rows"]) == 2
    _, body = api("get", "/stats/map", user=city.leader_county, data={"value": world.month, "measure": "overdue"})
    assert [r["value"] for r in body["rows"]] == [r["open_now"]["overdue"] for r in body["rows"]]
    if "safety_index" in keys:  # 平安指数 (gridgov.stats.evaluation) when that module provides it
        _, body = api("get", "/stats/map", user=city.leader_county,
                      data={"value": world.month, "measure": "safety_index"})
        assert all(isinstance(r["value"], float) and r["safety"]["index"] == r["value"] for r in body["rows"])


def test_the_openapi_document_describes_the_stats_endpoints(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    for p in ("summary", "map", "trend", "mix", "feed"):
        assert f"/api/v1/stats/{p}" in paths


@pytest.mark.parametrize("kind", ["dispute", "petition"])
@pytest.mark.parametrize("period", [{"period": "month"}, {"period": "week"}, {"period": "year"}])
def test_other_kinds_answer_without_worklist_links(api, city, kind, period):
    for path in ("/stats/summary", "/stats/map", "/stats/trend", "/stats/mix"):
        for code in (city.county.code, city.community_a.code, city.grid_a1.code):
            status, body = api("get", path, user=city.leader_county, data={"kind": kind, "code": code, **period})
            assert status == 200, (path, code, body)
    _, body = api("get", "/stats/summary", user=city.leader_county, data={"kind": kind})
    assert body["links"] == {} and body["kind"] == kind

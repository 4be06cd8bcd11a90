"""``GET /api/v1/regions/outlines``: community outlines and grid labels for a map without tiles."""

from __future__ import annotations

import pytest
from shapely.geometry import shape

from gridgov.regions import api as regions_api
from gridgov.regions import outlines

URL = "/api/v1/regions/outlines"


@pytest.fixture(autouse=True)
def _fresh_outlines():
    outlines.invalidate()
    yield
    outlines.invalidate()


def _by_code(body):
    return {f["properties"]["code"]: f for f in body["features"]}


def test_a_township_gives_its_communities_union_and_its_grids_with_names_and_labels(city, client):
    response = client.get(URL, {"township": "371502001"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    body = response.json()
    features = _by_code(body)
    assert set(features) == {"371502001001", "371502001001001", "371502001001002"}
    community = features["371502001001"]
    assert community["properties"]["kind"] == "community"
    assert community["properties"]["name"] == "古城社区居委会"
    assert community["properties"]["short"] == "古城社区"  # the name the map writes
    # the community is its two grids' union: 116.00–116.02 × 36.40–36.41
    assert shape(community["geometry"]).bounds == pytest.approx((116.00, 36.40, 116.02, 36.41))
    lng, lat = community["properties"]["label"]
    assert shape(community["geometry"]).contains(shape({"type": "Point", "coordinates": [lng, lat]}))
    grid = features["371502001001002"]
    assert grid["properties"] == {"kind": "grid", "code": "371502001001002", "name": "古城社区第二网格",
                                  "label": [116.015, 36.405]}
    assert body["grids"] is True


def test_a_box_gives_what_it_touches_only(city, client):
    body = client.get(URL, {"bbox": "116.095,36.395,116.19,36.49"}).json()

    assert set(_by_code(body)) == {"371502002001", "371502002001001"}


def test_a_wide_box_gives_communities_without_grids(city, client):
    client.force_login(city.operator_a)
    body = client.get(URL, {"bbox": "115.9,36.3,116.5,36.9"}).json()

    assert body["grids"] is False
    assert {f["properties"]["kind"] for f in body["features"]} == {"community"}
    assert set(_by_code(body)) == {"371502001001", "371502002001"}


def test_past_the_limit_the_collection_says_truncated(city, client, monkeypatch):
    monkeypatch.setattr(outlines, "MAX_FEATURES", 2)
    body = client.get(URL, {"township": "371502001"}).json()

    assert len(body["features"]) == 2 and body["truncated"] is True


@pytest.mark.parametrize("params, field", [
    ({}, "bbox"),
    ({"bbox": "1,2,3"}, "bbox"),
    ({"bbox": "a,b,c,d"}, "bbox"),
    ({"bbox": "116.2,36.4,116.1,36.5"}, "bbox"),  # west > east
    ({"bbox": "100,30,120,40"}, "bbox"),  # too wide
    ({"bbox": "nan,36,116,37"}, "bbox"),
    ({"bbox": "116,36,inf,37"}, "bbox"),
    ({"township": "3715"}, "township"),
    ({"township": "37150200100x"}, "township"),
    ({"township": "371502001", "grids": "maybe"}, "grids"),
])
def test_bad_input_is_422_naming_the_field(city, client, params, field):
    response = client.get(URL, params)

    assert response.status_code == 422
    body = response.json()
    assert field in body["fields"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["fields"][field][0])  # a Chinese message


def test_an_unknown_township_is_an_empty_collection(city, client):
    body = client.get(URL, {"township": "371502009"}).json()

    assert body["features"] == []


def test_visitors_are_rate_limited(city, client, monkeypatch):
    monkeypatch.setattr(regions_api, "PUBLIC_MAP_REQUESTS", 2)
    codes = [client.get(URL, {"township": "371502001"}).status_code for _ in range(3)]

    assert codes == [200, 200, 429]


def test_a_grid_without_a_boundary_is_left_out(city, client):
    city.grid_a2.boundary = None
    city.grid_a2.save()

    body = client.get(URL, {"township": "371502001"}).json()

    assert set(_by_code(body)) == {"371502001001", "371502001001001"}


def test_the_regions_tree_is_browsable_without_an_account(city, client):
    response = client.get("/api/v1/regions", {"parent": "371502"})

    assert response.status_code == 200
    assert [r["name"] for r in response.json()] == ["古楼街道", "柳园街道"]


# --- a visitor's views are smaller than staff's --------------------------------------------------------------

WIDE = "115.9,36.3,116.5,36.9"  # 0.6°: staff's communities-only view
MIDDLE = "115.95,36.3,116.15,36.5"  # 0.2°: staff get grids, a visitor communities only
NEAR = "116.0,36.4,116.09,36.49"  # 0.09°


def test_a_visitors_wide_view_is_a_422_naming_the_box(city, client):
    response = client.get(URL, {"bbox": WIDE})

    assert response.status_code == 422
    assert response.json()["fields"]["bbox"] == ["范围过大：跨度不能超过 0.25 度，请放大地图"]


@pytest.mark.parametrize("bbox, signed_in, grids", [
    (MIDDLE, False, False), (NEAR, False, True), (MIDDLE, True, True), (WIDE, True, False),
])
def test_grids_come_in_smaller_views_for_a_visitor_than_for_staff(city, client, bbox, signed_in, grids):
    if signed_in:
        client.force_login(city.worker_a)
    response = client.get(URL, {"bbox": bbox})

    assert response.status_code == 200
    body = response.json()
    assert body["grids"] is grids
    assert ("371502001001001" in _by_code(body)) is grids and "371502001001" in _by_code(body)


def test_a_visitor_still_gets_a_whole_township(city, client):
    body = client.get(URL, {"township": "371502001"}).json()

    assert body["grids"] is True and "371502001001002" in _by_code(body)


def test_the_map_pages_are_told_their_users_limits(city, client):
    html = client.get("/disputes/apply/").content.decode()
    assert 'data-outlines-span="0.25" data-outlines-grid-span="0.1"' in html
    client.force_login(city.operator_a)
    html = client.get("/disputes/new/").content.decode()
    assert 'data-outlines-span="1.0" data-outlines-grid-span="0.25"' in html

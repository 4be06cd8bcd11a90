"""``GET /api/v1/places/search``: type a place, the map goes there — public geography for everyone, door-plate
addresses (the population registry's) only for signed-in staff within their registry scope."""

from __future__ import annotations

import pytest

from gridgov.regions import outlines
from gridgov.registry import api_places
from gridgov.registry.models import Address

URL = "/api/v1/places/search"


@pytest.fixture(autouse=True)
def _fresh_outlines():
    outlines.invalidate()
    yield
    outlines.invalidate()


def _address(city, road, building="", unit="", room="", lng=None, lat=None, b=False):
    n = Address.objects.count() + 1
    community, grid = (city.community_b, city.grid_b1) if b else (city.community_a, city.grid_a1)
    return Address.objects.create(code=f"{community.code}{n:06d}", region=community,
                                  grid=grid, road=road, building=building, unit=unit, room=room,
                                  lng=lng, lat=lat, key=f"k{n}")


def test_a_community_name_finds_it_with_where_to_show_it(city, client):
    body = client.get(URL, {"q": "古城社区"}).json()

    community = next(p for p in body if p["kind"] == "community")
    assert community["code"] == "371502001001" and community["detail"] == "古楼街道"
    assert community["bbox"] == pytest.approx([116.00, 36.40, 116.02, 36.41])
    grids = [p for p in body if p["kind"] == "grid"]
    assert [g["grid"]["code"] for g in grids] == ["371502001001001", "371502001001002"]
    assert grids[0]["center"] == pytest.approx([116.005, 36.405])


def test_an_address_is_answered_at_the_door_plate_never_the_room(city, client):
    _address(city, "古城路", "12", "1", "101", lng=116.004, lat=36.404)
    _address(city, "古城路", "12", "2", "202", lng=116.006, lat=36.406)
    client.force_login(city.worker_a)

    body = client.get(URL, {"q": "古城路12号"}).json()

    assert len(body) == 1
    place = body[0]
    assert place["kind"] == "address" and place["name"] == "古城路12号"
    assert place["center"] == pytest.approx([116.005, 36.405])
    assert place["region"] == {"code": "371502001001", "name": "古城社区居委会"}
    assert place["grid"] == {"code": "371502001001001", "name": "古城社区第一网格"}
    assert "101" not in str(body) and "202" not in str(body)


def test_an_address_without_a_point_goes_to_its_grid(city, client):
    _address(city, "光明小区", "3")
    client.force_login(city.operator_a)

    place = client.get(URL, {"q": "光明小区"}).json()[0]

    assert place["name"] == "光明小区3号"
    assert place["center"] == pytest.approx([116.005, 36.405])


def test_region_narrows_the_search(city, client):
    body = client.get(URL, {"q": "社区第一网格", "region": "371502002"}).json()

    assert [p["code"] for p in body] == ["371502002001001"]


@pytest.mark.parametrize("params, field", [
    ({}, "q"), ({"q": "古"}, "q"), ({"q": " \u3000"}, "q"), ({"q": "古" * 51}, "q"), ({"q": "古" * 101}, "q"),
    ({"q": "古城", "region": "37a"}, "region"),
])
def test_bad_input_is_422_naming_the_field(city, client, params, field):
    response = client.get(URL, params)

    assert response.status_code == 422
    assert field in response.json()["fields"]


def test_nothing_found_is_an_empty_list(city, client):
    assert client.get(URL, {"q": "不存在的地方"}).json() == []


def test_visitors_are_rate_limited(city, client, monkeypatch):
    monkeypatch.setattr(api_places, "SEARCHES", 2)
    codes = [client.get(URL, {"q": "古城"}).status_code for _ in range(3)]

    assert codes == [200, 200, 429]


def test_a_signed_in_user_is_counted_apart_from_the_address(city, client, monkeypatch):
    monkeypatch.setattr(api_places, "SEARCHES", 1)
    assert client.get(URL, {"q": "古城"}).status_code == 200
    client.force_login(city.worker_a)
    assert client.get(URL, {"q": "古城"}).status_code == 200


def test_a_visitor_never_gets_a_door_plate_address(city, client):
    """A door plate in a village is one household: anonymous searches must not enumerate the registry."""
    _address(city, "古城路10号院", "1", lng=116.004, lat=36.404)
    _address(city, "古城路", "12", lng=116.006, lat=36.406)

    for q in ("路1", "古城路", "古城路12号", "古城路10号院1号"):
        body = client.get(URL, {"q": q}).json()
        assert [p for p in body if p["kind"] == "address"] == [], q
    # public geography is still answered
    assert {p["kind"] for p in client.get(URL, {"q": "古城"}).json()} == {"community", "grid"}


@pytest.mark.parametrize("who, expected", [
    ("admin", ["古城路12号", "古城路8号"]),
    ("county_operator", ["古城路12号", "古城路8号"]),
    ("operator_a", ["古城路12号"]),
    ("leader_a", ["古城路12号"]),
    ("worker_a", ["古城路12号"]),
    ("worker_b", ["古城路8号"]),
    ("liaison_cg", []),
])
def test_staff_get_door_plates_only_within_their_registry_scope(city, client, who, expected):
    _address(city, "古城路", "12", lng=116.004, lat=36.404)
    _address(city, "古城路", "8", lng=116.104, lat=36.404, b=True)
    client.force_login(getattr(city, who))

    body = client.get(URL, {"q": "古城路"}).json()

    assert sorted(p["name"] for p in body if p["kind"] == "address") == sorted(expected)


def test_a_bearer_token_is_scoped_like_a_session(city, api):
    _address(city, "古城路", "12", lng=116.004, lat=36.404)
    _address(city, "古城路", "8", lng=116.104, lat=36.404, b=True)

    status, body = api("get", "/places/search?q=古城路", user=city.worker_b)

    assert status == 200 and [p["name"] for p in body if p["kind"] == "address"] == ["古城路8号"]

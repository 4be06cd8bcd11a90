"""``GET /api/v1/places/search``: type a place, the map goes there — public geography only."""

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


def _address(city, road, building="", unit="", room="", lng=None, lat=None):
    n = Address.objects.count() + 1
    return Address.objects.create(code=f"{city.community_a.code}{n:06d}", region=city.community_a,
                                  grid=city.grid_a1, road=road, building=building, unit=unit, room=room,
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

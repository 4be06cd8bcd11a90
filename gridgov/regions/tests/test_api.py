from __future__ import annotations

import pytest

from gridgov.accounts.models import ApiToken
from gridgov.regions import api as regions_api
from gridgov.regions.models import Grid


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_lookup_answers_a_visitor_without_an_account(city, client):
    """A citizen's report page shows the picked point's grid: grid names and codes are public."""
    response = client.get("/api/v1/grids/lookup", {"lng": 116.005, "lat": 36.405})

    assert response.status_code == 200
    assert response.json()["grid"] == {"code": "371502001001001", "name": "古城社区第一网格", "kind": "general"}


def test_lookup_with_a_bad_token_is_still_401(city, client):
    response = client.get("/api/v1/grids/lookup", {"lng": 116.005, "lat": 36.405},
                          headers={"Authorization": "Bearer nope"})

    assert response.status_code == 401


def test_a_visitor_flooding_the_lookup_gets_429(city, client, monkeypatch):
    monkeypatch.setattr(regions_api, "PUBLIC_MAP_REQUESTS", 3)
    codes = [client.get("/api/v1/grids/lookup", {"lng": 116.005, "lat": 36.405}).status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]


def test_lookup_finds_the_grid_and_its_community(city, client_for):
    response = client_for(city.worker_a).get("/api/v1/grids/lookup", {"lng": 116.005, "lat": 36.405})

    assert response.status_code == 200
    assert response.json() == {
        "grid": {"code": "371502001001001", "name": "古城社区第一网格", "kind": "general"},
        "region": {"code": "371502001001", "name": "古城社区居委会"},
    }


def test_lookup_accepts_a_bearer_token(city, client):
    _, raw = ApiToken.issue(city.worker_b)

    response = client.get(
        "/api/v1/grids/lookup", {"lng": 116.105, "lat": 36.405}, headers={"Authorization": f"Bearer {raw}"}
    )

    assert response.status_code == 200
    assert response.json()["grid"]["code"] == "371502002001001"


def test_lookup_outside_every_grid_is_a_clean_null_answer(city, client_for):
    response = client_for(city.worker_a).get("/api/v1/grids/lookup", {"lng": 120.0, "lat": 30.0})

    assert response.status_code == 200
    assert response.json() == {"grid": None, "region": None}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lng": 180.5, "lat": 36.4}, "lng"),
        ({"lng": -181, "lat": 36.4}, "lng"),
        ({"lng": 116, "lat": 90.1}, "lat"),
        ({"lng": 116, "lat": -91}, "lat"),
        ({"lng": "nan", "lat": 36.4}, "lng"),
        ({"lng": "abc", "lat": 36.4}, "lng"),
        ({"lat": 36.4}, "lng"),
    ],
    ids=["lng-high", "lng-low", "lat-high", "lat-low", "lng-nan", "lng-text", "lng-missing"],
)
def test_lookup_with_a_bad_coordinate_is_422_naming_the_field(city, client_for, params, field):
    response = client_for(city.worker_a).get("/api/v1/grids/lookup", params)

    assert response.status_code == 422
    assert field in response.json()["fields"]


def test_regions_lists_the_children_of_a_parent(city, client_for):
    response = client_for(city.operator_a).get("/api/v1/regions", {"parent": "371502"})

    assert response.status_code == 200
    assert response.json() == [
        {"code": "371502001", "name": "古楼街道", "level": 4},
        {"code": "371502002", "name": "柳园街道", "level": 4},
    ]


def test_regions_without_parent_lists_the_top_level(city, client_for):
    response = client_for(city.operator_a).get("/api/v1/regions")

    assert response.json() == [{"code": "37", "name": "山东省", "level": 1}]


def test_regions_of_a_leaf_or_unknown_parent_is_an_empty_list(city, client_for):
    assert client_for(city.operator_a).get("/api/v1/regions", {"parent": "371502001001"}).json() == []
    assert client_for(city.operator_a).get("/api/v1/regions", {"parent": "4101"}).json() == []


def test_regions_with_a_malformed_parent_is_422(city, client_for):
    response = client_for(city.operator_a).get("/api/v1/regions", {"parent": "37x"})

    assert response.status_code == 422
    assert "parent" in response.json()["fields"]


def test_regions_are_public_but_a_bad_token_is_401(city, client):
    """Division names are public (a citizen picks the township of a dispute); a bad token still decides."""
    assert client.get("/api/v1/regions").status_code == 200
    assert client.get("/api/v1/regions", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_the_grid_layer_still_needs_a_signed_in_user(city, client):
    assert client.get("/api/v1/grids.geojson").status_code == 401


def test_the_grid_layer_is_a_feature_collection_under_the_region(city, client_for):
    response = client_for(city.admin).get("/api/v1/grids.geojson", {"region": "371502001"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    data = response.json()
    assert data["type"] == "FeatureCollection"
    assert data["truncated"] is False
    assert [f["properties"]["code"] for f in data["features"]] == ["371502001001001", "371502001001002"]
    assert data["features"][0]["geometry"] == city.grid_a1.boundary


def test_the_grid_layer_leaves_out_inactive_grids(city, client_for):
    Grid.objects.filter(pk=city.grid_a2.pk).update(active=False)

    data = client_for(city.admin).get("/api/v1/grids.geojson", {"region": "3715"}).json()

    assert [f["properties"]["code"] for f in data["features"]] == ["371502001001001", "371502002001001"]


def test_the_grid_layer_shows_only_the_users_own_subtree(city, client_for):
    data = client_for(city.operator_b).get("/api/v1/grids.geojson", {"region": "3715"}).json()

    assert [f["properties"]["code"] for f in data["features"]] == ["371502002001001"]


def test_the_grid_layer_stops_at_the_limit_and_says_so(city, client_for, monkeypatch):
    monkeypatch.setattr(regions_api, "GEOJSON_LIMIT", 2)

    data = client_for(city.admin).get("/api/v1/grids.geojson").json()

    assert len(data["features"]) == 2
    assert data["truncated"] is True


def test_the_grid_layer_with_a_malformed_region_is_422(city, client_for):
    response = client_for(city.admin).get("/api/v1/grids.geojson", {"region": "3715'--"})

    assert response.status_code == 422
    assert "region" in response.json()["fields"]


def test_the_endpoints_are_tagged_regions_in_the_openapi_schema(city, client_for):
    schema = client_for(city.admin).get("/api/v1/openapi.json").json()

    for path in ("/api/v1/grids/lookup", "/api/v1/regions", "/api/v1/grids.geojson"):
        assert schema["paths"][path]["get"]["tags"] == ["区划与网格"]

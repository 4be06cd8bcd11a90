"""POST /api/v1/grids/lookup/bulk: many points in one request, for staff; bad input is a field-level 422."""

from __future__ import annotations

import pytest

from gridgov.regions.services import BULK_LOOKUP_LIMIT, grids_at_points
from gridgov.regions.spatial import grid_index

PATH = "/grids/lookup/bulk"


def test_an_operator_gets_each_points_grid_in_order(city, api):
    points = [[116.105, 36.405], [0, 0], [116.005, 36.405], [116.01, 36.405], [116.005, 36.405]]
    status, body = api("post", PATH, user=city.operator_a, body={"points": points})

    assert status == 200
    a1 = {"id": city.grid_a1.pk, "code": "371502001001001", "name": city.grid_a1.name}
    b1 = {"id": city.grid_b1.pk, "code": city.grid_b1.code, "name": city.grid_b1.name}
    assert body == {"grids": [b1, None, a1, a1, a1]}  # the shared edge 116.01 goes to the smaller code


def test_the_service_loads_the_distinct_grids_hit_in_one_query(city, django_assert_num_queries):
    grid_index()
    with django_assert_num_queries(1):
        found = grids_at_points([(116.005, 36.405)] * 500 + [(116.105, 36.405)] * 500 + [(1.0, 1.0)])

    assert [g["id"] if g else None for g in found[499:502]] == [city.grid_a1.pk, city.grid_b1.pk, city.grid_b1.pk]
    assert found[-1] is None


def test_the_full_batch_of_points_is_accepted(city, api):
    status, body = api("post", PATH, user=city.worker_a, body={"points": [[116.015, 36.405]] * BULK_LOOKUP_LIMIT})

    assert status == 200
    assert len(body["grids"]) == BULK_LOOKUP_LIMIT
    assert {g["id"] for g in body["grids"]} == {city.grid_a2.pk}


@pytest.mark.parametrize("role", ["liaison_cg", "liaison_zj"])
def test_a_department_liaison_is_refused_with_403(city, api, role):
    status, body = api("post", PATH, user=getattr(city, role), body={"points": [[116.005, 36.405]]})

    assert status == 403
    assert body["code"] == "not_permitted"
    assert "综治中心" in body["message"]


def test_a_visitor_without_an_account_gets_401(city, api):
    status, _body = api("post", PATH, body={"points": [[116.005, 36.405]]})

    assert status == 401


@pytest.mark.parametrize(("points", "field", "message"), [
    ([[116.0, 36.0], [181.0, 36.0]], "points.1.0", "不能大于 180.0"),
    ([[116.0, -91.0]], "points.0.1", "不能小于 -90.0"),
    ([["东经", 36.0]], "points.0.0", "请填写数字"),
    ([[116.0]], "points.0.1", "必填"),
    ([[116.0, 36.0, 5.0]], "points.0", "最多 2 项"),
    ([], "points", "至少 1 项"),
    ([[116.0, 36.0]] * (BULK_LOOKUP_LIMIT + 1), "points", f"最多 {BULK_LOOKUP_LIMIT} 项"),
    ("116,36", "points", "请提供列表"),
])
def test_bad_points_are_a_field_level_422_in_chinese(city, api, points, field, message):
    status, body = api("post", PATH, user=city.operator_a, body={"points": points})

    assert status == 422
    assert body["fields"][field] == [message]


def test_a_missing_list_is_a_field_level_422(city, api):
    status, body = api("post", PATH, user=city.operator_a, body={})

    assert status == 422
    assert body["fields"]["points"] == ["必填"]


def test_a_non_finite_coordinate_is_a_field_level_422(city, api):
    status, body = api("post", PATH, user=city.operator_a, data='{"points": [[NaN, 36.0]]}')

    assert status == 422
    assert body["fields"]["points.0.0"] == ["请填写有限的数字"]

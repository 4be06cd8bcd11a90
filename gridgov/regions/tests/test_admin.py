from __future__ import annotations

import json

import pytest

from gridgov.regions.admin import GridForm
from gridgov.regions.models import Grid, GridStaff


@pytest.fixture
def admin_client_for_city(client, city):
    client.force_login(city.admin)
    return client


def test_region_list_searches_by_code_and_name_and_filters_by_level(city, admin_client_for_city):
    by_name = admin_client_for_city.get("/admin/regions/region/", {"q": "古楼"})
    by_code = admin_client_for_city.get("/admin/regions/region/", {"q": "371502002"})
    by_level = admin_client_for_city.get("/admin/regions/region/", {"level__exact": "4"})

    assert by_name.status_code == by_code.status_code == by_level.status_code == 200
    assert list(by_name.context["cl"].result_list) == [city.township_a]
    assert city.township_b in by_code.context["cl"].result_list
    assert list(by_level.context["cl"].result_list) == [city.township_a, city.township_b]


def test_grid_change_page_shows_its_staff_inline(city, admin_client_for_city):
    response = admin_client_for_city.get(f"/admin/regions/grid/{city.grid_a1.pk}/change/")

    assert response.status_code == 200
    assert "网格人员" in response.content.decode()
    formset = response.context["inline_admin_formsets"][0].formset
    assert [form.instance.user for form in formset.forms] == [city.worker_a]


def test_grid_list_searches_by_name(city, admin_client_for_city):
    response = admin_client_for_city.get("/admin/regions/grid/", {"q": "柳园"})

    assert list(response.context["cl"].result_list) == [city.grid_b1]


def test_grid_form_refuses_an_invalid_boundary_and_a_code_outside_its_community(city):
    bowtie = {"type": "Polygon", "coordinates": [[[116, 36], [117, 37], [117, 36], [116, 37], [116, 36]]]}
    form = GridForm(
        data={
            "code": "371502002001009",
            "name": "坏网格",
            "kind": "general",
            "dedicated_type": "",
            "community": city.community_a.pk,
            "boundary": json.dumps(bowtie),
            "households": "",
            "active": "on",
        }
    )

    assert not form.is_valid()
    assert "边界自相交" in form.errors["boundary"][0]
    assert "code" in form.errors


def test_grid_form_accepts_a_good_grid(city):
    ring = [[116.3, 36.3], [116.31, 36.3], [116.31, 36.31], [116.3, 36.3]]
    form = GridForm(
        data={
            "code": "371502001001009",
            "name": "新网格",
            "kind": "general",
            "dedicated_type": "",
            "community": city.community_a.pk,
            "boundary": json.dumps({"type": "Polygon", "coordinates": [ring]}),
            "households": "350",
            "active": "on",
        }
    )

    assert form.is_valid(), form.errors
    grid = form.save()
    assert Grid.objects.get(pk=grid.pk).boundary["coordinates"] == [ring]


def test_grid_staff_reads_as_grid_role_and_person(city):
    staff = GridStaff.objects.get(grid=city.grid_a1)

    assert str(staff) == "古城社区第一网格 · 网格员 · 古楼网格员"

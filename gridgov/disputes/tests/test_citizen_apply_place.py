"""A citizen applies for mediation without GPS: the page offers the township/community cascade, a missing or
too coarse choice is said next to that field, and a township or community chosen lands the case there."""

from __future__ import annotations

import pytest

from gridgov.disputes import services
from gridgov.disputes.models import Dispute
from gridgov.regions.models import Region

URL = "/disputes/apply/"


def form(**kw) -> dict:
    data = {"reporter_name": "王五", "reporter_phone": "13900000009", "dispute_type": "neighbor",
            "description": "邻居装修噪音扰民，多次协商无果", "party_0_role": "applicant", "party_0_name": "王五",
            "party_1_role": "respondent", "party_1_name": "赵六", "amount": "0", "people_count": "2",
            "channel": "people", "address": "", "lng": "", "lat": ""}
    data.update(kw)
    return data



def test_the_page_offers_the_cascade_and_a_map_without_tiles(city, client):
    html = client.get(URL).content.decode()

    assert 'name="region_county"' in html and 'name="region_township"' in html and 'name="region_community"' in html
    assert '<option value="371502">东昌府区</option>' in html
    assert "data-map-picker" in html and "/api/v1/places/search" in html and "/api/v1/regions/outlines" in html


def test_no_place_at_all_is_said_next_to_the_region_cascade(city, client):
    resp = client.post(URL, form())

    assert resp.status_code == 400
    html = resp.content.decode()
    cascade = html[html.index('<div class="field region-cascade'): html.index('id="id_address"')]
    assert 'class="field region-cascade has-error"' in cascade
    assert "请选择纠纷发生地所属区划或在地图上选点" in cascade
    assert Dispute.objects.count() == 0


def test_a_county_alone_is_too_coarse_for_a_citizen(city, client):
    resp = client.post(URL, form(region_county="371502"))

    assert resp.status_code == 400
    html = resp.content.decode()
    cascade = html[html.index('<div class="field region-cascade'): html.index('id="id_address"')]
    assert "请选择到乡镇(街道)或村(社区)" in cascade
    # the choice comes back selected, with the next level's options filled in
    assert '<option value="371502" selected>东昌府区</option>' in cascade
    assert '<option value="371502001">古楼街道</option>' in cascade
    assert Dispute.objects.count() == 0


def test_a_community_chosen_without_gps_lands_the_case_at_its_township_center(city, client):
    resp = client.post(URL, form(region_county="371502", region_township="371502001",
                                 region_community="371502001001"))

    assert resp.status_code == 200, resp.content.decode()[:2000]
    d = Dispute.objects.get()
    assert (d.region.code, d.center.code, d.lng, d.grid) == ("371502001001", "371502001", None, None)


def test_a_township_chosen_is_enough(city, client):
    client.post(URL, form(region_county="371502", region_township="371502002"))

    d = Dispute.objects.get()
    assert (d.region.code, d.center.code) == ("371502002", "371502002")


def test_a_point_on_the_map_wins_over_the_cascade(city, client):
    client.post(URL, form(region_county="371502", region_township="371502002", lng="116.005", lat="36.405"))

    d = Dispute.objects.get()
    assert (d.grid.code, d.center.code) == ("371502001001001", "371502001")


def test_an_invented_code_is_said_next_to_the_field(city, client):
    resp = client.post(URL, form(region_county="371502", region_township="371502009"))

    html = resp.content.decode()
    assert resp.status_code == 400
    assert "区划无效" in html[html.index('<div class="field region-cascade'): html.index('id="id_address"')]


def test_the_api_refuses_a_county_for_a_citizen_with_a_field_message(city, client):
    body = {"reporter_name": "王五", "reporter_phone": "13900000009", "dispute_type": "neighbor",
            "description": "邻居装修噪音扰民，多次协商无果", "region": "371502",
            "parties": [{"role": "applicant", "name": "王五"}, {"role": "respondent", "name": "赵六"}]}
    resp = client.post("/api/v1/citizen/disputes", body, content_type="application/json")

    assert resp.status_code == 422
    assert resp.json()["fields"]["region"] == ["请选择到乡镇(街道)或村(社区)"]


@pytest.mark.parametrize("region", ["371502001", "371502001001"])
def test_staff_may_still_register_at_any_level_they_cover(city, region):
    d = services.create_dispute(city.county_operator, services.DisputeInput(
        dispute_type="neighbor", description="邻居装修噪音扰民，多次协商无果", region=region,
        parties=[{"role": "applicant", "name": "王五"}, {"role": "respondent", "name": "赵六"}]))

    assert d.region.code == region


def _cascade(html: str) -> str:
    return html[html.index('<div class="field region-cascade'): html.index('id="id_address"')]


@pytest.mark.parametrize("choice, message", [
    ({"region_county": "371502", "region_township": "371503001"}, "所选乡镇(街道)不属于所选县(区)，请重新选择"),
    ({"region_county": "371502", "region_township": "371502001", "region_community": "371502002001"},
     "所选村(社区)不属于所选乡镇(街道)，请重新选择"),
    ({"region_county": "371503", "region_community": "371502001001"}, "所选村(社区)不属于所选县(区)，请重新选择"),
])
def test_a_place_chain_that_does_not_hold_together_is_said_next_to_the_cascade(city, client, choice, message):
    """County 371502 with a township of another county was silently taken as that township."""
    other = Region.objects.create(code="371503", name="临清市", level=3, parent=city.city)
    Region.objects.create(code="371503001", name="青年街道", level=4, parent=other)
    resp = client.post(URL, form(**choice))

    assert resp.status_code == 400
    cascade = _cascade(resp.content.decode())
    assert 'class="field region-cascade has-error"' in cascade and message in cascade
    assert Dispute.objects.count() == 0


def test_a_consistent_chain_with_a_map_point_is_still_taken(city, client):
    client.post(URL, form(region_county="371502", region_township="371502001", region_community="371502001001",
                          lng="116.005", lat="36.405"))

    assert Dispute.objects.get().grid.code == "371502001001001"


BEIJING = {"lng": "116.40", "lat": "39.90"}
OUTSIDE = "该位置不在本市范围内：请重新选择位置，或清空经纬度只填写地址"


def test_a_citizens_point_outside_the_city_is_refused_at_the_location(city, client):
    resp = client.post(URL, form(region_county="371502", region_township="371502001", **BEIJING))

    assert resp.status_code == 400
    html = resp.content.decode()
    location = html[html.index('<fieldset class="field location'):]
    location = location[:location.index("</fieldset>")]
    assert 'class="field location has-error"' in location and OUTSIDE in location
    assert Dispute.objects.count() == 0


def test_a_staff_intake_point_outside_the_city_is_refused_at_the_location(city, client):
    client.force_login(city.county_operator)
    data = form(**BEIJING)
    resp = client.post("/disputes/new/", data)

    assert resp.status_code == 400
    html = resp.content.decode()
    location = html[html.index('<fieldset class="field location'):]
    assert OUTSIDE in location[:location.index("</fieldset>")]
    assert Dispute.objects.count() == 0


def test_the_api_refuses_a_point_outside_the_city(city, client):
    body = {"reporter_name": "王五", "reporter_phone": "13900000009", "dispute_type": "neighbor",
            "description": "邻居装修噪音扰民，多次协商无果", "lng": 116.40, "lat": 39.90,
            "parties": [{"role": "applicant", "name": "王五"}, {"role": "respondent", "name": "赵六"}]}
    resp = client.post("/api/v1/citizen/disputes", body, content_type="application/json")

    assert resp.status_code == 422 and resp.json()["fields"]["location"] == [OUTSIDE]


def test_a_point_between_grids_is_still_the_citys(city):
    d = services.create_dispute(city.county_operator, services.DisputeInput(
        dispute_type="neighbor", description="邻居装修噪音扰民，多次协商无果", lng=116.05, lat=36.405,
        parties=[{"role": "applicant", "name": "王五"}, {"role": "respondent", "name": "赵六"}]))

    assert d.lng == 116.05 and d.region == city.county

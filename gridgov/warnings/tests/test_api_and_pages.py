"""The board, the page and the API: scope (out of it is 404, never a leak), filters, actions, and bad input
as 4xx JSON with field errors, never 500."""

import pytest
from django.utils.html import escape

from gridgov.accounts.models import User
from gridgov.warnings.engine import upsert
from gridgov.warnings.models import Warning
from gridgov.warnings.tests.conftest import T0, signal


@pytest.fixture
def two(city, report):
    e = report()
    upsert([signal(cases=[("event", e.pk)]),
            signal(code="371502002001001", key="hotspot:event:371502002001001:0301", level="red",
                   point=(116.105, 36.405))], now=T0)
    a = Warning.objects.get(code="371502001001001")
    b = Warning.objects.get(code="371502002001001")
    return a, b, e


def test_a_township_operator_never_sees_another_townships_warnings(city, two, api, client):
    a, b, _e = two
    status, body = api("get", "/warnings/", city.operator_a)
    assert status == 200 and [r["number"] for r in body["results"]] == [a.number]
    assert api("get", f"/warnings/{b.number}", city.operator_a)[0] == 404
    status, body = api("post", f"/warnings/{b.number}/actions/assess", city.operator_a, {"note": "研判"})
    assert status == 404 and Warning.objects.get(pk=b.pk).status == "new"
    client.force_login(city.operator_a)
    assert client.get(f"/warnings/{b.number}/").status_code == 404
    assert client.post(f"/warnings/{b.number}/act/assess/", {"note": "研判"}).status_code == 404
    board = client.get("/warnings/").content.decode()
    assert a.number in board and b.number not in board
    assert Warning.objects.get(pk=b.pk).status == "new"


def test_the_county_sees_both_highest_level_first_and_filters(city, two, api):
    a, b, _e = two
    status, body = api("get", "/warnings/", city.county_operator)
    assert [r["number"] for r in body["results"]] == [b.number, a.number]
    assert body["results"][0]["level_label"] == "红色" and body["results"][0]["rule"] == "hotspot"
    assert [r["number"] for r in api("get", "/warnings/?level=yellow", city.county_operator)[1]["results"]] == [
        a.number]
    assert [r["number"] for r in api("get", "/warnings/?region=371502002", city.county_operator)[1]["results"]] == [
        b.number]
    assert api("get", "/warnings/?status=resolved", city.county_operator)[1]["count"] == 0


@pytest.mark.parametrize("query, field", [("level=purple", "level"), ("status=gone", "status"),
                                         ("region=abc", "region"), ("rule=nope", "rule"),
                                         ("limit=0", "limit"), ("level=" + "x" * 20, "level")])
def test_bad_filters_are_422_with_the_field(city, two, api, query, field):
    status, body = api("get", f"/warnings/?{query}", city.operator_a)
    assert status == 422 and field in body["fields"]


def test_actions_through_the_api_and_their_errors(city, two, api):
    a, _b, e = two
    url = f"/warnings/{a.number}/actions"
    assert api("post", f"{url}/assess", city.operator_a, {"note": ""})[0] == 422
    assert api("post", f"{url}/fly", city.operator_a, {"note": "x"})[0] == 422
    assert api("post", f"{url}/resolve", city.operator_a, {"note": "x"})[0] == 409
    assert api("post", f"{url}/assess", city.worker_a, {"note": "x"})[0] == 404  # a grid worker sees none
    assert api("post", f"{url}/assess", city.operator_a, {"note": 5})[0] == 422
    assert api("post", f"{url}/assess", city.operator_a, {"due_on": "soon"})[0] == 422
    status, body = api("post", f"{url}/assess", city.operator_a, {"note": "研判属实"})
    assert status == 200 and body["status"] == "assessed" and body["allowed_actions"][:1] == ["link_supervision"]
    status, body = api("post", f"{url}/link_supervision", city.operator_a, {"note": "督办", "event": "SJX"})
    assert status == 422 and "event" in body["fields"]
    status, body = api("post", f"{url}/link_supervision", city.operator_a,
                       {"note": "督办", "event": e.number, "level": "purple"})
    assert status == 422 and "level" in body["fields"]
    status, body = api("post", f"{url}/link_supervision", city.operator_a, {"note": "督办", "event": e.number})
    assert status == 200 and body["status"] == "handling" and body["actions"][0]["event"] == e.number
    assert body["cases"][0]["url"] == f"/events/{e.number}/" or body["cases"][0]["url"].endswith(f"{e.number}/")
    status, body = api("post", f"{url}/resolve", city.operator_a, {"note": "已整改"})
    assert status == 200 and body["status"] == "resolved"
    assert [x["action"] for x in body["timeline"]] == ["raise", "assess", "link_supervision", "resolve"]


def test_the_page_offers_the_allowed_actions_and_shows_a_field_error(city, two, client):
    a, _b, _e = two
    client.force_login(city.operator_a)
    page = client.get(f"/warnings/{a.number}/").content.decode()
    assert 'id="act-assess"' in page and 'id="act-false_alarm"' in page and 'id="act-resolve"' not in page
    assert escape(a.explanation) in page
    r = client.post(f"/warnings/{a.number}/act/assess/", {"note": ""})
    assert r.status_code == 400 and "此操作需要填写说明" in r.content.decode()
    r = client.post(f"/warnings/{a.number}/act/assess/", {"note": "研判属实"})
    assert r.status_code == 302 and Warning.objects.get(pk=a.pk).status == "assessed"


def test_the_board_is_for_centers_and_leaders(city, two, client):
    client.force_login(city.worker_a)
    assert client.get("/warnings/").status_code == 403
    client.force_login(city.leader_county)
    page = client.get("/warnings/?level=red").content.decode()
    table = page.split('data-testid="warning-table"')[1]
    assert "warning-points" in page and two[1].number in table and two[0].number not in table
    assert client.get("/warnings/?level=purple").status_code == 400


def test_rule_configs_are_for_administrators_and_checked(city, api):
    admin = User.objects.create_user("adm", password="x", role=User.Role.ADMIN)
    assert api("get", "/warnings/rules", city.operator_a)[0] == 403
    status, body = api("get", "/warnings/rules", admin)
    rules = {r["key"]: r for r in body}
    assert status == 200 and {"repeat_place", "care_gap"} <= set(rules)
    assert {p["key"]: p["value"] for p in rules["repeat_place"]["params"]}["radius_m"] == 200
    status, body = api("put", "/warnings/rules/repeat_place", admin, {"params": {"radius_m": 5, "min_cases": "x"}})
    assert status == 422 and body["fields"]["params.radius_m"] == ["不能小于 10"]
    assert body["fields"]["params.min_cases"] == ["请填写整数"]
    assert api("put", "/warnings/rules/repeat_place", admin, {"params": {"colour": 1}})[0] == 422
    assert api("put", "/warnings/rules/nope", admin, {"params": {}})[0] == 404
    assert api("put", "/warnings/rules/repeat_place", admin, {"params": "x"})[0] == 422
    status, body = api("put", "/warnings/rules/repeat_place", admin, {"enabled": False, "params": {"radius_m": 300}})
    assert status == 200 and body["enabled"] is False
    assert {p["key"]: p["value"] for p in body["params"]}["radius_m"] == 300
    assert api("put", "/warnings/rules/repeat_place", city.operator_a, {"enabled": True})[0] == 403


def test_a_case_of_a_kind_this_app_does_not_know_is_listed_without_a_link(city, api):
    upsert([signal(key="k-other", cases=[("assessment", 7)])], now=T0)
    w = Warning.objects.get(key="k-other")
    status, body = api("get", f"/warnings/{w.number}", city.operator_a)
    assert status == 200 and body["cases"] == [{"kind": "assessment", "kind_label": "assessment", "id": 7,
                                                "number": "#7", "label": "", "status": "", "url": ""}]

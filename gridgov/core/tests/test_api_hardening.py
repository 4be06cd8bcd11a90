"""No input gives a 500 under /api/: out-of-range pagination and integers, broken multipart bodies, and an
unexpected error are all JSON with a code (and a field message where there is a field)."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from gridgov.accounts.models import ApiToken
from gridgov.disputes.tests.conftest import make_dispute  # noqa: F401
from gridgov.registry.models import Unit

LISTS = ["/events", "/disputes", "/petitions", "/petitions/backlog", "/residents", "/houses", "/units",
         "/key-persons"]
BAD_PAGES = [
    ("offset=-5", "offset", "不能小于 0"),
    ("offset=9223372036854775808", "offset", "不能大于 2147483647"),
    ("offset=99999999999999999999999", "offset", "不能大于 2147483647"),
    ("limit=1e20", "limit", "请填写整数"),
    ("limit=0", "limit", "不能小于 1"),
    ("limit=201", "limit", "不能大于 200"),
    ("limit=-1", "limit", "不能小于 1"),
]
TOO_BIG = 2**64


def bearer(user) -> dict:
    _t, raw = ApiToken.issue(user)
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def call(api_response):
    """The request of gridgov/conftest.py; every answer here must be JSON."""

    def _call(method, path, user=None, body=None, **extra):
        resp = api_response(method, path, user, body, **extra)
        assert resp["Content-Type"].startswith("application/json"), resp.content[:200]
        return resp.status_code, resp.json()

    return _call


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("query,field,message", BAD_PAGES)
def test_out_of_range_pagination_is_a_field_error(city, call, path, query, field, message):
    status, body = call("get", f"{path}?{query}", city.operator_a)
    assert status == 422, body
    assert body["code"] == "invalid" and body["fields"][field] == [message]


@pytest.mark.parametrize("path", LISTS)
def test_the_edges_of_the_page_are_accepted(city, call, path):
    for query in ("limit=1&offset=0", "limit=200&offset=2147483647"):
        status, body = call("get", f"{path}?{query}", city.operator_a)
        assert status == 200, (query, body)
        assert body["results"] == [] or query.startswith("limit=1&")


@pytest.mark.parametrize("path", [
    f"/residents/{TOO_BIG}", f"/houses/{TOO_BIG}", f"/attachments/{TOO_BIG}", f"/disputes/attachments/{TOO_BIG}",
    "/residents/0", "/houses/-1", f"/laws/{TOO_BIG}",
])
def test_path_ids_out_of_range_are_not_a_500(city, call, path):
    status, body = call("get", path, city.operator_a)
    assert status in (404, 422), body
    if status == 422:
        assert body["fields"]


def test_body_integers_past_64_bits_are_field_errors(city, call):
    status, body = call("post", "/petitions", city.operator_a, {
        "channel": "letter", "subject": "物业乱收费", "demands": "退费",
        "petitioners": [{"name": "王建国", "resident_id": TOO_BIG}], "people_count": TOO_BIG})
    assert status == 422
    assert body["fields"]["petitioners.0.resident_id"] == ["不能大于 9223372036854775807"]
    assert body["fields"]["people_count"] == ["不能大于 2147483647"]


@pytest.mark.parametrize("employees,message", [(-1, "不能小于 0"), (TOO_BIG, "不能大于 2147483647")])
def test_a_negative_or_huge_count_is_a_field_error_not_a_check_constraint(city, call, employees, message):
    status, body = call("post", "/units", city.worker_a, {
        "name": "古城便民超市", "region": "371502001001", "road": "古城路18号院", "employees": employees})
    assert status == 422 and body["fields"]["employees"] == [message]
    assert not Unit.objects.exists()  # a failed request changes nothing


@pytest.mark.parametrize("body", [{"people_involved": -1}, {"people_involved": TOO_BIG}, {"lng": "NaN"},
                                  {"lat": "Infinity"}, {"deadline_year": 1}])
def test_event_numbers_out_of_range(city, call, body):
    payload = {"category": "0301", "description": "路面有垃圾", **body}
    if "deadline_year" in payload:  # an action body: a date-time whose UTC conversion would overflow
        status, out = call("post", "/events/SJ2026/actions/dispatch", city.operator_a,
                           {"deadline": "0001-01-01T00:00:00+08:00"})
        assert status == 422 and out["fields"]["deadline"] == ["年份须在 1900–2200 之间"]
        return
    status, out = call("post", "/events", city.worker_a, payload)
    assert status == 422, out
    assert set(out["fields"]) == {next(iter(body))}


def test_dispute_amounts_are_bounded(city, call):
    status, body = call("post", "/disputes", city.worker_a, {
        "dispute_type": "neighbor", "description": "漏水", "parties": [{"role": "applicant", "name": "张三"}],
        "region": "371502001001", "amount": "1e20"})
    assert status == 422 and body["fields"]["amount"]
    status, body = call("post", "/disputes", city.worker_a, {
        "dispute_type": "neighbor", "description": "漏水", "parties": [{"role": "applicant", "name": "张三"}],
        "region": "371502001001", "amount": "-5"})
    assert status == 422 and body["fields"]["amount"] == ["涉及金额应为不小于0的数字"]


# --- multipart without a boundary ------------------------------------------------------------------

@pytest.fixture
def event(city, report):
    return report()


def test_multipart_without_boundary_is_400_on_every_upload(city, call, event, make_dispute):  # noqa: F811
    dispute = make_dispute()
    for path, user in [(f"/events/{event.number}/attachments", city.worker_a),
                       (f"/disputes/{dispute.number}/sessions/1/attachments", city.operator_a)]:
        status, body = call("post", path, user, data=b"--x\r\nnothing\r\n", content_type="multipart/form-data")
        assert status == 400, (path, body)
        assert body["code"] == "bad_request" and body["fields"]["__all__"]
    assert not event.attachments.exists()


def test_multipart_with_a_broken_boundary_is_400(city, call, event):
    status, body = call("post", f"/events/{event.number}/attachments", city.worker_a, data=b"garbage",
                        content_type="multipart/form-data; boundary=")
    assert status == 400 and body["code"] == "bad_request"


# --- an unexpected error ------------------------------------------------------------------------

def test_an_unexpected_error_under_api_is_json_in_production(city, settings, monkeypatch, caplog):
    settings.DEBUG = False

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("gridgov.events.services.capped_counts_by_status", boom)
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        resp = client.get("/api/v1/events", headers=bearer(city.operator_a))
    assert resp.status_code == 500
    assert resp["Content-Type"].startswith("application/json")
    assert resp.json()["code"] == "server_error" and "disk on fire" not in resp.content.decode()
    assert any("disk on fire" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_an_unknown_api_path_and_method_stay_json(city, call):
    status, body = call("get", "/no-such-thing", city.operator_a)
    assert status == 404 and body["code"] == "not_found"
    status, body = call("delete", "/events", city.operator_a)
    assert status == 405 and body["code"] == "method_not_allowed"


# --- long text: a field error, never cut ---------------------------------------------------------------

def test_an_event_title_or_address_too_long_is_a_field_error(city, cats, call):
    from gridgov.events.models import Event

    status, body = call("post", "/events", city.worker_a, {"category": "0301", "description": "路面有垃圾",
                                                           "title": "题" * 101, "address": "址" * 201})
    assert status == 422
    assert body["fields"] == {"title": ["不能超过 100 个字符"], "address": ["不能超过 200 个字符"]}
    assert not Event.objects.exists()
    status, body = call("post", "/events", city.worker_a, {"category": "0301", "description": "路面有垃圾",
                                                           "title": "题" * 100, "address": "址" * 200,
                                                           "lng": 116.005, "lat": 36.405})
    assert status == 201
    event = Event.objects.get()
    assert event.title == "题" * 100 and event.address == "址" * 200  # stored whole


def test_a_unit_name_too_long_is_a_field_error(city, call):
    status, body = call("post", "/units", city.worker_a, {
        "name": "单" * 201, "region": "371502001001", "road": "古城路18号院"})
    assert status == 422 and body["fields"] == {"name": ["不能超过 200 个字符"]}
    assert not Unit.objects.exists()


@pytest.mark.parametrize("path,body,field,limit", [
    ("/disputes", {"dispute_type": "neighbor", "description": "漏水",
                   "parties": [{"role": "applicant", "name": "名" * 101}]}, "parties.0.name", 100),
    ("/petitions", {"channel": "letter", "subject": "题" * 201, "demands": "退费", "petitioners": []},
     "subject", 200),
    ("/residents", {"name": "名" * 51, "house": 1}, "name", 50),
])
def test_long_text_in_other_bodies_is_a_field_error(city, call, path, body, field, limit):
    status, out = call("post", path, city.operator_a, body)
    assert status == 422 and out["fields"][field] == [f"不能超过 {limit} 个字符"]


def test_a_json_body_over_the_upload_limit_is_400(city, call, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    status, body = call("post", "/events", city.worker_a, {"category": "0301", "description": "垃" * 2000})
    assert status == 400 and body["code"] == "bad_request"


def test_the_dispute_web_intake_refuses_long_addresses_instead_of_cutting(city, client):
    from gridgov.disputes.models import Dispute

    client.force_login(city.worker_a)
    resp = client.post("/disputes/new/", {
        "dispute_type": "neighbor", "description": "楼上漏水导致楼下天花板损坏", "region": "371502001001",
        "address": "址" * 201, "party_0_role": "applicant", "party_0_name": "张三",
        "party_1_role": "respondent", "party_1_name": "李四"})
    assert resp.status_code == 400 and "地址不能超过200个字" in resp.content.decode()
    assert not Dispute.objects.exists()


def test_the_dispute_service_refuses_a_long_party_address(city):
    from gridgov.core.errors import ValidationFailed
    from gridgov.disputes import services
    from gridgov.disputes.models import Dispute

    with pytest.raises(ValidationFailed) as exc:
        services.create_dispute(city.worker_a, services.DisputeInput(
            dispute_type="neighbor", description="楼上漏水导致楼下天花板损坏", region="371502001001",
            parties=[{"role": "applicant", "name": "张三", "address": "住" * 201},
                     {"role": "respondent", "name": "李四"}]))
    assert exc.value.fields["parties.0.address"] == ["住址不能超过200个字"]
    assert not Dispute.objects.exists()


def test_the_event_service_refuses_long_text_instead_of_cutting_it(city, cats):
    """Callers other than the API (the web form, commands) reach the same limits in the service."""
    from gridgov.core.errors import ValidationFailed
    from gridgov.events import services
    from gridgov.events.models import Event

    with pytest.raises(ValidationFailed) as exc:
        services.create_event(city.worker_a, services.EventInput(
            category="0301", description="路面有大量垃圾", lng=116.005, lat=36.405,
            title="题" * 101, address="址" * 201, reporter_name="名" * 51))
    assert exc.value.fields["title"] == ["不能超过 100 个字符"]
    assert exc.value.fields["address"] == ["不能超过 200 个字符"]
    assert exc.value.fields["reporter_name"] == ["不能超过 50 个字符"]
    assert not Event.objects.exists()


def test_a_mediation_session_with_long_text_is_a_field_error_not_cut():
    from gridgov.core.errors import ValidationFailed
    from gridgov.disputes import services

    with pytest.raises(ValidationFailed) as exc:
        services._session_params({"mode": "onsite", "place": "地" * 201, "participants": "人" * 501,
                                  "minutes": "双方到场，调解员说明情况"})
    assert exc.value.fields["place"] == ["不能超过 200 个字符"]
    assert exc.value.fields["participants"] == ["不能超过 500 个字符"]
    ok = services._session_params({"mode": "onsite", "place": "地" * 200, "participants": "人" * 500,
                                   "minutes": "双方到场，调解员说明情况", "held_at": "2026-11-30T09:30"})
    assert ok["place"] == "地" * 200 and ok["participants"] == "人" * 500


@pytest.mark.parametrize("value", ["9223372036854775808", "99999999999999999999999", "²", "١٢", "0"])
def test_ids_in_web_query_strings_out_of_range_or_not_ascii_are_not_a_500(city, client, value):
    client.force_login(city.operator_a)
    assert client.get("/registry/key-persons/", {"worker": value}).status_code == 200
    assert client.get("/registry/residents/new/", {"house": value}).status_code == 200


def test_as_pk_takes_only_ascii_digits_within_64_bits():
    from gridgov.core.text import as_pk

    assert as_pk("42") == 42 and as_pk(" 7 ") == 7 and as_pk(9223372036854775807) == 9223372036854775807
    for bad in ("", None, "0", "-1", "9223372036854775808", "1e3", "²", "١٢", "12a"):
        assert as_pk(bad) is None, bad


@pytest.mark.parametrize("body,ctype", [('{"title": "a', "application/json"), ("x=1", "text/plain")])
def test_a_body_that_cannot_be_parsed_is_a_chinese_400(city, client, body, ctype):
    resp = client.post("/api/v1/events", data=body, content_type=ctype, headers=bearer(city.worker_a))
    assert resp.status_code == 400
    out = resp.json()
    assert out["code"] == "bad_request" and out["message"] == "请求内容无法解析，请发送有效的 JSON"

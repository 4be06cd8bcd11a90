"""Scope (web and API), the API's status codes, field errors with nothing written, intake channels."""

import json

import pytest

from gridgov.disputes import services
from gridgov.disputes.models import Dispute, DisputeLog
from gridgov.events import services as event_services
from gridgov.events.taxonomy import install_default_categories

from .conftest import new_input
from .test_workflow import S, drive


def test_who_sees_which_dispute(make_dispute, city, mediators):
    mine = make_dispute()  # 古楼 grid a1, reported by worker_a
    other = services.create_dispute(city.worker_b, new_input(lng=116.105, lat=36.405))
    seen = lambda u: set(Dispute.objects.visible_to(u).values_list("number", flat=True))  # noqa: E731
    assert seen(city.operator_a) == {mine.number}
    assert seen(city.operator_b) == {other.number}
    assert seen(city.county_operator) == seen(city.leader_county) == {mine.number, other.number}
    assert seen(city.worker_a) == {mine.number}
    assert seen(city.liaison_cg) == set()
    assert seen(mediators["a"].user) == set()
    drive(mine, city, mediators, S.ASSIGNED)
    assert seen(mediators["a"].user) == {mine.number} and seen(mediators["b"].user) == set()


def test_another_townships_dispute_is_404_on_the_web_and_the_api(make_dispute, city, client, api):
    d = make_dispute()
    client.force_login(city.operator_b)
    assert client.get(f"/disputes/{d.number}/").status_code == 404
    assert client.post(f"/disputes/{d.number}/act/accept/").status_code == 404
    assert api("get", f"/disputes/{d.number}", city.operator_b)[0] == 404
    assert api("post", f"/disputes/{d.number}/actions/accept", city.operator_b, {})[0] == 404
    assert Dispute.objects.get(pk=d.pk).status == S.REGISTERED
    client.force_login(city.operator_a)
    assert client.get(f"/disputes/{d.number}/").status_code == 200


def test_the_api_creates_lists_details_and_acts(city, mediators, api):
    body = {"dispute_type": "neighbor", "description": "楼上漏水，楼下要求赔偿",
            "parties": [{"role": "applicant", "name": "张三", "phone": "13800000001"},
                        {"role": "respondent", "name": "李四"}], "lng": 116.005, "lat": 36.405, "amount": "3000"}
    status, d = api("post", "/disputes", city.worker_a, body)
    assert status == 201 and d["number"].startswith("JF") and len(d["number"]) == 15
    assert d["parties"][0]["phone"] == "138****0001" and d["risk_grade"] == "general"
    number = d["number"]
    status, page = api("get", "/disputes?status=registered", city.operator_a)
    assert status == 200 and [r["number"] for r in page["results"]] == [number]
    status, d = api("post", f"/disputes/{number}/actions/accept", city.operator_a, {})
    assert status == 200 and d["status"] == "accepted" and d["sla_state"] == "normal" and "assign" in d["allowed_actions"]
    assert api("post", f"/disputes/{number}/actions/accept", city.operator_a, {})[0] == 409
    assert api("post", f"/disputes/{number}/actions/assign", city.worker_a, {"mediator": mediators["a"].pk})[0] == 403
    status, sugg = api("get", f"/disputes/{number}/mediators/suggest", city.operator_a)
    assert status == 200 and sugg[0]["mediator"]["name"] == "王调解" and sugg[0]["reasons"]
    status, d = api("post", f"/disputes/{number}/actions/assign", city.operator_a, {"mediator": mediators["a"].pk})
    assert d["status"] == "assigned"
    med = mediators["a"].user
    api("post", f"/disputes/{number}/actions/start", med, {})
    status, d = api("post", f"/disputes/{number}/actions/session", med,
                    {"held_at": "2026-11-20T09:30:00+08:00", "place": "调解室", "participants": "双方",
                     "minutes": "双方同意协商解决"})
    assert status == 200 and len(d["sessions"]) == 1
    status, d = api("post", f"/disputes/{number}/actions/succeed", med, {"terms": "李四赔偿3000元"})
    assert status == 200 and d["agreement"]["confirmation_last_day"]
    status, resp = api("get", f"/disputes/{number}/agreement.docx", med)
    assert status == 200 and resp.content[:2] == b"PK"
    assert [t["action"] for t in d["timeline"]] == ["register", "accept", "assign", "start", "session", "succeed"]
    status, ms = api("get", "/mediators?dispute_type=neighbor", city.operator_a)
    assert status == 200 and ms[0]["success_rate"] == 1.0 and ms[0]["case_count"] == 1


def test_bad_input_gets_field_errors_and_writes_nothing(city, api, client):
    before = (Dispute.objects.count(), DisputeLog.objects.count())
    status, body = api("post", "/disputes", city.worker_a,
                       {"dispute_type": "nope", "description": "短", "amount": "-1", "people_count": 0,
                        "parties": [{"role": "applicant", "name": "张三", "phone": "123"}]})
    assert status == 422
    assert {"dispute_type", "description", "amount", "people_count", "parties", "parties.0.phone"} <= set(body["fields"])
    status, body = api("post", "/disputes", city.worker_a, {"description": "x"})
    assert status == 422 and "dispute_type" in body["fields"]
    client.force_login(city.worker_a)
    resp = client.post("/disputes/new/", {"dispute_type": "neighbor", "description": "邻里纠纷描述"})
    assert resp.status_code == 400 and "请至少填写一名申请人".encode() in resp.content
    assert (Dispute.objects.count(), DisputeLog.objects.count()) == before


def test_an_action_with_bad_input_is_a_field_error(make_dispute, city, api):
    d = make_dispute()
    api("post", f"/disputes/{d.number}/actions/accept", city.operator_a, {})
    status, body = api("post", f"/disputes/{d.number}/actions/assign", city.operator_a, {"mediator": 999})
    assert status == 422 and "mediator" in body["fields"]
    status, body = api("post", f"/disputes/{d.number}/actions/regrade", city.operator_a, {"grade": "x", "note": "n"})
    assert status == 422 and "grade" in body["fields"]


def test_a_citizen_applies_without_an_account(city, client, api):
    status, body = api("post", "/citizen/disputes", None, {
        "dispute_type": "consumer", "description": "买到的冰箱坏了商家不退", "reporter_name": "周六",
        "reporter_phone": "13600000006", "region": city.community_a.code,
        "parties": [{"role": "applicant", "name": "周六", "phone": "13600000006"}, {"role": "respondent", "name": "某电器店"}]})
    assert status == 201 and body["status"] == "registered"
    d = Dispute.objects.get(number=body["number"])
    assert d.source == "citizen" and d.reporter is None and d.center == city.township_a
    resp = client.post("/disputes/apply/", {"dispute_type": "consumer", "description": "短"})
    assert resp.status_code == 400


def test_a_citizen_follows_their_application_by_number_and_phone_only(city, client, api, mediators):
    status, body = api("post", "/citizen/disputes", None, {
        "dispute_type": "consumer", "description": "买到的冰箱坏了商家不退", "reporter_name": "周六",
        "reporter_phone": "13600000006", "region": city.community_a.code,
        "parties": [{"role": "applicant", "name": "周六", "phone": "13600000006"}, {"role": "respondent", "name": "某电器店"}]})
    number = body["number"]
    d = Dispute.objects.get(number=number)
    services.perform_action(city.operator_a, d, "accept", {"note": "内部备注：商家态度差"})
    services.perform_action(city.operator_a, d, "assign", {"mediator": mediators["a"].pk})
    status, view = api("get", f"/citizen/disputes/{number}?phone=13600000006")
    assert status == 200 and view["status"] == "assigned" and view["mediator"] == "王调解"
    assert [s["label"] for s in view["steps"]] == ["登记", "受理", "分派调解"]
    assert "内部备注" not in str(view)  # steps, never the notes
    assert api("get", f"/citizen/disputes/{number}?phone=13600000007")[0] == 404  # the wrong phone
    page = client.post("/disputes/track/", {"number": number, "phone": "13600000006"})
    assert page.status_code == 200 and "分派调解" in page.content.decode()
    assert client.post("/disputes/track/", {"number": number, "phone": "13900000000"}).status_code == 404


def test_a_retried_registration_with_the_same_idempotency_key_creates_nothing(city, client):
    from gridgov.accounts.models import ApiToken

    citizen = {"dispute_type": "consumer", "description": "买到的冰箱坏了商家不退", "reporter_name": "周六",
               "reporter_phone": "13600000006", "region": city.community_a.code,
               "parties": [{"role": "applicant", "name": "周六", "phone": "13600000006"},
                           {"role": "respondent", "name": "某电器店"}]}

    def post(path, body, key, token=None):
        headers = {"Idempotency-Key": key}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        r = client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=headers)
        return r.status_code, r.json()

    first = post("/citizen/disputes", citizen, "k-1")
    again = post("/citizen/disputes", citizen, "k-1")
    assert (first[0], again[0]) == (201, 200) and first[1]["number"] == again[1]["number"]
    other_phone = post("/citizen/disputes", {**citizen, "reporter_phone": "13600000009"}, "k-1")
    assert other_phone[0] == 201 and other_phone[1]["number"] != first[1]["number"]  # keys are per phone
    _t, token = ApiToken.issue(city.worker_a)
    body = {k: v for k, v in citizen.items() if k not in ("reporter_name", "reporter_phone")}
    a, b = post("/disputes", body, "w-1", token), post("/disputes", body, "w-1", token)
    assert (a[0], b[0]) == (201, 200) and a[1]["number"] == b[1]["number"]
    assert Dispute.objects.count() == 3


def test_a_flood_of_citizen_applications_is_stopped_with_a_429(city, api):
    from gridgov.disputes.services import CITIZEN_APPLICATIONS_PER_HOUR

    body = {"dispute_type": "consumer", "description": "买到的冰箱坏了商家不退", "reporter_name": "周六",
            "reporter_phone": "13600000006", "region": city.community_a.code,
            "parties": [{"role": "applicant", "name": "周六", "phone": "13600000006"},
                        {"role": "respondent", "name": "某电器店"}]}
    for _ in range(CITIZEN_APPLICATIONS_PER_HOUR):
        assert api("post", "/citizen/disputes", None, body)[0] == 201
    status, err = api("post", "/citizen/disputes", None, body)
    assert status == 429 and err["code"] == "too_many_requests" and "请勿重复申请" in err["message"]
    assert Dispute.objects.count() == CITIZEN_APPLICATIONS_PER_HOUR


@pytest.fixture
def dispute_event(city):
    install_default_categories()
    event, _ = event_services.create_event(city.worker_a, event_services.EventInput(
        category="0101", description="两户邻居因排水沟发生争吵", lng=116.005, lat=36.405))
    return event


def test_an_event_of_the_dispute_group_converts_and_stays_linked(city, dispute_event, api, client):
    parties = [{"role": "applicant", "name": "甲"}, {"role": "respondent", "name": "乙"}]
    assert api("post", "/disputes/from-event", city.worker_a, {"event": dispute_event.number, "parties": parties})[0] == 403
    status, d = api("post", "/disputes/from-event", city.operator_a, {"event": dispute_event.number, "parties": parties})
    assert status == 201 and d["event"] == dispute_event.number and d["dispute_type"] == "neighbor"
    dispute_event.refresh_from_db()
    assert dispute_event.dispute.number == d["number"]
    client.force_login(city.operator_a)
    page = client.get(f"/events/{dispute_event.number}/").content.decode()
    assert f"/disputes/{d['number']}/" in page
    status, body = api("post", "/disputes/from-event", city.operator_a, {"event": dispute_event.number, "parties": parties})
    assert status == 422 and "event" in body["fields"]


def test_an_event_outside_the_dispute_group_does_not_convert(city, api):
    install_default_categories()
    event, _ = event_services.create_event(city.worker_a, event_services.EventInput(
        category="0301", description="道路垃圾未清理", lng=116.005, lat=36.405))
    status, body = api("post", "/disputes/from-event", city.operator_a, {
        "event": event.number, "parties": [{"role": "applicant", "name": "甲"}, {"role": "respondent", "name": "乙"}]})
    assert status == 422 and "event" in body["fields"]


def test_the_pages_render_for_each_role(make_dispute, city, mediators, client):
    d = drive(make_dispute(), city, mediators, S.SUCCEEDED)
    for user, url in [(city.operator_a, "/disputes/"), (city.operator_a, f"/disputes/{d.number}/"),
                      (city.worker_a, "/disputes/new/"), (mediators["a"].user, f"/disputes/{d.number}/"),
                      (city.operator_a, f"/disputes/mediators/?dispute={d.number}"),
                      (city.operator_a, f"/disputes/{d.number}/agreement.docx")]:
        client.force_login(user)
        assert client.get(url).status_code == 200, url
    client.logout()
    assert client.get("/disputes/apply/").status_code == 200


def test_the_event_page_offers_conversion_and_the_intake_form_comes_filled_in(city, dispute_event, client):
    client.force_login(city.operator_a)
    page = client.get(f"/events/{dispute_event.number}/").content.decode()
    assert f"/disputes/new/?event={dispute_event.number}" in page
    form = client.get(f"/disputes/new/?event={dispute_event.number}").content.decode()
    assert f'value="{dispute_event.number}"' in form and "两户邻居因排水沟发生争吵" in form
    client.force_login(city.worker_a)  # grid workers do not convert
    assert "/disputes/new/?event=" not in client.get(f"/events/{dispute_event.number}/").content.decode()

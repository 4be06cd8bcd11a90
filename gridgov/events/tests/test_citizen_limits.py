"""Anonymous citizen reports are rate-limited per phone and per client (429, Chinese message; the counter's
key is the phone's keyed hash, never the number); an Idempotency-Key replayed with a different body is a 422
idempotency_mismatch that changes nothing — for events (staff and citizens, API and web form) and disputes."""

import json

import pytest
from django.core.cache import cache

from gridgov.disputes.models import Dispute
from gridgov.events.models import Event

NEW = {"category": "0301", "description": "路面有大量垃圾未清理", "lng": 116.005, "lat": 36.405, "address": "古城路1号"}
PHONE = "13800001234"
MISMATCH = "该幂等键已用于内容不同的请求"


@pytest.fixture
def post(api_response):
    def call(path, body, key=None, user=None, ip="10.0.0.1"):
        headers = {"Idempotency-Key": key} if key is not None else {}
        r = api_response("post", path, user, body, headers=headers, REMOTE_ADDR=ip)
        return r.status_code, r.json()

    return call


@pytest.fixture
def limits(settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "CITIZEN_REPORTS_PER_PHONE": 3, "CITIZEN_REPORTS_PER_CLIENT": 5}
    return settings.GRIDGOV


# --- Idempotency-Key with another body ------------------------------------------------------------------


def test_a_staff_report_replayed_with_another_body_is_422_and_changes_nothing(city, cats, post):
    s1, first = post("/events", NEW, "k-1", city.worker_a)
    s2, again = post("/events", NEW, "k-1", city.worker_a)
    assert (s1, s2) == (201, 200) and again["number"] == first["number"]
    status, err = post("/events", {**NEW, "description": "另一处路面有大量垃圾"}, "k-1", city.worker_a)
    assert status == 422 and err["code"] == "idempotency_mismatch" and err["message"] == MISMATCH
    assert "Idempotency-Key" in err["fields"]
    status, err = post("/events", {**NEW, "lng": 116.006}, "k-1", city.worker_a)
    assert status == 422 and err["code"] == "idempotency_mismatch"
    assert Event.objects.count() == 1
    assert Event.objects.get().description == NEW["description"]


def test_the_fingerprint_ignores_field_order_defaults_and_surrounding_spaces(city, cats, post):
    s1, first = post("/events", NEW, "k-2", city.worker_a)
    reordered = dict(reversed(list(NEW.items())))
    with_defaults = {**reordered, "people_involved": 0, "title": "", "address": " 古城路1号 "}
    s2, again = post("/events", with_defaults, "k-2", city.worker_a)
    assert (s1, s2) == (201, 200) and again["number"] == first["number"]


def test_a_citizen_report_replayed_with_another_body_is_422(city, cats, post):
    body = {**NEW, "reporter_phone": PHONE}
    assert post("/citizen/events", body, "c-1")[0] == 201
    assert post("/citizen/events", body, "c-1")[0] == 200
    status, err = post("/citizen/events", {**body, "reporter_name": "张三"}, "c-1")
    assert status == 422 and err["code"] == "idempotency_mismatch" and err["message"] == MISMATCH
    assert Event.objects.count() == 1


def test_dispute_registrations_and_applications_refuse_a_changed_replay(city, post):
    citizen = {"dispute_type": "consumer", "description": "买到的冰箱坏了商家不退", "reporter_name": "周六",
               "reporter_phone": "13600000006", "region": city.community_a.code,
               "parties": [{"role": "applicant", "name": "周六", "phone": "13600000006"},
                           {"role": "respondent", "name": "某电器店"}]}
    assert post("/citizen/disputes", citizen, "d-1")[0] == 201
    assert post("/citizen/disputes", citizen, "d-1")[0] == 200
    status, err = post("/citizen/disputes", {**citizen, "description": "买到的洗衣机坏了商家不退"}, "d-1")
    assert status == 422 and err["code"] == "idempotency_mismatch"
    changed_party = {**citizen, "parties": [citizen["parties"][0], {"role": "respondent", "name": "另一家店"}]}
    assert post("/citizen/disputes", changed_party, "d-1")[0] == 422
    staff = {k: v for k, v in citizen.items() if k not in ("reporter_name", "reporter_phone")}
    assert post("/disputes", staff, "w-1", city.worker_a)[0] == 201
    assert post("/disputes", staff, "w-1", city.worker_a)[0] == 200
    status, err = post("/disputes", {**staff, "amount": 5000}, "w-1", city.worker_a)
    assert status == 422 and err["code"] == "idempotency_mismatch"
    assert Dispute.objects.count() == 2


def test_the_web_citizen_form_refuses_a_changed_replay(city, cats, client):
    form = {"category": "0301", "description": "小区门口垃圾桶满溢多日", "address": "古城社区北门",
            "reporter_phone": PHONE, "idempotency_key": "web-1"}
    assert client.post("/citizen/report/", form).status_code == 200
    assert client.post("/citizen/report/", form).status_code == 200  # a double submit: the same case
    r = client.post("/citizen/report/", {**form, "description": "小区门口路灯坏了多日"})
    assert r.status_code == 400 and MISMATCH in r.content.decode()
    assert Event.objects.count() == 1


# --- rate limits -------------------------------------------------------------------------------------------


def test_citizen_reports_are_limited_per_phone(city, cats, post, limits):
    for i in range(3):
        assert post("/citizen/events", {**NEW, "reporter_phone": PHONE}, ip=f"10.0.1.{i}")[0] == 201
    status, err = post("/citizen/events", {**NEW, "reporter_phone": PHONE}, ip="10.0.1.9")  # another client
    assert status == 429 and err["code"] == "too_many_requests" and "请稍后再试" in err["message"]
    # the phone is normalized first: the same number written differently is the same phone
    assert post("/citizen/events", {**NEW, "reporter_phone": "+86 138-0000-1234"}, ip="10.0.1.8")[0] == 429
    assert post("/citizen/events", {**NEW, "reporter_phone": "13900005678"}, ip="10.0.1.9")[0] == 201
    assert Event.objects.count() == 4


def test_citizen_reports_are_limited_per_client(city, cats, post, limits):
    for i in range(5):
        assert post("/citizen/events", {**NEW, "reporter_phone": f"1390000000{i}"})[0] == 201
    status, err = post("/citizen/events", {**NEW, "reporter_phone": "13900000009"})
    assert status == 429 and err["code"] == "too_many_requests"
    assert post("/citizen/events", {**NEW, "reporter_phone": "13900000009"}, ip="10.9.9.9")[0] == 201
    assert Event.objects.count() == 6


def test_a_replay_is_not_counted(city, cats, post, limits):
    body = {**NEW, "reporter_phone": PHONE}
    assert post("/citizen/events", body, "r-1")[0] == 201
    for _ in range(10):  # a client retrying on a bad network
        assert post("/citizen/events", body, "r-1")[0] == 200
    assert post("/citizen/events", {**body, "description": "另一处路面有大量垃圾"}, "r-2")[0] == 201


def test_the_counter_keys_never_hold_the_phone(city, cats, post, limits):
    assert post("/citizen/events", {**NEW, "reporter_phone": PHONE})[0] == 201
    keys = " ".join(str(k) for k in cache._cache)  # LocMemCache
    assert "throttle:" in keys and PHONE not in keys


def test_the_web_citizen_form_is_limited_too(city, cats, client, limits):
    form = {"category": "0301", "description": "小区门口垃圾桶满溢多日", "address": "古城社区北门",
            "reporter_phone": PHONE}
    for _ in range(3):
        assert client.post("/citizen/report/", form).status_code == 200
    r = client.post("/citizen/report/", form)
    assert r.status_code == 429 and "请稍后再试" in r.content.decode()
    assert Event.objects.count() == 3


def test_citizen_dispute_applications_are_limited_per_phone_too(city, post):
    from gridgov.disputes.services import CITIZEN_APPLICATIONS_PER_HOUR

    body = {"dispute_type": "consumer", "description": "买到的冰箱坏了商家不退", "reporter_name": "周六",
            "reporter_phone": "13600000006", "region": city.community_a.code,
            "parties": [{"role": "applicant", "name": "周六"}, {"role": "respondent", "name": "某电器店"}]}
    for i in range(CITIZEN_APPLICATIONS_PER_HOUR):
        assert post("/citizen/disputes", body, ip=f"10.0.2.{i}")[0] == 201
    status, err = post("/citizen/disputes", body, ip="10.0.2.200")
    assert status == 429 and err["code"] == "too_many_requests"
    assert Dispute.objects.count() == CITIZEN_APPLICATIONS_PER_HOUR


def test_behind_a_proxy_the_configured_header_names_the_client(city, cats, client, limits, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"

    def report(real_ip, phone):
        r = client.post("/api/v1/citizen/events", json.dumps({**NEW, "reporter_phone": phone}),
                        content_type="application/json", REMOTE_ADDR="127.0.0.1", headers={"X-Real-IP": real_ip})
        return r.status_code

    assert [report("203.0.113.7", f"1390000001{i}") for i in range(6)] == [201] * 5 + [429]
    assert report("203.0.113.8", "13900000020") == 201  # another citizen behind the same proxy


def test_a_replayed_dispute_application_is_not_counted(city, post):
    from gridgov.disputes.services import CITIZEN_APPLICATIONS_PER_HOUR

    body = {"dispute_type": "consumer", "description": "买到的冰箱坏了商家不退", "reporter_name": "周六",
            "reporter_phone": "13600000006", "region": city.community_a.code,
            "parties": [{"role": "applicant", "name": "周六"}, {"role": "respondent", "name": "某电器店"}]}
    assert post("/citizen/disputes", body, "a-1")[0] == 201
    assert [post("/citizen/disputes", body, "a-1")[0] for _ in range(CITIZEN_APPLICATIONS_PER_HOUR + 2)] == \
        [200] * (CITIZEN_APPLICATIONS_PER_HOUR + 2)
    assert Dispute.objects.count() == 1

"""The events API: tokens, creation with Idempotency-Key, scope, 409/403/404, field errors, citizens."""

from gridgov.accounts.models import ApiToken
from gridgov.events.models import Event, Status
from gridgov.testing import PASSWORD, image_bytes

NEW = {"category": "0301", "description": "路面有大量垃圾未清理", "lng": 116.005, "lat": 36.405, "address": "古城路1号"}


def test_token_is_issued_for_good_credentials_only(city, api):
    status, body = api("post", "/auth/token", body={"username": "worker_a", "password": PASSWORD})
    assert status == 200 and body["token"].startswith("gg_") and body["user"]["role"] == "grid_worker"
    status, body = api("post", "/auth/token", body={"username": "worker_a", "password": "wrong"})
    assert status == 401 and body["code"] == "bad_credentials"


def test_repeated_failed_logins_lock_the_account(city, api, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api("post", "/auth/token", body={"username": "worker_a", "password": "wrong"})
    status, body = api("post", "/auth/token", body={"username": "worker_a", "password": PASSWORD})
    assert status == 403 and body["code"] == "locked_out"


def test_without_a_token_the_api_answers_401(city, api):
    status, body = api("get", "/events")
    assert status == 401 and body["code"] == "unauthenticated"


def test_create_with_the_same_idempotency_key_returns_the_same_event(city, cats, api):
    s1, b1 = api("post", "/events", city.worker_a, NEW, {"Idempotency-Key": "abc-123"})
    s2, b2 = api("post", "/events", city.worker_a, NEW, {"Idempotency-Key": "abc-123"})
    assert (s1, s2) == (201, 200)
    assert b1["number"] == b2["number"] and Event.objects.count() == 1
    assert b1["grid"] == "371502001001001" and b1["status"] == "reported"
    s3, b3 = api("post", "/events", city.worker_a, NEW, {"Idempotency-Key": "other"})
    assert s3 == 201 and b3["number"] != b1["number"]


def test_a_replay_answers_with_its_event_even_when_the_same_body_would_now_be_refused(city, cats, api):
    """The key is looked up after the checks (a first request costs no lookup), so a refusal looks for it too."""
    from gridgov.events.models import Category

    s1, b1 = api("post", "/events", city.worker_a, NEW, {"Idempotency-Key": "then-valid"})
    Category.objects.filter(code=NEW["category"]).update(active=False)
    s2, b2 = api("post", "/events", city.worker_a, NEW, {"Idempotency-Key": "then-valid"})
    assert (s1, s2) == (201, 200) and b2["number"] == b1["number"] and Event.objects.count() == 1
    s3, b3 = api("post", "/events", city.worker_a, NEW, {"Idempotency-Key": "now-refused"})
    assert s3 == 422 and "category" in b3["fields"] and Event.objects.count() == 1
    s4, b4 = api("post", "/events", city.worker_a, {**NEW, "description": "另一个描述的内容"},
                 {"Idempotency-Key": "then-valid"})
    assert s4 == 422 and b4["code"] == "idempotency_mismatch"


def test_bad_input_is_a_422_with_field_errors_and_creates_nothing(city, cats, api):
    status, body = api("post", "/events", city.worker_a, {**NEW, "category": "nope", "description": "短"})
    assert status == 422 and body["code"] == "invalid"
    assert set(body["fields"]) >= {"category", "description"}
    status, body = api("post", "/events", city.worker_a, {**NEW, "lng": 500})
    assert status == 422 and "location" in body["fields"]
    status, body = api("post", "/events", city.worker_a, {"description": 5})
    assert status == 422 and body["fields"]["category"] == ["必填"] and body["fields"]["description"] == ["请填写文字"]
    assert Event.objects.count() == 0


def test_detail_shows_timeline_sla_and_allowed_actions(city, cats, api):
    _s, b = api("post", "/events", city.worker_a, NEW)
    status, body = api("get", f"/events/{b['number']}", city.operator_a)
    assert status == 200
    assert body["allowed_actions"] == ["accept", "reject", "merge", "escalate", "relocate", "supervise", "supplement"]
    assert body["timeline"][0]["action"] == "report" and body["sla_state"] in ("normal", "near_due", "overdue")
    assert body["deadline"] is not None


def test_another_township_gets_404_for_reading_and_acting(city, cats, api):
    _s, b = api("post", "/events", city.worker_a, NEW)
    for user in (city.operator_b, city.worker_b, city.liaison_cg):
        assert api("get", f"/events/{b['number']}", user)[0] == 404
        assert api("post", f"/events/{b['number']}/actions/accept", user, {})[0] == 404
    assert Event.objects.get().status == Status.REPORTED


def test_another_departments_liaison_gets_404_for_a_dispatched_case_and_nothing_changes(city, cats, api):
    """A liaison sees the cases their own department was dispatched to (the involved-department EXISTS), for
    writes as for reads: 住建's liaison cannot read or sign a case dispatched to 城管 alone."""
    _s, b = api("post", "/events", city.worker_a, NEW)
    n = b["number"]
    assert api("post", f"/events/{n}/actions/accept", city.operator_a, {})[0] == 200
    assert api("post", f"/events/{n}/actions/dispatch", city.operator_a, {"lead_department": "CG"})[0] == 200
    before = Event.objects.values().get(number=n)
    assert api("get", f"/events/{n}", city.liaison_zj)[0] == 404
    assert api("post", f"/events/{n}/actions/sign", city.liaison_zj, {})[0] == 404
    assert api("post", f"/events/{n}/actions/feedback", city.liaison_zj, {"note": "已处理"})[0] == 404
    assert Event.objects.values().get(number=n) == before
    assert api("get", f"/events/{n}", city.liaison_cg)[0] == 200


def test_wrong_state_is_409_and_not_yours_is_403(city, cats, api):
    _s, b = api("post", "/events", city.worker_a, NEW)
    n = b["number"]
    status, body = api("post", f"/events/{n}/actions/sign", city.operator_a, {})
    assert status == 409 and body["code"] == "invalid_state"
    status, body = api("post", f"/events/{n}/actions/accept", city.leader_a, {})
    assert status == 403 and body["code"] == "not_permitted"
    status, body = api("post", f"/events/{n}/actions/fly", city.operator_a, {})
    assert status == 422


def test_the_loop_over_the_api(city, cats, api):
    _s, b = api("post", "/events", city.worker_a, NEW)
    n = b["number"]
    assert api("post", f"/events/{n}/actions/accept", city.operator_a, {})[0] == 200
    status, body = api("post", f"/events/{n}/actions/dispatch", city.operator_a,
                       {"lead_department": "CG", "assisting_departments": ["ZJ"]})
    assert status == 200 and body["status"] == "dispatched" and body["assisting_departments"] == ["ZJ"]
    status, body = api("get", "/events?status=dispatched", city.liaison_cg)
    assert [e["number"] for e in body["results"]] == [n]
    assert api("post", f"/events/{n}/actions/sign", city.liaison_cg, {})[0] == 200
    assert api("post", f"/events/{n}/actions/feedback", city.liaison_cg, {"note": "已清理"})[0] == 200
    assert api("post", f"/events/{n}/actions/verify_pass", city.operator_a, {})[0] == 200
    status, body = api("post", f"/events/{n}/actions/rate", city.worker_a, {"rating": "satisfied"})
    assert status == 200 and body["rating"] == "satisfied" and body["status"] == "closed"


def test_list_filters_and_counts(city, cats, api):
    for _ in range(3):
        api("post", "/events", city.worker_a, NEW)
    api("post", "/events", city.worker_b, {**NEW, "lng": 116.105})
    status, body = api("get", "/events", city.operator_a)
    assert body["count"] == 3 and body["counts_by_status"] == {"reported": 3}
    status, body = api("get", "/events", city.county_operator)
    assert body["count"] == 4
    status, body = api("get", "/events?region=371502002", city.county_operator)
    assert body["count"] == 1
    status, body = api("get", "/events?sla_state=bogus", city.county_operator)
    assert status == 422 and "sla_state" in body["fields"]
    assert body.get("count_capped") is None  # an error has no counts


def test_list_counts_stop_at_the_cap_and_say_so(city, cats, api, monkeypatch):
    from gridgov.events import api as events_api

    monkeypatch.setattr(events_api, "LIST_COUNT_CAP", 2)
    numbers = [api("post", "/events", city.worker_a, NEW)[1]["number"] for _ in range(4)]
    Event.objects.filter(number=numbers[0]).update(status=Status.ACCEPTED)
    status, body = api("get", "/events", city.operator_a)
    # three reported counted up to 2 (a lower bound), one accepted exactly; the total is their sum, a lower bound
    assert status == 200 and body["counts_by_status"] == {"reported": 2, "accepted": 1}
    assert body["capped_statuses"] == ["reported"] and body["count"] == 3 and body["count_capped"] is True
    assert len(body["results"]) == 4  # the list itself is not capped
    status, body = api("get", "/events?status=accepted", city.operator_a)
    assert body["count"] == 1 and body["count_capped"] is False and [e["number"] for e in body["results"]] == numbers[:1]
    monkeypatch.setattr(events_api, "LIST_COUNT_CAP", 10)
    status, body = api("get", "/events", city.operator_a)
    assert body["count"] == 4 and body["count_capped"] is False and body["capped_statuses"] == []


def test_attachment_upload_checks_the_content(city, cats, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.events import services

    e, _ = services.create_event(city.worker_a, services.EventInput(**NEW))
    _t, raw = ApiToken.issue(city.worker_a)
    auth = {"Authorization": f"Bearer {raw}"}
    fake = SimpleUploadedFile("x.jpg", b"MZ\x90\x00 this is not an image at all", content_type="image/jpeg")
    r = client.post(f"/api/v1/events/{e.number}/attachments", {"file": fake}, headers=auth)
    assert r.status_code == 422 and "file" in r.json()["fields"]
    png = SimpleUploadedFile("a.png", image_bytes(), content_type="image/png")
    r = client.post(f"/api/v1/events/{e.number}/attachments", {"file": png}, headers=auth)
    assert r.status_code == 201 and r.json()["kind"] == "photo"
    assert e.attachments.count() == 1


def test_citizen_reports_tracks_and_rates(city, cats, api):
    body = {**NEW, "reporter_phone": "13800001234"}
    status, b = api("post", "/citizen/events", body=body, headers={"Idempotency-Key": "k1"})
    assert status == 201 and b["status"] == "reported"
    assert api("post", "/citizen/events", body=body, headers={"Idempotency-Key": "k1"})[1]["number"] == b["number"]
    n = b["number"]
    assert api("get", f"/citizen/events/{n}?phone=13800001234")[0] == 200
    assert api("get", f"/citizen/events/{n}?phone=13900000000")[0] == 404
    for user, action, raw in [(city.operator_a, "accept", {}), (city.operator_a, "dispatch", {"lead_department": "CG"}),
                              (city.liaison_cg, "sign", {}), (city.liaison_cg, "feedback", {"note": "已清理"}),
                              (city.operator_a, "verify_pass", {})]:
        assert api("post", f"/events/{n}/actions/{action}", user, raw)[0] == 200
    status, b = api("post", f"/citizen/events/{n}/rate", body={"phone": "13800001234", "rating": "unsatisfied"})
    assert status == 200 and b["rating"] == "unsatisfied" and not b["can_rate"]
    status, b = api("post", f"/citizen/events/{n}/rate", body={"phone": "13800001234", "rating": "satisfied"})
    assert status == 409


def test_citizen_phone_is_validated(city, cats, api):
    status, b = api("post", "/citizen/events", body={**NEW, "reporter_phone": "12345"})
    assert status == 422 and "reporter_phone" in b["fields"]


def test_openapi_schema_is_served(city, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/events/{number}/actions/{action}" in paths and "/api/v1/auth/token" in paths


def test_attachments_are_served_only_to_those_who_may_see_the_event(city, cats, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.events import services

    png = image_bytes()
    e, _ = services.create_event(city.worker_a, services.EventInput(
        **NEW, attachments=[SimpleUploadedFile("a.png", png, content_type="image/png")]))
    att = e.attachments.get()
    client.force_login(city.operator_a)
    r = client.get(att.url)
    # the stored (re-encoded) picture, as stored, never sniffed
    assert r.status_code == 200 and b"".join(r.streaming_content) == att.file.open("rb").read()
    assert r["Content-Type"] == "image/png" and r["X-Content-Type-Options"] == "nosniff"
    client.force_login(city.operator_b)
    assert client.get(att.url).status_code == 404
    client.logout()
    assert client.get(att.url).status_code == 302  # to the login page
    _t, raw = ApiToken.issue(city.worker_b)
    r = client.get(f"/api/v1/attachments/{att.pk}", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 404
    _t, raw = ApiToken.issue(city.worker_a)
    r = client.get(f"/api/v1/attachments/{att.pk}", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200


def test_citizen_lookups_are_rate_limited_per_client(city, cats, api):
    from django.core.cache import cache

    from gridgov.events.services import CITIZEN_LOOKUPS_PER_10_MIN

    cache.clear()
    for _ in range(CITIZEN_LOOKUPS_PER_10_MIN):
        assert api("get", "/citizen/events/SJ2026112300001?phone=13800001234")[0] == 404
    status, body = api("get", "/citizen/events/SJ2026112300001?phone=13800001234")
    assert status == 429 and body["code"] == "too_many_requests"
    cache.clear()


def test_the_api_docs_page_loads_its_assets_from_this_server(db, client):
    import re

    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', r.content.decode())
    assert any("swagger-ui-bundle.js" in u for u in urls)
    assert all(u.startswith("/") for u in urls), urls  # no CDN: government intranets have no internet


def _upload(client, user, number, upload):
    _t, raw = ApiToken.issue(user)
    return client.post(f"/api/v1/events/{number}/attachments", {"file": upload}, headers={"Authorization": f"Bearer {raw}"})


def _png(padding=0):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("a.png", image_bytes() + b"\x00" * padding, content_type="image/png")


def test_an_attachment_over_the_size_limit_is_refused_and_nothing_is_kept(city, cats, client, settings):
    from gridgov.events import services

    settings.GRIDGOV = {**settings.GRIDGOV, "MAX_PHOTO_BYTES": 1000}
    e, _ = services.create_event(city.worker_a, services.EventInput(**NEW))
    r = _upload(client, city.worker_a, e.number, _png(2000))
    assert r.status_code == 422 and "file" in r.json()["fields"]
    assert e.attachments.count() == 0
    assert _upload(client, city.worker_a, e.number, _png(500)).status_code == 201


def test_only_those_working_on_a_case_may_attach_files_to_it(city, cats, client):
    from gridgov.events import services

    e, _ = services.create_event(city.worker_a, services.EventInput(**NEW))
    r = _upload(client, city.leader_a, e.number, _png())  # a leader reads the case but does not work on it
    assert r.status_code == 403 and r.json()["code"] == "not_permitted"
    assert _upload(client, city.worker_b, e.number, _png()).status_code == 404  # outside their scope
    services.perform_action(city.operator_a, e, "accept", {})
    services.perform_action(city.operator_a, Event.objects.get(pk=e.pk), "dispatch", {"lead_department": "CG"})
    assert _upload(client, city.liaison_cg, e.number, _png()).status_code == 201  # photos before the feedback
    assert e.attachments.count() == 1


def test_a_closed_case_takes_no_more_attachments_409(city, cats, client):
    from gridgov.events import services

    e, _ = services.create_event(city.worker_a, services.EventInput(**NEW))
    services.perform_action(city.operator_a, e, "reject", {"note": "不属于受理范围"})
    r = _upload(client, city.worker_a, e.number, _png())
    assert r.status_code == 409 and r.json()["code"] == "closed"


def test_unknown_api_paths_and_methods_answer_json(city, client):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
    assert r.json()["code"] == "not_found"
    r = client.delete("/api/v1/categories")
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"


def test_a_citizen_whose_report_was_merged_follows_the_original_to_its_result(city, cats, api):
    from gridgov.core.crypto import phone_hash
    from gridgov.core.models import Notification
    from gridgov.events import services

    original, _ = services.create_event(city.worker_a, services.EventInput(**NEW))
    status, mine = api("post", "/citizen/events", body={**NEW, "reporter_phone": "13800001234"})
    assert status == 201
    dup = Event.objects.get(number=mine["number"])
    services.perform_action(city.operator_a, dup, "merge", {"target": original.number})
    for user, action, raw in [(city.operator_a, "accept", {}), (city.operator_a, "dispatch", {"lead_department": "CG"}),
                              (city.liaison_cg, "sign", {}), (city.liaison_cg, "feedback", {"note": "已清运完毕"}),
                              (city.operator_a, "verify_pass", {})]:
        services.perform_action(user, Event.objects.get(pk=original.pk), action, raw)
    status, view = api("get", f"/citizen/events/{dup.number}?phone=13800001234")
    assert status == 200 and view["status"] == "merged" and view["merged_into"] == original.number
    assert view["original"]["status"] == "closed" and view["original"]["result"] == "已清运完毕"
    assert [row["action"] for row in view["original"]["timeline"]][-1] == "verify_pass"
    assert Notification.objects.filter(phone_hash=phone_hash("13800001234"), kind="verify_pass").count() == 1

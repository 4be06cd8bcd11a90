"""Outbound webhooks against a real HTTP receiver on 127.0.0.1: staged in the transition, retried until the
receiver is back, each delivered exactly once, signed, dead after the last attempt and replayed from the admin."""

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from gridgov.events import services
from gridgov.interop import outbound
from gridgov.interop.models import Delivery
from gridgov.interop.tests.conftest import SECRET
from gridgov.testing import at_once


def test_a_dispatch_stages_one_delivery_per_subscribed_department_in_the_same_transaction(
        city, subscribe, dispatched):
    cg, zj = subscribe(city.dept_cg), subscribe(city.dept_zj)
    event = dispatched(assisting=["ZJ"])
    rows = {d.subscription_id: d for d in Delivery.objects.filter(action="dispatch")}
    assert set(rows) == {cg.pk, zj.pk}
    assert rows[cg.pk].payload["department"]["part"] == "lead"
    assert rows[zj.pk].payload["department"]["part"] == "assisting"
    case = rows[cg.pk].payload["case"]
    assert case["number"] == event.number and case["category"]["code"] == "0301"
    assert case["status"] == "dispatched" and case["deadline"] and case["location"]["address"] == "古城路1号"
    assert case["link"].endswith(f"/events/{event.number}/")
    assert all(d.state == Delivery.State.PENDING for d in rows.values())


def test_the_payload_carries_no_reporter_name_or_phone(city, cats, subscribe):
    subscribe(city.dept_cg)
    data = services.EventInput(category="0301", description="路面有大量垃圾未清理", lng=116.005, lat=36.405,
                               source="hotline", reporter_name="张三丰", reporter_phone="13800001234")
    event, _ = services.create_event(city.operator_a, data)
    services.perform_action(city.operator_a, event, "accept", {})
    services.perform_action(city.operator_a, event, "dispatch", {"lead_department": "CG"})
    text = str(Delivery.objects.get().payload)
    assert "张三丰" not in text and "13800001234" not in text and "1234" not in text.replace(event.number, "")


def test_a_rolled_back_transition_stages_nothing(city, subscribe, cats):
    subscribe(city.dept_cg)
    data = services.EventInput(category="0301", description="路面有大量垃圾未清理", lng=116.005, lat=36.405)
    event, _ = services.create_event(city.worker_a, data)
    services.perform_action(city.operator_a, event, "accept", {})
    with pytest.raises(RuntimeError), transaction.atomic():
        services.perform_action(city.operator_a, event, "dispatch", {"lead_department": "CG"})
        assert Delivery.objects.count() == 1  # staged inside …
        raise RuntimeError("the caller fails after the transition")
    assert Delivery.objects.count() == 0  # … and gone with it


def test_a_department_without_a_subscription_or_an_unwanted_action_stages_nothing(city, subscribe, dispatched):
    subscribe(city.dept_zj, actions=["verify_pass"])
    dispatched(assisting=["ZJ"])
    assert Delivery.objects.count() == 0


def test_later_changes_reach_the_department_and_a_return_reaches_those_who_worked_on_it(
        city, subscribe, dispatched):
    subscribe(city.dept_cg)
    event = dispatched()
    services.perform_action(city.liaison_cg, event, "sign", {})
    assert not Delivery.objects.filter(action="sign").exists()  # its own action is not echoed
    services.perform_action(city.liaison_cg, event, "return", {"note": "不属于本部门职责"})
    returned = Delivery.objects.get(action="return")
    assert returned.payload["department"]["part"] == "involved" and returned.payload["note"] == "不属于本部门职责"


def test_after_commit_the_delivery_is_sent_at_once(city, subscribe, dispatched, receiver,
                                                   django_capture_on_commit_callbacks):
    subscribe(city.dept_cg)
    with django_capture_on_commit_callbacks(execute=True):
        dispatched()
    row = Delivery.objects.get()
    assert row.state == Delivery.State.DELIVERED and receiver.accepted() == [str(row.uuid)]


def test_a_receiver_down_for_an_hour_gets_every_delivery_exactly_once_when_it_recovers(
        city, subscribe, dispatched, receiver):
    subscribe(city.dept_cg), subscribe(city.dept_zj)
    for _ in range(3):
        dispatched(assisting=["ZJ"])
    expected = {str(u) for u in Delivery.objects.values_list("uuid", flat=True)}
    assert len(expected) == 6
    t0 = timezone.now()
    receiver.failing = True  # it answers 500
    assert outbound.deliver_due(now=t0) == {"delivered": 0, "retry": 6, "dead": 0, "skipped": 0}
    receiver.stop()  # then refuses connections
    t = t0
    for _ in range(5):  # an hour of retries at 1, 2, 4, 8, 16 minutes
        t = min(Delivery.objects.values_list("next_attempt_at", flat=True))
        assert outbound.deliver_due(now=t)["retry"] == 6
    assert t - t0 < timedelta(hours=1) and "ConnectionRefusedError" in Delivery.objects.first().last_error
    assert outbound.deliver_due(now=t + timedelta(seconds=1))["retry"] == 0  # nothing due before its time
    receiver.failing = False
    receiver.start()
    later = t0 + timedelta(hours=1, minutes=5)
    assert outbound.deliver_due(now=later)["delivered"] == 6
    assert outbound.deliver_due(now=later + timedelta(hours=5)) == {"delivered": 0, "retry": 0, "dead": 0, "skipped": 0}
    accepted = receiver.accepted()
    assert len(accepted) == len(set(accepted)) and set(accepted) == expected
    assert {b["id"] for b in receiver.bodies()} == expected  # the id is in the body too
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.DELIVERED}


def test_the_signature_verifies_with_the_subscription_secret_and_fails_with_another(
        city, subscribe, dispatched, receiver):
    subscribe(city.dept_cg)
    dispatched()
    outbound.deliver_due()
    (_rid, _status, headers, body), = receiver.requests
    timestamp = headers["X-Gridgov-Timestamp"]
    expected = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Gridgov-Signature"], expected)
    wrong = "sha256=" + hmac.new(b"other", timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Gridgov-Signature"] != wrong
    assert headers["Content-Type"].startswith("application/json")


def test_the_secret_is_stored_sealed(city, subscribe):
    sub = subscribe(city.dept_cg)
    assert SECRET not in sub.secret_enc and sub.secret == SECRET


def _until_dead(now):
    for _ in range(outbound.MAX_ATTEMPTS):
        outbound.deliver_due(now=now)
        now = min(Delivery.objects.values_list("next_attempt_at", flat=True))
    return now


def test_after_the_last_attempt_the_row_is_dead_and_the_admin_replay_delivers_it(
        city, subscribe, dispatched, receiver, client):
    subscribe(city.dept_cg)
    dispatched()
    receiver.failing = True
    t0 = timezone.now()
    _until_dead(t0)
    row = Delivery.objects.get()
    assert row.state == Delivery.State.DEAD and row.attempts == outbound.MAX_ATTEMPTS and row.last_error == "HTTP 500"
    assert sum((outbound.backoff(n) for n in range(1, outbound.MAX_ATTEMPTS)), timedelta()) > timedelta(hours=1)
    assert outbound.deliver_due(now=t0 + timedelta(days=2))["delivered"] == 0  # dead stays dead
    receiver.failing = False
    client.force_login(city.admin)
    page = client.get("/admin/interop/delivery/?state=dead")
    assert page.status_code == 200 and str(row.uuid) in page.content.decode()
    resp = client.post("/admin/interop/delivery/", {"action": "replay", "_selected_action": [row.pk]})
    assert resp.status_code == 302
    row.refresh_from_db()
    assert row.state == Delivery.State.PENDING and row.attempts == 0
    assert outbound.deliver_due()["delivered"] == 1
    assert receiver.accepted() == [str(row.uuid)]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_delivery_runs_never_send_the_same_row_twice(city, subscribe, dispatched, receiver):
    if connection.vendor != "postgresql":
        pytest.skip("row claims racing in two connections need PostgreSQL (SQLite serialises writers)")
    subscribe(city.dept_cg), subscribe(city.dept_zj)
    for _ in range(10):
        dispatched(assisting=["ZJ"])
    expected = {str(u) for u in Delivery.objects.values_list("uuid", flat=True)}
    # committed for real here, so each was already sent once after its commit: put them all back to pending
    Delivery.objects.update(state=Delivery.State.PENDING, attempts=0, next_attempt_at=timezone.now())
    receiver.requests.clear()
    receiver.delay = 0.01
    now = timezone.now() + timedelta(seconds=1)
    results = at_once(lambda: outbound.deliver_due(now=now))
    accepted = receiver.accepted()
    assert sorted(accepted) == sorted(expected)  # each once, none missing
    assert sum(r["delivered"] for r in results) == len(expected)

"""热线 (12345) intake: the operator records the caller's name and phone; the caller is sent the tracking
number, follows the case with number + phone and rates it; the phone is sealed at rest, masked wherever it is
shown (pages, API, export, admin) and never written in clear to a log or another table."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from gridgov.core import crypto
from gridgov.core.models import Notification
from gridgov.events import services, workflow
from gridgov.events.models import Event, Status
from gridgov.events.workflow import Citizen

CALLER = "13955550123"
MASKED = "139****0123"
IN_A1 = {"lng": "116.005", "lat": "36.405"}


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def hotline_post(**extra) -> dict:
    return {"category": "0301", "description": "来电反映小区门口垃圾堆积三天无人清运", "address": "古楼路12号",
            "people_involved": "0", "urgency": "", "idempotency_key": "hot-1", "source": "hotline",
            "reporter_name": "王女士", "reporter_phone": "139-5555-0123", **IN_A1, **extra}


def clear_copies(phone: str) -> list[str]:
    """The tables that hold ``phone`` in clear in any text cell."""
    found = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from the DB
            if any(phone in " ".join(str(v) for v in row if v is not None) for row in cur.fetchall()):
                found.append(table)
    return found


def close(city, event: Event) -> None:
    for actor, action, raw in [(city.operator_a, "accept", {}), (city.operator_a, "dispatch", {"lead_department": "CG"}),
                               (city.liaison_cg, "sign", {}), (city.liaison_cg, "feedback", {"note": "已清运"}),
                               (city.operator_a, "verify_pass", {})]:
        services.perform_action(actor, event, action, raw)


@pytest.fixture
def backends(settings, tmp_path):
    """Deliver through the console and the file backends (the file stands for an SMS gateway's adapter)."""
    out = tmp_path / "sms.jsonl"
    settings.GRIDGOV = {**settings.GRIDGOV, "NOTIFY_BACKENDS": "console,file", "NOTIFY_FILE": str(out)}
    return out


def test_the_operator_records_a_hotline_caller_and_the_caller_is_sent_the_tracking_number(
        city, cats, backends, capsys, caplog, django_capture_on_commit_callbacks):
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        r = as_user(city.operator_a).post(reverse("events:new"), hotline_post())
    assert r.status_code == 302
    e = Event.objects.get()
    # the caller is the reporter (no account); the operator who took the call is the report's actor
    assert e.source == "hotline" and e.reporter is None and e.reporter_name == "王女士"
    assert e.reporter_phone == CALLER and e.reporter_phone_hash == crypto.phone_hash(CALLER)
    report = e.log.get(action="report")
    assert report.actor == city.operator_a
    # the SMS: to the caller's phone, with the number and how to follow the case
    sms = Notification.objects.get(kind="hotline_receipt")
    assert sms.recipient is None and sms.phone == CALLER
    assert e.number in sms.subject and e.number in sms.body
    assert "进度查询" in sms.body and "本手机号" in sms.body and "评价" in sms.body
    assert sms.link == reverse("web:citizen_track") + f"?number={e.number}"
    assert sms.delivered == {"console": "ok", "file": "ok"}
    # the gateway's adapter gets the number to send to; the console (a log) only the masked one
    sent = [json.loads(line) for line in backends.read_text(encoding="utf-8").splitlines()]
    receipt = [m for m in sent if m["kind"] == "hotline_receipt"]
    assert len(receipt) == 1 and receipt[0]["phone"] == CALLER and e.number in receipt[0]["body"]
    err = capsys.readouterr().err
    assert MASKED in err and CALLER not in err
    assert CALLER not in caplog.text
    # at rest: nowhere in clear — the event, the notification, the log rows, the statistics
    assert clear_copies(CALLER) == []
    # the operators of the center are told of the new case as for any report
    assert Notification.objects.filter(kind="report", recipient=city.operator_a).exists()


def test_the_caller_tracks_the_case_with_number_and_phone_and_rates_it(city, cats):
    as_user(city.operator_a).post(reverse("events:new"), hotline_post())
    e = Event.objects.get()
    anon = Client()
    r = anon.post(reverse("web:citizen_track"), {"number": e.number, "phone": CALLER})
    assert r.status_code == 200 and r.context["view"]["number"] == e.number and not r.context["view"]["can_rate"]
    assert anon.post(reverse("web:citizen_track"), {"number": e.number, "phone": "13900000000"}).status_code == 404
    close(city, e)
    e.refresh_from_db()
    caller = Citizen(CALLER)
    assert "rate" in workflow.allowed_actions(e, caller)
    assert "rate" not in workflow.allowed_actions(e, Citizen("13900000000"))
    assert "rate" not in workflow.allowed_actions(e, city.operator_a)  # taking the call is not reporting it
    r = anon.post(reverse("web:citizen_track"), {"number": e.number, "phone": CALLER, "op": "rate",
                                                 "rating": "satisfied", "note": "很快就清走了"})
    assert r.status_code == 200 and r.context["rated"]
    e.refresh_from_db()
    assert e.rating == "satisfied" and e.log.filter(action="rate").get().actor_label == f"群众 {MASKED}"


def test_the_caller_is_told_when_the_case_is_closed(city, cats):
    as_user(city.operator_a).post(reverse("events:new"), hotline_post())
    e = Event.objects.get()
    close(city, e)
    done = Notification.objects.get(kind="verify_pass")
    assert done.phone == CALLER and e.number in done.subject and done.recipient is None


def test_the_callers_phone_is_masked_on_the_page_in_the_api_the_export_and_the_admin(city, cats, api):
    as_user(city.operator_a).post(reverse("events:new"), hotline_post())
    e = Event.objects.get()
    page = as_user(city.operator_a).get(reverse("events:detail", args=[e.number])).content.decode()
    assert f"王女士 {MASKED}" in page and CALLER not in page
    status, body = api("get", f"/events/{e.number}", city.operator_a)
    assert status == 200 and body["reporter_name"] == "王女士" and body["reporter_phone"] == MASKED
    assert CALLER not in json.dumps(body, ensure_ascii=False)
    from openpyxl import load_workbook

    resp = as_user(city.operator_a).get(reverse("events:export"))
    rows = list(load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active.iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["上报人"], row["上报人电话"]) == ("王女士", MASKED)
    assert all(CALLER not in str(v) for v in rows[1])
    admin_page = as_user(city.admin).get(reverse("admin:events_event_change", args=[e.pk])).content.decode()
    assert MASKED in admin_page and CALLER not in admin_page


def test_a_bad_caller_phone_is_a_field_error_and_creates_nothing(city, cats, api):
    r = as_user(city.operator_a).post(reverse("events:new"), hotline_post(reporter_phone="12345"))
    assert r.status_code == 400
    assert r.context["form"].errors["reporter_phone"] == ["请填写来电人的11位手机号码（用于发送事件编号、查询进度和评价）"]
    status, body = api("post", "/events", city.operator_a, {
        "category": "0301", "description": "来电反映路灯不亮", "lng": 116.005, "lat": 36.405, "source": "hotline",
        "reporter_name": "李先生", "reporter_phone": "0531-1234"})
    assert status == 422 and list(body["fields"]) == ["reporter_phone"]
    assert Event.objects.count() == 0 and not Notification.objects.filter(kind="hotline_receipt").exists()


def test_the_api_records_a_hotline_caller_and_answers_with_the_masked_phone(city, cats, api):
    status, body = api("post", "/events", city.operator_a, {
        "category": "0301", "description": "来电反映路灯不亮", "lng": 116.005, "lat": 36.405, "source": "hotline",
        "reporter_name": "李先生", "reporter_phone": CALLER})
    assert status == 201 and body["reporter_phone"] == MASKED and body["source"] == "hotline"
    e = Event.objects.get(number=body["number"])
    assert e.reporter is None and services.get_for_citizen(e.number, CALLER) == e
    assert Notification.objects.get(kind="hotline_receipt").phone == CALLER


def test_an_anonymous_call_gets_a_case_nobody_outside_can_track(city, cats):
    r = as_user(city.operator_a).post(reverse("events:new"), hotline_post(reporter_name="", reporter_phone=""))
    assert r.status_code == 302
    e = Event.objects.get()
    assert e.reporter is None and e.reporter_phone == "" and e.reporter_name == ""
    assert not Notification.objects.filter(kind="hotline_receipt").exists()
    close(city, e)
    e.refresh_from_db()
    assert e.status == Status.CLOSED and "rate" not in workflow.allowed_actions(e, city.operator_a)


def test_other_sources_keep_the_operator_as_reporter_and_send_no_receipt(city, cats):
    r = as_user(city.operator_a).post(reverse("events:new"), hotline_post(source="video", reporter_phone=""))
    assert r.status_code == 302
    e = Event.objects.get()
    assert e.reporter == city.operator_a and not Notification.objects.filter(kind="hotline_receipt").exists()


def test_the_report_form_offers_caller_fields_to_operators_only(city, cats):
    html = as_user(city.operator_a).get(reverse("events:new")).content.decode()
    assert 'name="reporter_phone"' in html and 'data-reveals-value="hotline"' in html
    html = as_user(city.worker_a).get(reverse("events:new")).content.decode()
    assert 'name="reporter_phone"' not in html

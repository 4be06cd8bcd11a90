"""Control characters: refused on input everywhere (API 422 naming the field, web 400), the same on SQLite and
PostgreSQL; replaced on output so one stored bad character never breaks an export."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from openpyxl import load_workbook

from gridgov.accounts.models import ApiToken
from gridgov.core.text import REPLACEMENT, xml_safe
from gridgov.disputes.tests.conftest import make_dispute, mediators  # noqa: F401
from gridgov.events.models import Event, EventLog
from gridgov.registry.models import Resident
from gridgov.registry.tests.conftest import flat, keycats, resident  # noqa: F401
from gridgov.testing import image_bytes

MESSAGE = ["不能包含控制字符"]
BAD = ["\x00", "\x01", "\x1f", "\x0b"]


def bearer(user) -> dict:
    _t, raw = ApiToken.issue(user)
    return {"Authorization": f"Bearer {raw}"}


def post_json(client, path, user, body, **headers):
    return client.post(f"/api/v1{path}", data=json.dumps(body), content_type="application/json",
                       headers={**bearer(user), **headers})


@pytest.mark.parametrize("char", BAD)
def test_an_event_with_a_control_character_is_a_422_and_writes_nothing(city, cats, client, char):
    resp = post_json(client, "/events", city.worker_a, {"category": "0301", "description": f"路面{char}有垃圾",
                                                        "title": f"垃圾{char}", "lng": 116.005, "lat": 36.405})
    assert resp.status_code == 422
    assert resp.json()["fields"] == {"description": MESSAGE, "title": MESSAGE}
    assert not Event.objects.exists()


def test_tab_newline_and_carriage_return_are_text(city, cats, client):
    resp = post_json(client, "/events", city.worker_a, {"category": "0301", "description": "路面\t有垃圾\r\n两处",
                                                        "lng": 116.005, "lat": 36.405})
    assert resp.status_code == 201
    assert Event.objects.get().description == "路面\t有垃圾\r\n两处"


def test_a_supplement_note_with_nul_is_refused(city, report, client):
    event = report()
    before = EventLog.objects.count()
    resp = post_json(client, f"/events/{event.number}/actions/supplement", city.worker_a, {"note": "补充\x00"})
    assert resp.status_code == 422 and resp.json()["fields"] == {"note": MESSAGE}
    assert EventLog.objects.count() == before


def test_nested_fields_and_keys_are_named(city, client):
    resp = post_json(client, "/petitions", city.operator_a, {
        "channel": "letter", "subject": "物业", "demands": "退费",
        "petitioners": [{"name": "王建国"}, {"name": "李\x00四"}]})
    assert resp.status_code == 422 and resp.json()["fields"] == {"petitioners.1.name": MESSAGE}
    resp = post_json(client, "/disputes", city.worker_a, {"dispute_type": "neighbor", "description": "x",
                                                          "parties": [], "bad\x01key": 1})
    assert resp.status_code == 422 and list(resp.json()["fields"]) == ["bad\x01key"]


def test_a_resident_name_with_nul_is_refused(city, flat, client):  # noqa: F811
    before = Resident.objects.count()
    resp = post_json(client, "/residents", city.worker_a, {"name": "王\x00建国", "house": flat.pk})
    assert resp.status_code == 422 and resp.json()["fields"] == {"name": MESSAGE}
    assert Resident.objects.count() == before


@pytest.mark.parametrize("path", ["/events", "/residents", "/disputes", "/petitions", "/units", "/houses",
                                  "/laws/search"])
def test_a_query_parameter_with_nul_is_refused(city, client, path):
    resp = client.get(f"/api/v1{path}?q=%00abc", headers=bearer(city.operator_a))
    assert resp.status_code == 422 and resp.json()["fields"] == {"q": MESSAGE}


def test_the_path_and_the_idempotency_key_are_checked(city, cats, client):
    resp = client.get("/api/v1/events/SJ%00", headers=bearer(city.operator_a))
    assert resp.status_code == 422 and resp.json()["fields"] == {"path": MESSAGE}
    resp = post_json(client, "/events", city.worker_a, {"category": "0301", "description": "路面有垃圾"},
                     **{"Idempotency-Key": "k\x01"})
    assert resp.status_code == 422 and resp.json()["fields"] == {"Idempotency-Key": MESSAGE}
    assert not Event.objects.exists()


def test_multipart_form_fields_are_checked(city, report, client):
    event = report()
    upload = io.BytesIO(image_bytes("JPEG"))  # a real picture: uploads are decoded and re-encoded
    upload.name = "photo.jpg"  # (Django drops non-printable characters from uploaded file names itself)
    resp = client.post(f"/api/v1/events/{event.number}/attachments", data={"file": upload, "caption": "x\x00"},
                       headers=bearer(city.worker_a))
    assert resp.status_code == 422 and resp.json()["fields"] == {"caption": MESSAGE}
    assert not event.attachments.exists()


# --- web pages --------------------------------------------------------------------------------------

def test_web_pages_refuse_control_characters_in_queries_and_forms(city, flat, client):  # noqa: F811
    client.force_login(city.worker_a)
    resp = client.get("/registry/residents/?q=%00")
    assert resp.status_code == 400 and "不能包含控制字符" in resp.content.decode() and "q" in resp.content.decode()
    before = Resident.objects.count()
    resp = client.post("/registry/residents/new/", {"name": "王\x01建国", "house": flat.pk})
    assert resp.status_code == 400 and "name" in resp.content.decode()
    assert Resident.objects.count() == before


# --- exports ----------------------------------------------------------------------------------------

def _stored_bad_char() -> str:
    # PostgreSQL cannot store NUL in text at all; it takes the other C0 characters
    return "\x01" if connection.vendor == "postgresql" else "\x00"


def _names(body: bytes) -> list[str]:
    ws = load_workbook(io.BytesIO(body), read_only=True).active
    return [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]


def test_one_stored_control_character_does_not_break_the_resident_export(city, resident, client, tmp_path):  # noqa: F811
    bad = _stored_bad_char()
    Resident.objects.filter(pk=resident.pk).update(name=f"王{bad}建国\x1f")  # bypasses every validation
    out = tmp_path / "residents.xlsx"
    call_command("export_registry", "residents", str(out), "--user", "op_county")
    assert f"王{REPLACEMENT}建国{REPLACEMENT}" in _names(out.read_bytes())
    client.force_login(city.county_operator)
    resp = client.get("/registry/export/residents/")
    assert resp.status_code == 200
    assert f"王{REPLACEMENT}建国{REPLACEMENT}" in _names(b"".join(resp.streaming_content)
                                                         if resp.streaming else resp.content)


def test_one_stored_control_character_does_not_break_the_agreement(make_dispute, city, mediators):  # noqa: F811
    from docx import Document

    from gridgov.disputes.agreement import build_docx
    from gridgov.disputes.tests.test_workflow import S, drive

    d = drive(make_dispute(), city, mediators, S.SUCCEEDED)
    d.parties.filter(role="applicant").update(name=f"张{_stored_bad_char()}三")
    text = "\n".join(p.text for p in Document(io.BytesIO(build_docx(d))).paragraphs)
    assert f"申请人：张{REPLACEMENT}三" in text


def test_xml_safe_keeps_ordinary_text_and_other_types():
    assert xml_safe("甲\t乙\n丙\r") == "甲\t乙\n丙\r"
    assert xml_safe("a\x00b\x08c\x0bd\x1f") == f"a{REPLACEMENT}b{REPLACEMENT}c{REPLACEMENT}d{REPLACEMENT}"
    assert xml_safe(5) == 5 and xml_safe(None) is None

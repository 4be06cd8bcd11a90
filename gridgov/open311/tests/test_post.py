"""POST requests.*: filing a service request as a citizen through the events service, all or nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gridgov.core import crypto
from gridgov.events.models import Attachment, Event, Source
from gridgov.open311.models import ClientApplication, ServiceRequest
from gridgov.open311.tests.conftest import PHONE
from gridgov.testing import image_bytes


def nothing_written():
    return not Event.objects.exists() and not ServiceRequest.objects.exists()


def test_a_request_filed_with_a_key_becomes_a_citizen_event(o311, new_request, app_key):
    status, body, _r = o311("post", "v2/requests.json", new_request(**{"attribute[area]": "12.5"}))
    assert status == 201
    (reply,) = body
    event = Event.objects.get(number=reply["service_request_id"])
    assert reply["token"] and "处置" in reply["service_notice"]
    assert event.source == Source.CITIZEN and event.category.code == "0301" and event.status == "reported"
    assert event.lat == 36.405 and event.lng == 116.005 and event.grid is not None
    assert event.reporter_name == "王小明"  # family name first, no space
    assert event.reporter_phone_hash == crypto.phone_hash(PHONE)
    sr = event.open311
    assert sr.client == app_key[0] and sr.token == reply["token"]
    assert sr.attributes == {"blocked": "yes", "area": 12.5}
    # the answers are on the case for the center to read
    assert "是否影响通行：是" in event.description and "面积（平方米）：12.5" in event.description


def test_the_xml_reply_is_service_requests_of_request(o311, new_request):
    status, xml, _r = o311("post", "v2/requests.xml", new_request())
    assert status == 201 and xml.tag == "service_requests"
    assert xml.findtext("request/service_request_id") == Event.objects.get().number
    assert xml.findtext("request/token") == ServiceRequest.objects.get().token


def test_the_email_is_not_stored_anywhere(o311, new_request):
    o311("post", "v2/requests.json", new_request(email="secret-mail@example.com"))
    event = Event.objects.get()
    assert "secret-mail" not in str([getattr(event, f.attname) for f in Event._meta.concrete_fields])
    assert "secret-mail" not in str(ServiceRequest.objects.values().get())


def test_an_address_alone_is_a_place(o311, new_request):
    status, body, _r = o311("post", "v2/requests.json", new_request(lat=None, long=None, address_string="古楼街道幸福路1号"))
    assert status == 201
    assert Event.objects.get().address == "古楼街道幸福路1号"


def test_a_multipart_media_upload_becomes_the_events_photo(client, new_request):
    form = new_request(media=SimpleUploadedFile("p.png", image_bytes(), content_type="image/png"))
    resp = client.post("/open311/v2/requests.json", form)
    assert resp.status_code == 201
    assert Attachment.objects.get().kind == "photo"


def test_a_media_that_is_no_picture_is_a_400_and_writes_nothing(o311, new_request):
    form = new_request(media=SimpleUploadedFile("p.png", b"not an image at all", content_type="image/png"))
    status, body, _r = o311("post", "v2/requests.json", form)
    assert status == 400 and body[0]["description"].startswith("media:")
    assert nothing_written()


def test_a_media_url_is_kept_and_noted_on_the_case(o311, new_request):
    status, _b, _r = o311("post", "v2/requests.json", new_request(media_url="https://img.example.org/a.jpg"))
    assert status == 201
    assert ServiceRequest.objects.get().media_url == "https://img.example.org/a.jpg"
    assert "https://img.example.org/a.jpg" in Event.objects.get().description


def test_post_works_without_a_session_or_csrf_token(new_request):
    resp = Client(enforce_csrf_checks=True).post("/open311/v2/requests.json", new_request())
    assert resp.status_code == 201


@pytest.mark.parametrize("key", ["o311_wrong", "", None])
def test_a_bad_or_missing_api_key_is_a_403_and_writes_nothing(o311, new_request, key):
    status, body, _r = o311("post", "v2/requests.json", new_request(api_key=key))
    assert status == 403 and body[0]["code"] == 403 and "api_key" in body[0]["description"]
    assert nothing_written()


def test_a_deactivated_client_is_refused(o311, new_request, app_key):
    ClientApplication.objects.filter(pk=app_key[0].pk).update(active=False)
    assert o311("post", "v2/requests.json", new_request())[0] == 403


def test_an_unknown_service_is_a_404(o311, new_request):
    status, xml, _r = o311("post", "v2/requests.xml", new_request(service_code="9999"))
    assert status == 404 and xml.findtext("error/code") == "404"
    assert nothing_written()


@pytest.mark.parametrize("field, value, expected", [
    ("attribute[blocked]", "maybe", "attribute[blocked]: 可选值为：yes、no"),
    ("attribute[blocked]", "", "attribute[blocked]: 必填：是否影响通行"),
    ("attribute[area]", "twelve", "attribute[area]: 应为数字"),
    ("attribute[colour]", "red", "attribute[colour]: 该服务没有此附加字段"),
    ("lat", "north", "lat: 应为数字（WGS84 十进制度）"),
    ("media_url", "ftp://x.example/a.jpg", "media_url: 应为 http 或 https 链接"),
])
def test_a_bad_attribute_or_field_is_a_400_naming_the_field(o311, new_request, field, value, expected):
    status, body, _r = o311("post", "v2/requests.json", new_request(**{field: value}))
    assert status == 400
    assert expected in [e["description"] for e in body] and {e["code"] for e in body} == {400}
    assert nothing_written()


@pytest.mark.parametrize("phone", [None, "", "12345", "abcdefghijk"])
def test_a_missing_or_malformed_phone_is_a_400_on_phone(o311, new_request, phone):
    status, body, _r = o311("post", "v2/requests.json", new_request(phone=phone))
    assert status == 400
    assert "phone: 请填写11位手机号码" in [e["description"] for e in body]
    assert nothing_written()


def test_a_point_outside_the_city_is_a_400_on_the_location(o311, new_request):
    status, body, _r = o311("post", "v2/requests.json", new_request(lat="31.23", long="121.47"))
    assert status == 400 and body[0]["description"].startswith("lat/long/address_string:")
    assert nothing_written()


def test_no_place_at_all_is_a_400(o311, new_request):
    status, body, _r = o311("post", "v2/requests.json", new_request(lat=None, long=None))
    assert status == 400 and body[0]["description"].startswith("lat/long/address_string:")


def test_several_errors_come_back_together(o311, new_request):
    status, body, _r = o311("post", "v2/requests.json", new_request(**{"attribute[blocked]": "x", "long": "east"}))
    assert status == 400 and len(body) == 2


def test_a_retry_with_the_same_idempotency_key_returns_the_first_request(o311, new_request):
    first = o311("post", "v2/requests.json", new_request(), HTTP_IDEMPOTENCY_KEY="k-1")
    again = o311("post", "v2/requests.json", new_request(), HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first[0], again[0]) == (201, 200)
    assert first[1] == again[1]
    assert Event.objects.count() == 1 and ServiceRequest.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_refused(o311, new_request):
    o311("post", "v2/requests.json", new_request(), HTTP_IDEMPOTENCY_KEY="k-2")
    status, body, _r = o311("post", "v2/requests.json", new_request(description="另一处路面有垃圾堆积"),
                            HTTP_IDEMPOTENCY_KEY="k-2")
    assert status == 400 and body[0]["description"].startswith("Idempotency-Key:")
    assert Event.objects.count() == 1


def test_another_clients_idempotency_key_does_not_hand_out_its_request(o311, new_request):
    o311("post", "v2/requests.json", new_request(), HTTP_IDEMPOTENCY_KEY="k-3")
    _other, raw = ClientApplication.issue("另一个应用")
    status, body, _r = o311("post", "v2/requests.json", new_request(api_key=raw), HTTP_IDEMPOTENCY_KEY="k-3")
    assert status == 400 and "Idempotency-Key" in body[0]["description"]
    assert ServiceRequest.objects.count() == 1


def test_a_clients_hourly_limit_is_a_429_in_the_spec_format(o311, new_request, app_key):
    ClientApplication.objects.filter(pk=app_key[0].pk).update(rate_limit_per_hour=2)
    phones = ["13900000001", "13900000002", "13900000003"]
    answers = [o311("post", "v2/requests.json", new_request(phone=p)) for p in phones]
    assert [a[0] for a in answers] == [201, 201, 429]
    assert answers[2][1][0]["code"] == 429
    assert Event.objects.count() == 2


def test_the_phones_hourly_limit_of_every_citizen_channel_applies(o311, new_request, settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "CITIZEN_REPORTS_PER_PHONE": 1}
    assert o311("post", "v2/requests.json", new_request())[0] == 201
    status, xml, _r = o311("post", "v2/requests.xml", new_request())
    assert status == 429 and xml.findtext("error/code") == "429"


@pytest.mark.parametrize("name", ["attribute[kinds][]", "attribute[kinds]"])
def test_a_multivaluelist_takes_several_values_in_either_form(client, new_request, attrs, name):
    from gridgov.open311.models import ServiceAttribute

    ServiceAttribute.objects.create(category=attrs[0].category, code="kinds", datatype="multivaluelist", order=3,
                                    description="垃圾种类", values=[{"key": "food", "name": "厨余"},
                                                                   {"key": "build", "name": "建筑垃圾"}])
    resp = client.post("/open311/v2/requests.json", {**new_request(), name: ["food", "build"]})
    assert resp.status_code == 201
    assert ServiceRequest.objects.get().attributes["kinds"] == ["food", "build"]
    assert "垃圾种类：厨余、建筑垃圾" in Event.objects.get().description


def test_a_datetime_attribute_must_be_a_moment(o311, new_request, attrs):
    from gridgov.open311.models import ServiceAttribute

    ServiceAttribute.objects.create(category=attrs[0].category, code="seen", datatype="datetime", order=3,
                                    description="发现时间")
    status, body, _r = o311("post", "v2/requests.json", new_request(**{"attribute[seen]": "2026-02-30T10:00"}))
    assert status == 400 and body[0]["description"].startswith("attribute[seen]:")
    assert o311("post", "v2/requests.json", new_request(**{"attribute[seen]": "2026-11-30T10:00:00+08:00"}))[0] == 201


def test_a_single_value_attribute_refuses_two_values(client, new_request):
    resp = client.post("/open311/v2/requests.json", {**new_request(), "attribute[blocked]": ["yes", "no"]})
    assert resp.status_code == 400 and "attribute[blocked]: 只能填写一个值" in resp.content.decode()


def test_a_failure_after_the_event_was_written_leaves_nothing_behind(o311, new_request, monkeypatch):
    from gridgov.open311.services import Open311Error

    def refuse():
        raise Open311Error(400, "token: 测试")

    monkeypatch.setattr(ServiceRequest, "new_token", staticmethod(refuse))
    status, body, _r = o311("post", "v2/requests.json",
                            new_request(media=SimpleUploadedFile("p.png", image_bytes(), content_type="image/png")))
    assert status == 400 and body == [{"code": 400, "description": "token: 测试"}]
    assert nothing_written() and not Attachment.objects.exists()


@pytest.mark.parametrize("path", ["v2/requests.json", "v2/requests.xml"])
def test_a_control_character_is_a_400_in_the_spec_format_and_writes_nothing(client, new_request, path):
    resp = client.post(f"/open311/{path}", new_request(description="路口垃圾\x00很多"))
    assert resp.status_code == 400 and nothing_written()
    if path.endswith(".xml"):
        assert resp["Content-Type"].startswith("text/xml") or "xml" in resp["Content-Type"]
        assert b"<errors>" in resp.content and "description: 不能包含控制字符" in resp.content.decode()
    else:
        assert resp.json() == [{"code": 400, "description": "description: 不能包含控制字符"}]


def test_a_multipart_body_without_a_boundary_is_a_400_in_the_spec_format(client, db):
    resp = client.generic("POST", "/open311/v2/requests.json", b"--x\r\nbroken", content_type="multipart/form-data")
    assert resp.status_code == 400 and nothing_written()
    ((error,),) = [resp.json()]
    assert error["code"] == 400 and "无法解析" in error["description"]

"""GET requests.*, requests/{id}.* and tokens/{token}.*: public reads with the spec's filters, no personal data."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict
from django.utils import timezone

from gridgov.events import services as events
from gridgov.events.models import Event
from gridgov.open311 import services
from gridgov.open311.models import ClientApplication
from gridgov.open311.tests.conftest import DESCRIPTION, NAME_FIRST, NAME_LAST, PHONE

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def file(new_request):
    """File a request through the service (``now`` for one in the past); its event."""

    def make(now=None, **kw):
        form = QueryDict(mutable=True)
        form.update(new_request(**kw))
        return services.file_request(form["api_key"], form, None, now=now).request.event

    return make


def test_a_filed_request_reads_back_with_the_spec_fields(o311, file, city):
    event = file(media_url="https://img.example.org/a.jpg")
    status, body, _r = o311("get", f"v2/requests/{event.number}.json")
    assert status == 200
    (one,) = body
    assert one["service_request_id"] == event.number and one["status"] == "open"
    assert one["service_code"] == "0301" and one["service_name"] == "道路保洁"
    assert one["status_notes"] == "已收到，待受理"
    assert one["agency_responsible"] == "古楼街道综治中心"  # no department yet: the center
    assert one["lat"] == 36.405 and one["long"] == 116.005
    assert one["media_url"] == "https://img.example.org/a.jpg"
    assert one["requested_datetime"].endswith("+08:00") and one["updated_datetime"]
    assert one["expected_datetime"] is not None  # the acceptance stage's deadline
    assert one["description"] is None


def test_one_request_in_xml(o311, file):
    event = file()
    status, xml, _r = o311("get", f"v2/requests/{event.number}.xml")
    assert status == 200 and xml.tag == "service_requests"
    assert xml.findtext("request/service_request_id") == event.number
    assert xml.findtext("request/status") == "open" and xml.findtext("request/description") in (None, "")


def test_an_unknown_number_and_an_event_not_filed_through_open311_are_404(o311, file, cats, city):
    other, _c = events.create_event(city.worker_a, events.EventInput(category="0301", description="网格员巡查发现垃圾",
                                                                     lng=116.005, lat=36.405))
    for number in ("SJ000", other.number):
        status, body, _r = o311("get", f"v2/requests/{number}.json")
        assert status == 404 and body[0]["code"] == 404
    assert o311("get", "v2/requests.json")[1] == []


def test_the_list_in_both_formats_newest_first(o311, file):
    a = file(phone="13900000001")
    b = file(phone="13900000002")
    status, body, _r = o311("get", "v2/requests.json")
    assert status == 200 and [r["service_request_id"] for r in body] == [b.number, a.number]
    status, xml, _r = o311("get", "v2/requests.xml")
    assert [r.findtext("service_request_id") for r in xml.findall("request")] == [b.number, a.number]


def test_no_personal_data_in_any_answer(o311, file, app_key):
    event = file()
    token = event.open311.token
    answers = [o311("get", p)[2].content.decode() for p in (
        "v2/requests.json", "v2/requests.xml", f"v2/requests/{event.number}.json",
        f"v2/requests/{event.number}.xml", f"v2/tokens/{token}.json", f"v2/tokens/{token}.xml")]
    answers.append(o311("post", "v2/requests.json", {**_form(app_key), "phone": "13900000009"})[2].content.decode())
    for text in answers:
        for secret in (PHONE, PHONE[:3] + "****", NAME_FIRST, NAME_LAST + NAME_FIRST, "联系人", "wxm@example.com"):
            assert secret not in text


def _form(app_key):
    return {"api_key": app_key[1], "service_code": "0301", "description": DESCRIPTION, "lat": "36.405",
            "long": "116.005", "attribute[blocked]": "no", "first_name": NAME_FIRST, "last_name": NAME_LAST}


def test_the_filing_client_reads_its_own_description_with_its_key_and_nobody_else(o311, file, app_key):
    event = file()
    mine = o311("get", f"v2/requests/{event.number}.json", {"api_key": app_key[1]})[1][0]
    assert mine["description"].startswith(DESCRIPTION)
    _other, raw = ClientApplication.issue("另一个应用")
    assert o311("get", f"v2/requests/{event.number}.json", {"api_key": raw})[1][0]["description"] is None
    status, body, _r = o311("get", "v2/requests.json", {"api_key": "o311_wrong"})
    assert status == 403


def test_filter_by_ids_overrides_the_other_filters(o311, file):
    a, _b, c = file(phone="13900000001"), file(phone="13900000002"), file(phone="13900000003")
    status, body, _r = o311("get", "v2/requests.json", {"service_request_id": f"{a.number},{c.number}",
                                                        "status": "closed", "service_code": "0999"})
    assert status == 200 and {r["service_request_id"] for r in body} == {a.number, c.number}


def test_filter_by_service_code_and_status(o311, file, city, attrs):
    road = file(phone="13900000001")
    parking = file(phone="13900000002", service_code="0304", **{"attribute[blocked]": None})
    events.perform_action(city.operator_a, road, "reject", {"note": "不属于受理范围，已告知王小明"})
    codes = lambda **q: [r["service_request_id"] for r in o311("get", "v2/requests.json", q)[1]]  # noqa: E731
    assert codes(service_code="0304") == [parking.number]
    assert codes(service_code="0301,0304") == [parking.number, road.number]
    assert codes(status="closed") == [road.number]
    assert codes(status="open") == [parking.number]
    assert codes(status="open,closed") == [parking.number, road.number]
    closed = o311("get", f"v2/requests/{road.number}.json")[1][0]
    assert closed["status"] == "closed" and closed["status_notes"] == "不予受理"
    assert "王小明" not in str(closed)  # the note of the rejection is not published


def test_a_dispatched_request_names_the_lead_department_and_its_due_time(o311, file, city):
    event = file()
    events.perform_action(city.operator_a, event, "accept")
    events.perform_action(city.operator_a, event, "dispatch", {"lead_department": "CG"})
    one = o311("get", f"v2/requests/{event.number}.json")[1][0]
    event.refresh_from_db()
    assert one["agency_responsible"] == "区城管局" and one["status_notes"] == "已派遣至处置部门"
    assert one["expected_datetime"] == timezone.localtime(event.due_at or event.deadline).isoformat(timespec="seconds")


def test_the_default_window_is_the_last_90_days_and_dates_filter(o311, file):
    now = timezone.now()
    old = file(phone="13900000001", now=now - timedelta(days=120))
    recent = file(phone="13900000002", now=now - timedelta(days=10))
    ids = lambda **q: [r["service_request_id"] for r in o311("get", "v2/requests.json", q)[1]]  # noqa: E731
    assert ids() == [recent.number]
    start = timezone.localtime(now - timedelta(days=130)).date().isoformat()
    end = timezone.localtime(now - timedelta(days=100)).isoformat(timespec="seconds")
    assert ids(start_date=start, end_date=end) == [old.number]
    assert ids(start_date=start) == [old.number]  # 90 days from the start
    assert ids(end_date=end) == [old.number]  # 90 days up to the end


@pytest.mark.parametrize("query, field", [
    ({"start_date": "yesterday"}, "start_date"),
    ({"end_date": "2026-13-45"}, "end_date"),
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "end_date"),
    ({"start_date": "2026-06-01", "end_date": "2026-01-01"}, "end_date"),
    ({"status": "pending"}, "status"),
    ({"page": "0"}, "page"),
    ({"page_size": "1001"}, "page_size"),
    ({"page_size": "ten"}, "page_size"),
])
def test_bad_filters_are_a_400_naming_the_parameter(o311, cats, query, field):
    status, body, _r = o311("get", "v2/requests.json", query)
    assert status == 400 and body[0]["code"] == 400 and body[0]["description"].startswith(f"{field}:")
    status, xml, _r = o311("get", "v2/requests.xml", query)
    assert status == 400 and xml.findtext("error/code") == "400"


def test_paging_walks_the_list_without_gaps_or_repeats(o311, file):
    made = [file(phone=f"1390000000{i}").number for i in range(5)][::-1]
    pages = [[r["service_request_id"] for r in o311("get", "v2/requests.json", {"page": p, "page_size": 2})[1]]
             for p in (1, 2, 3, 4)]
    assert pages == [made[0:2], made[2:4], made[4:5], []]


def test_a_token_gives_the_request_id(o311, file):
    event = file()
    token = event.open311.token
    status, body, _r = o311("get", f"v2/tokens/{token}.json")
    assert status == 200 and body == [{"service_request_id": event.number, "token": token}]
    status, xml, _r = o311("get", f"v2/tokens/{token}.xml")
    assert xml.findtext("request/service_request_id") == event.number
    status, body, _r = o311("get", "v2/tokens/nothing.json")
    assert status == 404 and "token" in body[0]["description"]


def test_public_reads_are_limited_per_address(o311, cats, settings):
    settings.OPEN311 = {"READS_PER_HOUR": 3}
    assert [o311("get", "v2/services.json")[0] for _i in range(3)] == [200, 200, 200]
    status, body, _r = o311("get", "v2/requests.json")
    assert status == 429 and body[0]["code"] == 429
    assert o311("get", "v2/services.json", REMOTE_ADDR="10.0.0.9")[0] == 200  # another address


def test_a_naive_moment_is_read_in_the_citys_time_zone(o311, file):
    event = file(now=datetime(2026, 11, 20, 10, 0, tzinfo=TZ))
    found = o311("get", "v2/requests.json", {"start_date": "2026-11-20T09:00:00", "end_date": "2026-11-20T11:00:00"})
    assert [r["service_request_id"] for r in found[1]] == [event.number]
    assert Event.objects.get().created_at == datetime(2026, 11, 20, 10, 0, tzinfo=TZ)


def test_the_list_costs_the_same_few_queries_however_many_requests_it_holds(o311, file, django_assert_max_num_queries):
    for i in range(6):
        file(phone=f"1390000000{i}")
    with django_assert_max_num_queries(2):  # the page: one joined query (the read limit lives in the cache)
        status, body, _r = o311("get", "v2/requests.json")
    assert status == 200 and len(body) == 6


def test_an_unescaped_plus_of_an_offset_and_a_space_separated_moment_are_read(o311, file):
    event = file(now=datetime(2026, 11, 20, 10, 0, tzinfo=TZ))
    for start, end in (("2026-11-20T09:00:00 08:00", "2026-11-20T11:00:00 08:00"),
                       ("2026-11-20 09:00:00", "2026-11-20 11:00:00")):
        found = o311("get", "v2/requests.json", {"start_date": start, "end_date": end})
        assert [r["service_request_id"] for r in found[1]] == [event.number]

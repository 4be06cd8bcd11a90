"""Real Open311 client libraries from PyPI against the live test server (pytest-django's ``live_server``):

- ``civicbot`` 0.4.0 (its ``civicbot.open311.Open311Client``): JSON, and the only maintained Python client found
  that files requests (form POST with ``attribute[code]``);
- ``georeport`` 0.3.1: read-only, and parses the XML answers with xmltodict, so it checks their shape.
"""

from urllib.parse import urlparse

import pytest
from civicbot.http import HttpTransport, RateLimiter
from civicbot.open311 import CONFIRM_TOKEN, Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport

from gridgov.events.models import Event
from gridgov.open311.tests.conftest import PHONE


@pytest.fixture
def civic(live_server, app_key, attrs):
    endpoint = Endpoint(id="gridgov-test", name="测试市", base_url=f"{live_server.url}/open311/v2", write=True)
    transport = HttpTransport(timeout=30, rate_limiter=RateLimiter(min_interval=0))
    # the server answers to its host name; the live server binds 127.0.0.1 or localhost depending on the run
    host = urlparse(live_server.url).hostname
    return Open311Client(endpoint, transport, jurisdiction_id=host)


def file(civic, app_key, **kw):
    args = {"lat": 36.405, "lng": 116.005, "description": "幸福路口有大量垃圾，请尽快清理",
            "attributes": {"blocked": "yes"}, "phone": PHONE, "first_name": "小明", "last_name": "王"}
    args.update(kw)
    sent = civic.create_request("0301", dry_run=False, confirm=CONFIRM_TOKEN, api_key=app_key[1],
                                validate_remote=True, **args)
    return sent.response[0]


def test_civicbot_lists_services_files_a_request_and_reads_it_back(civic, app_key):
    services = civic.list_services()
    road = next(s for s in services if s["service_code"] == "0301")
    assert road["metadata"] is True and road["group"] == "城市管理"
    definition = civic.get_service_definition("0301")
    assert [a["code"] for a in definition["attributes"]] == ["blocked", "area"]

    reply = file(civic, app_key, attributes={"blocked": "no", "area": 3})
    number = reply["service_request_id"]
    assert Event.objects.get(number=number).open311.attributes == {"blocked": "no", "area": 3}

    one = civic.get_request(number)
    assert one["status"] == "open" and one["service_code"] == "0301" and one["lat"] == 36.405
    assert PHONE not in str(one) and "王小明" not in str(one)
    assert civic.get_token(reply["token"]) == [{"service_request_id": number, "token": reply["token"]}]


def test_civicbot_filters_requests(civic, app_key):
    a = file(civic, app_key, phone="13900000001")["service_request_id"]
    b = file(civic, app_key, phone="13900000002")["service_request_id"]
    assert [r["service_request_id"] for r in civic.list_requests(service_code="0301", status="open")] == [b, a]
    assert civic.list_requests(status="closed") == []
    assert [r["service_request_id"] for r in civic.list_requests(service_request_ids=[a])] == [a]
    assert len(civic.list_requests(page_size=1)) == 1


def test_civicbot_checks_attributes_against_the_servers_definition(civic, app_key):
    from civicbot.open311 import ValidationError

    with pytest.raises(ValidationError):  # the definition it fetched says "maybe" is no value of blocked
        file(civic, app_key, attributes={"blocked": "maybe"})
    assert not Event.objects.exists()


def test_georeport_reads_services_and_requests_as_xml(live_server, civic, app_key):
    a = file(civic, app_key, phone="13900000001")["service_request_id"]
    b = file(civic, app_key, phone="13900000002")["service_request_id"]
    client = GeoReport(f"{live_server.url}/open311/v2", jurisdiction=urlparse(live_server.url).hostname, output_format="xml")
    services = client.get_service_list()
    assert {"service_code": "0301", "service_name": "道路保洁"}.items() <= next(
        s for s in services if s["service_code"] == "0301").items()
    definition = client.get_service_definition("0301")
    assert definition["attributes"]["attribute"][0]["code"] == "blocked"
    listed = client.get_service_requests(service_code="0301", status="open")
    assert [r["service_request_id"] for r in listed] == [b, a]
    one = client.get_service_request(a)
    assert one["service_request_id"] == a and one["status"] == "open"


def test_georeport_reads_json_too(live_server, civic, app_key):
    a = file(civic, app_key)["service_request_id"]
    client = GeoReport(f"{live_server.url}/open311/v2")
    assert any(s["service_code"] == "0301" for s in client.get_service_list())
    assert client.get_service_request(a)["service_request_id"] == a
    assert [r["service_request_id"] for r in client.get_service_requests(service_request_id=a)] == [a]

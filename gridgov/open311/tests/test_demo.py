"""The demo city's service definitions (load_demo): created once, valid, and served by the definition endpoint."""

from gridgov.open311.demo import ATTRIBUTES, ensure_service_attributes
from gridgov.open311.models import ServiceAttribute


def test_the_demo_attributes_are_created_once_and_served(cats, o311):
    assert ensure_service_attributes() == len(ATTRIBUTES)
    assert ensure_service_attributes() == 0  # a second load_demo changes nothing
    for attr in ServiceAttribute.objects.all():
        attr.full_clean()  # the admin's own checks (list values, datatype) hold for what the demo made
    status, body, _r = o311("get", "v2/services/0301.json")
    assert status == 200
    assert [(a["code"], a["required"], a["datatype"]) for a in body["attributes"]] == [
        ("blocked", True, "singlevaluelist"), ("area", False, "number")]
    assert [v["name"] for v in body["attributes"][0]["values"]] == ["是", "否"]
    status, services, _r = o311("get", "v2/services.json")
    metadata = {s["service_code"] for s in services if s["metadata"]}
    assert metadata == {"0301", "0305", "0306", "0308"}

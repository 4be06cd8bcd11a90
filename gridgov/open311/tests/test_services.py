"""Discovery, the service list and service definitions, in JSON and XML."""


def test_discovery_names_the_v2_endpoint_in_both_formats(o311, cats):
    status, body, _r = o311("get", "discovery.json")
    assert status == 200
    endpoint = body["endpoints"][0]
    assert endpoint["url"].endswith("/open311/v2") and endpoint["specification"].endswith("GeoReport_v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    status, xml, _r = o311("get", "discovery.xml")
    assert status == 200 and xml.tag == "discovery"
    assert [f.text for f in xml.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]


def test_the_service_list_is_the_active_leaf_categories_with_their_group(o311, cats, attrs):
    cats["0302"].active = False
    cats["0302"].save()
    status, body, _r = o311("get", "v2/services.json")
    assert status == 200
    by_code = {s["service_code"]: s for s in body}
    assert "03" not in by_code and "0302" not in by_code  # groups and inactive leaves are no services
    road = by_code["0301"]
    assert road["service_name"] == "道路保洁" and road["group"] == "城市管理" and road["type"] == "realtime"
    assert road["metadata"] is True and by_code["0303"]["metadata"] is False
    assert "道路保洁" in road["keywords"]


def test_the_service_list_in_xml_is_services_of_service(o311, cats, attrs):
    status, xml, resp = o311("get", "v2/services.xml")
    assert status == 200 and resp["Content-Type"].startswith("text/xml")
    assert xml.tag == "services"
    road = next(s for s in xml.findall("service") if s.findtext("service_code") == "0301")
    assert road.findtext("metadata") == "true" and road.findtext("group") == "城市管理"


def test_a_service_definition_lists_its_attributes_with_values(o311, attrs):
    status, body, _r = o311("get", "v2/services/0301.json")
    assert status == 200 and body["service_code"] == "0301"
    blocked, area = body["attributes"]
    assert blocked["code"] == "blocked" and blocked["required"] is True and blocked["variable"] is True
    assert blocked["datatype"] == "singlevaluelist" and blocked["description"] == "是否影响通行"
    assert blocked["values"] == [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}]
    assert area["datatype"] == "number" and area["required"] is False and area["values"] == []
    status, xml, _r = o311("get", "v2/services/0301.xml")
    assert status == 200 and xml.tag == "service_definition"
    assert [v.findtext("key") for v in xml.findall("attributes/attribute/values/value")] == ["yes", "no"]


def test_an_unknown_service_is_a_404_in_the_spec_error_format(o311, cats):
    status, body, _r = o311("get", "v2/services/9999.json")
    assert status == 404 and body[0]["code"] == 404 and "service_code" in body[0]["description"]
    status, xml, _r = o311("get", "v2/services/03.xml")  # a group is no service
    assert status == 404 and xml.tag == "errors" and xml.findtext("error/code") == "404"


def test_an_unknown_jurisdiction_is_a_404_and_the_servers_own_is_accepted(o311, cats, settings):
    settings.OPEN311 = {"JURISDICTION": "liaocheng.gov.cn"}
    assert o311("get", "v2/services.json", {"jurisdiction_id": "liaocheng.gov.cn"})[0] == 200
    status, body, _r = o311("get", "v2/services.json", {"jurisdiction_id": "chicago.gov"})
    assert status == 404 and "jurisdiction_id" in body[0]["description"]


def test_without_a_configured_jurisdiction_the_host_name_is_the_jurisdiction(o311, cats):
    assert o311("get", "v2/services.json", {"jurisdiction_id": "testserver"})[0] == 200
    assert o311("get", "v2/services.json", {"jurisdiction_id": "other.example"})[0] == 404


def test_an_unknown_path_or_format_is_a_spec_404(o311, cats):
    status, body, _r = o311("get", "v2/services.html")
    assert status == 404 and body[0]["code"] == 404
    status, xml, _r = o311("get", "v2/nothing.xml")
    assert status == 404 and xml.tag == "errors"


def test_a_method_the_endpoint_does_not_take_is_a_405_in_the_spec_format(o311, cats):
    status, body, _r = o311("post", "v2/services.json")
    assert status == 405 and body[0]["code"] == 405


def test_head_is_answered_like_get(client, cats):
    assert client.head("/open311/v2/services.json").status_code == 200

"""The registry API: scope (404 outside the region, 403 for liaisons and for leaders on key persons),
masking in every response, the logged reveal, bad input as field errors, creation with history."""

from __future__ import annotations

import json

import pytest

from gridgov.core import crypto
from gridgov.registry.models import AccessLog, Address, Change, House, Resident, Unit, Visit
from gridgov.registry.tests.conftest import (
    B_ID,
    BIRTH_DATE,
    FULL_ID,
    FULL_PHONE,
    OLD_PHONE,
    OWNER_PHONE,
    UNIT_PHONE,
    grant,
    make_id,
)
from gridgov.testing import PASSWORD

# the birth date is the part of the number the mask hides: with the masked number it gives the whole number
SECRETS = (FULL_ID, FULL_PHONE, OLD_PHONE, OWNER_PHONE, UNIT_PHONE, BIRTH_DATE)
MASKED_ID = crypto.mask_id(FULL_ID)  # 371502********123X


class Reply:
    def __init__(self, resp):
        self.status = resp.status_code
        self.text = resp.content.decode()
        self.json = json.loads(self.text) if self.text else None


@pytest.fixture
def api(api_response):
    """Here a call gives a Reply (gridgov/conftest.py makes the request)."""

    def call(method, path, user=None, body=None) -> Reply:
        return Reply(api_response(method, path, user, body))

    return call


def assert_no_secret(text: str, secrets=SECRETS) -> None:
    leaked = [s for s in secrets if s in text]
    assert leaked == [], f"full values in the response: {leaked}"


def names(reply: Reply) -> set[str]:
    return {row["name"] for row in reply.json["results"]}


def roads(reply: Reply) -> set[str]:
    return {row["address"]["text"] for row in reply.json["results"]}


# --- scope ----------------------------------------------------------------------------------------

@pytest.fixture(params=["operator_b", "worker_b", "worker_a2"])
def outsider(request, city, worker_a2):
    """An operator of another township, a grid worker of another township, one of the other grid next door."""
    return worker_a2 if request.param == "worker_a2" else getattr(city, request.param)


def test_someone_outside_the_region_gets_404_from_the_detail_endpoints(api, register, outsider):
    replies = {
        "resident": api("get", f"/residents/{register.resident.pk}", outsider),
        "house": api("get", f"/houses/{register.house.pk}", outsider),
        "visit": api("post", f"/key-persons/{register.kp.pk}/visits", outsider,
                     {"method": "phone", "findings": "电话了解近况"}),
    }
    assert {k: r.status for k, r in replies.items()} == {k: 404 for k in replies}
    assert all(r.json["code"] == "not_found" for r in replies.values())
    for r in replies.values():
        assert_no_secret(r.text)
        assert register.resident.name not in r.text
    assert not Visit.objects.exists()


def test_someone_outside_the_region_does_not_find_the_records_in_any_list(api, register, outsider):
    assert register.resident.name not in names(api("get", "/residents?current=false", outsider))
    assert register.house.address.text not in roads(api("get", "/houses", outsider))
    assert register.unit.name not in names(api("get", "/units", outsider))
    people = api("get", "/key-persons", outsider)
    assert people.status == 200 and register.kp.pk not in {row["id"] for row in people.json["results"]}


def test_the_other_township_finds_its_own_records_in_the_same_lists(api, city, register):
    op_b = city.operator_b
    assert names(api("get", "/residents", op_b)) == {register.b_resident.name}
    assert roads(api("get", "/houses", op_b)) == {register.b_house.address.text}
    assert names(api("get", "/units", op_b)) == {register.b_unit.name}
    assert {row["id"] for row in api("get", "/key-persons", op_b).json["results"]} == {register.b_kp.pk}
    assert api("get", f"/residents/{register.b_resident.pk}", op_b).status == 200


def test_the_coverage_of_another_township_is_a_404(api, city, register):
    assert api("get", "/registry/coverage?region=371502001", city.operator_b).status == 404
    own = api("get", "/registry/coverage", city.operator_b)
    assert own.status == 200 and (own.json["region"], own.json["total"]) == ("371502002", 1)


def test_a_permission_to_see_full_identity_does_not_reach_outside_the_region(api, city, register):
    op_b = grant(city.operator_b, "view_full_identity")
    r = api("post", f"/residents/{register.resident.pk}/reveal", op_b, {"reason": "核实身份"})
    assert r.status == 404
    assert_no_secret(r.text)
    assert not AccessLog.objects.exists()


def test_a_grid_worker_cannot_register_a_resident_in_a_house_outside_their_grids(api, city, register, worker_a2):
    before = (Resident.objects.count(), Change.objects.count())
    r = api("post", "/residents", worker_a2, {"name": "张三", "id_number": make_id("37150219850312123"),
                                              "house": register.house.pk})
    assert r.status == 422 and "house" in r.json["fields"]
    assert (Resident.objects.count(), Change.objects.count()) == before


def test_a_department_liaison_gets_403_from_every_registry_endpoint(api, city, register):
    liaison = city.liaison_cg
    calls = {
        "residents": ("get", "/residents", None),
        "resident": ("get", f"/residents/{register.resident.pk}", None),
        "reveal": ("post", f"/residents/{register.resident.pk}/reveal", {"reason": "核实"}),
        "new resident": ("post", "/residents", {"name": "张三", "id_number": make_id("37150219850312123"),
                                                "house": register.house.pk}),
        "houses": ("get", "/houses", None),
        "house": ("get", f"/houses/{register.house.pk}", None),
        "new house": ("post", "/houses", {"region": "371502001001", "road": "古城路40号"}),
        "units": ("get", "/units", None),
        "new unit": ("post", "/units", {"region": "371502001001", "road": "古城路40号", "name": "某店"}),
        "key persons": ("get", "/key-persons", None),
        "visit": ("post", f"/key-persons/{register.kp.pk}/visits", {"method": "phone", "findings": "电话了解"}),
        "coverage": ("get", "/registry/coverage?region=371502001", None),
    }
    replies = {name: api(method, path, liaison, body) for name, (method, path, body) in calls.items()}
    assert {k: r.status for k, r in replies.items()} == {k: 403 for k in calls}
    for r in replies.values():
        assert_no_secret(r.text)
    assert not AccessLog.objects.exists()


def test_a_leader_reads_masked_records_but_gets_403_on_key_persons(api, city, register):
    leader = city.leader_a
    r = api("get", f"/residents/{register.resident.pk}", leader)
    assert r.status == 200 and r.json["id_number"] == MASKED_ID
    assert_no_secret(r.text)
    assert names(api("get", "/residents", leader)) == {register.resident.name}
    assert api("get", f"/residents/{register.b_resident.pk}", leader).status == 404
    people = api("get", "/key-persons", leader)
    visit = api("post", f"/key-persons/{register.kp.pk}/visits", leader, {"method": "phone", "findings": "电话了解"})
    assert (people.status, visit.status) == (403, 403)
    assert register.resident.name not in people.text and not Visit.objects.exists()
    # statistics are theirs
    assert api("get", "/registry/coverage", leader).json["total"] == 1


def test_a_leader_cannot_write_the_register(api, city, register):
    before = (House.objects.count(), Resident.objects.count(), Unit.objects.count(), Change.objects.count())
    replies = [
        api("post", "/houses", city.leader_a, {"region": "371502001001", "road": "古城路40号", "grid": "371502001001001"}),
        api("post", "/residents", city.leader_a, {"name": "张三", "id_number": make_id("37150219850312123"),
                                                  "house": register.house.pk}),
        api("post", "/units", city.leader_a, {"region": "371502001001", "road": "古城路40号", "name": "某店",
                                              "grid": "371502001001001"}),
    ]
    assert [r.status for r in replies] == [403, 403, 403]
    assert (House.objects.count(), Resident.objects.count(), Unit.objects.count(), Change.objects.count()) == before


# --- masking --------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["operator_a", "worker_a", "county_operator", "leader_county"])
def test_no_response_carries_a_full_identity_number_or_phone(api, city, register, who):
    user = getattr(city, who)
    paths = ["/residents", "/residents?current=false", f"/residents/{register.resident.pk}", "/houses",
             f"/houses/{register.house.pk}", "/units", "/units?key_only=true"]
    if who != "leader_county":
        paths.append("/key-persons")
    for path in paths:
        r = api("get", path, user)
        assert r.status == 200, path
        assert_no_secret(r.text)


def test_the_resident_endpoints_give_the_masked_number_and_phone(api, city, register):
    detail = api("get", f"/residents/{register.resident.pk}", city.operator_a).json
    assert (detail["id_number"], detail["phone"]) == ("371502********123X", crypto.mask_phone(FULL_PHONE))
    [row] = [r for r in api("get", "/residents", city.operator_a).json["results"] if r["id"] == register.resident.pk]
    assert (row["id_number"], row["phone"]) == (MASKED_ID, crypto.mask_phone(FULL_PHONE))
    house = api("get", f"/houses/{register.house.pk}", city.operator_a).json
    assert house["owner_phone"] == crypto.mask_phone(OWNER_PHONE)
    [unit] = [u for u in api("get", "/units", city.operator_a).json["results"] if u["id"] == register.unit.pk]
    assert unit["phone"] == crypto.mask_phone(UNIT_PHONE)


def test_even_the_answer_to_a_registration_is_masked(api, city, flat):
    number = make_id("37150219850312123")
    r = api("post", "/residents", city.worker_a, {"name": "张三", "id_number": number, "phone": "13800001111",
                                                  "house": flat.pk})
    assert r.status == 202 and r.json["house"] == flat.pk  # the receipt names nobody
    assert number not in r.text and "13800001111" not in r.text
    [row] = api("get", f"/residents?id_number={number}", city.worker_a).json["results"]
    assert row["id_number"] == crypto.mask_id(number) and row["phone"] == "138****1111"
    h = api("post", "/houses", city.worker_a, {"region": "371502001001", "road": "古城路22号", "lng": 116.002,
                                               "lat": 36.402, "owner_phone": "13799998888"})
    assert h.status == 201 and "13799998888" not in h.text and h.json["owner_phone"] == "137****8888"
    u = api("post", "/units", city.worker_a, {"region": "371502001001", "road": "古城路22号", "lng": 116.002,
                                              "lat": 36.402, "name": "某某店", "phone": "13766665555"})
    assert u.status == 201 and "13766665555" not in u.text and u.json["phone"] == "137****5555"


def test_an_already_registered_document_answers_masked_too(api, city, register):
    r = api("post", "/residents", city.worker_a, {"name": "王建国", "id_number": FULL_ID, "house": register.house.pk})
    assert r.status == 200 and r.json["id"] == register.resident.pk
    assert_no_secret(r.text)


# --- the reveal -----------------------------------------------------------------------------------

def test_without_the_permission_the_reveal_is_403_and_logs_nothing(api, city, register):
    r = api("post", f"/residents/{register.resident.pk}/reveal", city.operator_a, {"reason": "核实身份"})
    assert r.status == 403 and r.json["code"] == "not_permitted"
    assert_no_secret(r.text)
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("payload, message", [({}, "必填"), ({"reason": ""}, "请填写查看事由"),
                                              ({"reason": "  "}, "请填写查看事由")])
def test_a_reveal_without_a_reason_is_a_chinese_field_error_and_logs_nothing(api, city, register, payload, message):
    op = grant(city.operator_a, "view_full_identity")
    r = api("post", f"/residents/{register.resident.pk}/reveal", op, payload)
    assert r.status == 422 and r.json["fields"]["reason"] == [message]
    assert_no_secret(r.text)
    assert not AccessLog.objects.exists()


def test_a_reveal_with_a_reason_gives_the_full_values_and_logs_one_row_each_time(api, city, register):
    op = grant(city.operator_a, "view_full_identity")
    r = api("post", f"/residents/{register.resident.pk}/reveal", op, {"reason": "办理低保核实身份"})
    assert r.status == 200
    assert r.json == {"id": register.resident.pk, "name": "王建国", "id_number": FULL_ID, "phone": FULL_PHONE}
    [entry] = AccessLog.objects.all()
    assert (entry.actor, entry.action, entry.model, entry.object_id, entry.object_label, entry.fields,
            entry.reason) == (op, AccessLog.Action.VIEW, "resident", register.resident.pk, "王建国",
                              ["id_number", "phone"], "办理低保核实身份")
    # the detail endpoint stays masked for them; another reveal is another row
    assert_no_secret(api("get", f"/residents/{register.resident.pk}", op).text)
    api("post", f"/residents/{register.resident.pk}/reveal", op, {"reason": "再次核实"})
    assert list(AccessLog.objects.order_by("id").values_list("reason", flat=True)) == ["办理低保核实身份", "再次核实"]


def test_a_token_from_the_login_endpoint_works_for_the_reveal(api, city, register, client):
    grant(city.operator_a, "view_full_identity")
    login = api("post", "/auth/token", body={"username": "op_a", "password": PASSWORD})
    assert login.status == 200
    resp = client.post(f"/api/v1/residents/{register.resident.pk}/reveal", data=json.dumps({"reason": "核实身份"}),
                       content_type="application/json", headers={"Authorization": f"Bearer {login.json['token']}"})
    assert resp.status_code == 200 and resp.json()["id_number"] == FULL_ID
    assert AccessLog.objects.get().actor == city.operator_a


# --- bad input ------------------------------------------------------------------------------------

def test_a_resident_with_a_bad_id_checksum_is_a_422_with_field_errors_and_writes_nothing(api, city, flat):
    good = make_id("37150219850312123")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    changes = Change.objects.count()
    r = api("post", "/residents", city.worker_a, {"name": "张三", "id_number": bad, "house": flat.pk})
    assert r.status == 422 and r.json["code"] == "invalid"
    assert r.json["fields"] == {"id_number": ["身份证号码校验位不正确"]}
    assert bad not in r.text
    assert not Resident.objects.exists() and Change.objects.count() == changes


def test_malformed_resident_input_is_a_422_with_chinese_field_errors(api, city, flat):
    r = api("post", "/residents", city.worker_a, {"id_number": 5, "house": "abc"})
    assert r.status == 422
    assert r.json["fields"]["name"] == ["必填"] and r.json["fields"]["house"] == ["请填写整数"]
    r = api("post", "/residents", city.worker_a, {"name": "张三", "id_number": make_id("37150219850312123"),
                                                  "phone": "12", "house": flat.pk})
    assert r.status == 422 and r.json["fields"] == {"phone": ["电话号码格式不正确"]}
    assert not Resident.objects.exists()


def test_a_house_outside_the_grid_workers_grids_is_refused_and_writes_nothing(api, city):
    before = (Address.objects.count(), House.objects.count(), Change.objects.count())
    r = api("post", "/houses", city.worker_a, {"region": "371502002001", "road": "柳园路9号", "lng": 116.105,
                                               "lat": 36.405})
    assert r.status == 422 and r.json["fields"] == {"region": ["该区划不在您的管辖范围内"]}
    r = api("post", "/houses", city.worker_a, {"region": "371502001001", "road": "古城路9号", "lng": 116.015,
                                               "lat": 36.405})  # grid A2
    assert r.status == 422 and "grid" in r.json["fields"]
    assert (Address.objects.count(), House.objects.count(), Change.objects.count()) == before


# --- creation with history ------------------------------------------------------------------------

def test_a_grid_worker_registers_a_house_a_resident_and_a_unit_in_their_grid_with_history(api, city):
    w = city.worker_a
    h = api("post", "/houses", w, {"region": "371502001001", "road": "古城路20号院", "building": "1", "room": "102",
                                   "lng": 116.004, "lat": 36.404, "status": "rented", "area": 88.5})
    assert h.status == 201, h.text
    assert h.json["address"]["grid"] == "371502001001001" and h.json["status"] == "rented"
    house = House.objects.get(pk=h.json["id"])
    assert Change.objects.filter(model="house", object_id=house.pk, action="create", actor=w, source="api").exists()
    assert Change.objects.filter(model="address", object_id=house.address_id, actor=w, source="api").exists()

    number = make_id("37150219850312123")
    r = api("post", "/residents", w, {"name": "张三", "id_number": number, "phone": "13800001111",
                                      "relation": "户主", "house": house.pk})
    assert r.status == 202, r.text
    [row] = api("get", f"/residents?id_number={number}", w).json["results"]
    r = api("get", f"/residents/{row['id']}", w)
    assert r.json["house"] == house.pk and r.json["grid"] == "371502001001001"
    assert r.json["residences"][0]["house"] == house.pk
    ch = Change.objects.get(model="resident", object_id=r.json["id"], action="create")
    assert (ch.actor, ch.source) == (w, "api")
    assert number not in json.dumps(ch.changes) and "13800001111" not in json.dumps(ch.changes)

    u = api("post", "/units", w, {"region": "371502001001", "road": "古城路20号院", "building": "1", "room": "102",
                                  "lng": 116.004, "lat": 36.404, "name": "刘记早餐", "kind": "individual"})
    assert u.status == 201, u.text
    assert u.json["address"]["code"] == h.json["address"]["code"]  # the same standard address
    assert Change.objects.filter(model="unit", object_id=u.json["id"], action="create", actor=w,
                                 source="api").exists()

    # the same house again: that house, no new history
    changes = Change.objects.count()
    again = api("post", "/houses", w, {"region": "371502001001", "road": "古城路20号院", "building": "1号楼",
                                       "room": "102室", "lng": 116.004, "lat": 36.404})
    assert (again.status, again.json["id"]) == (200, house.pk) and Change.objects.count() == changes


def test_a_grid_worker_cannot_write_at_an_existing_address_of_another_grid(api, city, register, worker_a2):
    """The flat's address belongs to grid A1; typing it in (no point) does not let a worker of A2 add a house
    or a unit there, and the answer names nothing of what is registered."""
    a = register.house.address
    where = {"region": "371502001001", "road": a.road, "building": a.building, "unit": a.unit, "room": a.room}
    before = (Address.objects.count(), House.objects.count(), Unit.objects.count(), Change.objects.count())
    for path, extra in [("/houses", {}), ("/units", {"name": "二网格小卖部"})]:
        r = api("post", path, worker_a2, {**where, **extra})
        assert r.status == 422 and r.json["fields"] == {"grid": ["该网格不是您负责的网格"]}, path
        assert_no_secret(r.text)
        assert "王房东" not in r.text and "古城便民超市" not in r.text
    assert (Address.objects.count(), House.objects.count(), Unit.objects.count(), Change.objects.count()) == before
    assert register.house.address.units.count() == 1


def test_an_address_already_registered_as_a_house_in_sight_returns_that_house(api, city, register):
    a = register.house.address
    changes = Change.objects.count()
    r = api("post", "/houses", city.county_operator, {
        "region": "371502001001", "road": a.road, "building": a.building, "unit": a.unit, "room": a.room})
    assert r.status == 200 and r.json["id"] == register.house.pk
    assert r.json["owner_phone"] == crypto.mask_phone(OWNER_PHONE)
    assert_no_secret(r.text)
    assert Change.objects.count() == changes


def test_the_county_operator_sees_both_townships_masked(api, city, register):
    rows = api("get", "/residents", city.county_operator).json["results"]
    assert {r["name"] for r in rows} == {"王建国", "李柳园"}
    assert B_ID not in json.dumps(rows) and crypto.mask_id(B_ID) in json.dumps(rows)

"""Phones are sealed like identity numbers: Fernet ciphertext at rest, a keyed hash for lookups
(citizen tracking, idempotency scopes, repeat detection, throttle keys), masked for display.

The raw-table test reads every table of the database with plain SQL after the real services wrote one
phone of each kind: none of the numbers may be found in clear anywhere.
"""

import json
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import connection

from gridgov.core import crypto, throttle
from gridgov.core.crypto import SealedPhone, normalize_phone, phone_hash

# one number per place a phone is kept (all distinct, so a leak names its source)
EVENT_PHONE = "13811110001"
RESIDENT_PHONE = "13811110002"
OWNER_PHONE = "13811110003"
UNIT_PHONE = "13811110004"
APPLICANT_PHONE = "13811110005"
PARTY_PHONES = ("13811110006", "13811110007")
PETITIONER_PHONE = "13811110008"
SMS_PHONE = "13811110009"
ALL_PHONES = (EVENT_PHONE, RESIDENT_PHONE, OWNER_PHONE, UNIT_PHONE, APPLICANT_PHONE, *PARTY_PHONES,
              PETITIONER_PHONE, SMS_PHONE)

NEW_EVENT = {"category": "0301", "description": "路面有大量垃圾未清理", "lng": 116.005, "lat": 36.405,
             "address": "古城路1号"}


def spaced(phone: str) -> str:
    """How a citizen may type it: +86, spaces and dashes."""
    return f"+86 {phone[:3]}-{phone[3:7]} {phone[7:]}"


@pytest.fixture
def api(client):
    def call(method, path, body=None, headers=None):
        kwargs = {"content_type": "application/json", "headers": dict(headers or {})}
        if body is not None:
            kwargs["data"] = json.dumps(body)
        resp = getattr(client, method)(f"/api/v1{path}", **kwargs)
        return resp.status_code, (resp.json() if resp.content else None)

    return call


# --- the helper ---------------------------------------------------------------------------------------


def test_equal_numbers_hash_equal_whatever_the_formatting():
    assert normalize_phone(" +86 138-1111 0001 ") == "13811110001"
    assert normalize_phone("0086（138）11110001") == "13811110001"
    assert phone_hash(spaced(EVENT_PHONE)) == phone_hash(EVENT_PHONE) != phone_hash(RESIDENT_PHONE)
    assert phone_hash("") == "" and phone_hash("  ") == ""
    assert EVENT_PHONE not in phone_hash(EVENT_PHONE)
    # keyed: another key gives another hash (a table of all 11-digit numbers is useless without the key)
    from django.test import override_settings

    with override_settings(GRIDGOV_HASH_KEY="another-key-for-this-test"):
        other = phone_hash(EVENT_PHONE)
    assert other != phone_hash(EVENT_PHONE)


def test_a_sealed_phone_reads_back_and_keeps_its_ciphertext_when_unchanged():
    class Holder:
        phone_enc = ""
        phone_hash = ""
        phone = SealedPhone("phone")

    h = Holder()
    h.phone = spaced(RESIDENT_PHONE)
    assert h.phone == RESIDENT_PHONE and h.phone_hash == phone_hash(RESIDENT_PHONE)
    assert RESIDENT_PHONE not in h.phone_enc
    sealed = h.phone_enc
    h.phone = RESIDENT_PHONE  # the same number, typed differently: nothing to rewrite
    assert h.phone_enc == sealed
    h.phone = OWNER_PHONE
    assert h.phone == OWNER_PHONE and h.phone_enc != sealed
    h.phone = ""
    assert h.phone == "" and h.phone_enc == "" and h.phone_hash == ""


def test_throttle_keys_carry_no_phone(db):
    cache.clear()
    throttle.check("citizen-report-phone", EVENT_PHONE, 5, 60)
    keys = [k for k in getattr(cache, "_cache", {})]
    assert keys, "the test needs the local-memory cache"
    assert not [k for k in keys if EVENT_PHONE in str(k)]


# --- every write path, then the raw tables ----------------------------------------------------------------


def populate(city, api):
    """One phone of each kind, written through the real services and endpoints."""
    from gridgov.core.notify import notify
    from gridgov.disputes import services as disputes
    from gridgov.events.taxonomy import install_default_categories
    from gridgov.petitions import services as petitions
    from gridgov.registry.services.addresses import AddressInput, get_or_create_address
    from gridgov.registry.services.houses import save_house
    from gridgov.registry.services.residents import ResidentInput, save_resident
    from gridgov.registry.services.units import UnitInput, save_unit
    from gridgov.registry.tests.conftest import make_id

    install_default_categories()
    status, event = api("post", "/citizen/events", {**NEW_EVENT, "reporter_phone": spaced(EVENT_PHONE)},
                        headers={"Idempotency-Key": "first"})
    assert status == 201, event
    address, _ = get_or_create_address(city.worker_a, AddressInput(
        region="371502001001", road="古城路18号院", building="3", unit="2", room="301", lng=116.005, lat=36.405))
    house, _ = save_house(city.worker_a, address, status="rented", owner_name="赵房东",
                          owner_phone=OWNER_PHONE)
    resident, _ = save_resident(city.worker_a, ResidentInput(
        name="王建国", id_number=make_id("37150219800101123"), phone=RESIDENT_PHONE, house=house))
    unit, _ = save_unit(city.operator_a, UnitInput(
        name="古楼小卖部", address=address, kind="individual", contact="钱老板", phone=UNIT_PHONE))
    dispute, created = disputes.apply_as_citizen(disputes.DisputeInput(
        dispute_type="neighbor", description="楼上漏水导致楼下天花板损坏，双方多次争吵",
        parties=[{"role": "applicant", "name": "张三", "phone": PARTY_PHONES[0]},
                 {"role": "respondent", "name": "李四", "phone": spaced(PARTY_PHONES[1])}],
        region="371502001001", address="古城路1号", reporter_name="张三", reporter_phone=spaced(APPLICANT_PHONE)),
        client="127.0.0.9", idempotency_key="apply-1")
    assert created
    petition = petitions.create_petition(city.operator_a, petitions.PetitionInput(
        channel="letter", subject="小区物业乱收费", demands="要求物业退还多收的物业费", target_agency="某物业公司",
        petitioners=[petitions.PetitionerInput(name="孙信访", phone=PETITIONER_PHONE)]))
    notify([], "verify_pass", "您反映的问题已办结", phone=SMS_PHONE)
    return {"event": event["number"], "house": house, "resident": resident, "unit": unit, "dispute": dispute,
            "petition": petition}


def clear_phones_in_database() -> list[tuple[str, str]]:
    """(table, phone) for every clear phone found in any text cell of any table."""
    found = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - table names from the DB
            for row in cur.fetchall():
                cells = " ".join(str(v) for v in row if v is not None)
                found += [(table, p) for p in ALL_PHONES if p in cells]
    return found


@pytest.mark.django_db(transaction=True)
def test_no_table_holds_a_clear_phone(city, api):
    from gridgov.core.models import Notification
    from gridgov.disputes.models import Party
    from gridgov.events.models import Event
    from gridgov.petitions.models import Petitioner
    from gridgov.registry.models import House, Resident, Unit

    made = populate(city, api)
    assert clear_phones_in_database() == []
    # ... yet every one of them is there, sealed, and reads back in full
    event = Event.objects.get(number=made["event"])
    assert event.reporter_phone == EVENT_PHONE and event.reporter_phone_hash == phone_hash(EVENT_PHONE)
    assert Resident.objects.get(pk=made["resident"].pk).phone == RESIDENT_PHONE
    assert House.objects.get(pk=made["house"].pk).owner_phone == OWNER_PHONE
    assert Unit.objects.get(pk=made["unit"].pk).phone == UNIT_PHONE
    assert made["dispute"].reporter_phone == APPLICANT_PHONE
    assert sorted(p.phone for p in Party.objects.filter(dispute=made["dispute"])) == sorted(PARTY_PHONES)
    assert Petitioner.objects.get(petition=made["petition"]).phone == PETITIONER_PHONE
    assert Notification.objects.get(phone_hash=phone_hash(SMS_PHONE)).phone == SMS_PHONE
    # the idempotency scopes are the hash too (checked above: no phone in any table)
    assert event.idempotency_scope == crypto.citizen_scope(EVENT_PHONE)


# --- lookups by hash ---------------------------------------------------------------------------------------


def test_citizens_find_their_event_however_they_type_the_phone(city, api):
    from gridgov.events.models import Event
    from gridgov.events.taxonomy import install_default_categories

    install_default_categories()
    status, event = api("post", "/citizen/events", {**NEW_EVENT, "reporter_phone": EVENT_PHONE},
                        headers={"Idempotency-Key": "k-1"})
    assert status == 201
    n = event["number"]
    assert api("get", f"/citizen/events/{n}?phone={quote(spaced(EVENT_PHONE))}")[0] == 200
    assert api("get", f"/citizen/events/{n}?phone={EVENT_PHONE}")[0] == 200
    assert api("get", f"/citizen/events/{n}?phone={RESIDENT_PHONE}")[0] == 404
    assert api("get", f"/citizen/events/{n}?phone=")[0] in (404, 422)
    # the same key from the same number typed differently is in the same scope: never a second report
    # (200 with the first, or 422 where the replayed body must match byte for byte)
    status, _again = api("post", "/citizen/events", {**NEW_EVENT, "reporter_phone": spaced(EVENT_PHONE)},
                         headers={"Idempotency-Key": "k-1"})
    assert status in (200, 422) and Event.objects.count() == 1


def test_the_web_track_page_finds_the_event_by_the_phone_hash(city, client):
    from gridgov.events import services
    from gridgov.events.taxonomy import install_default_categories
    from gridgov.events.workflow import Citizen

    install_default_categories()
    event, _ = services.create_event(Citizen(phone=EVENT_PHONE), services.EventInput(
        **NEW_EVENT, reporter_phone=EVENT_PHONE))
    found = client.post("/citizen/track/", {"number": event.number, "phone": spaced(EVENT_PHONE)})
    assert found.status_code == 200 and event.number in found.content.decode()
    assert "未找到" not in found.content.decode()
    missed = client.post("/citizen/track/", {"number": event.number, "phone": RESIDENT_PHONE})
    assert "未找到" in missed.content.decode()


def test_citizens_follow_their_mediation_application_by_the_phone_hash(city, api):
    from gridgov.disputes import services as disputes

    d, _ = disputes.apply_as_citizen(disputes.DisputeInput(
        dispute_type="neighbor", description="楼上漏水导致楼下天花板损坏，双方多次争吵",
        parties=[{"role": "applicant", "name": "张三", "phone": PARTY_PHONES[0]},
                 {"role": "respondent", "name": "李四", "phone": PARTY_PHONES[1]}],
        region="371502001001", reporter_name="张三", reporter_phone=APPLICANT_PHONE), client="127.0.0.9",
        idempotency_key="a-1")
    assert d.idempotency_scope == crypto.citizen_scope(APPLICANT_PHONE) and APPLICANT_PHONE not in d.idempotency_scope
    assert api("get", f"/citizen/disputes/{d.number}?phone={quote(spaced(APPLICANT_PHONE))}")[0] == 200
    assert api("get", f"/citizen/disputes/{d.number}?phone={PARTY_PHONES[1]}")[0] == 404


def test_a_party_with_the_same_phone_in_another_dispute_is_still_a_repeat(city):
    from gridgov.disputes import services as disputes

    def register(phone, respondent_phone):
        return disputes.create_dispute(city.worker_a, disputes.DisputeInput(
            dispute_type="neighbor", description="楼上漏水导致楼下天花板损坏，双方多次争吵",
            parties=[{"role": "applicant", "name": "张三", "phone": phone},
                     {"role": "respondent", "name": "李四", "phone": respondent_phone}],
            lng=116.005, lat=36.405, address="古城路1号", amount=3000, people_count=2))

    first = register(PARTY_PHONES[0], PARTY_PHONES[1])
    other = register(RESIDENT_PHONE, OWNER_PHONE)  # nobody in common
    second = register(spaced(PARTY_PHONES[0]), UNIT_PHONE)  # the applicant's phone, typed differently
    assert first.number in json.dumps(second.risk_reasons, ensure_ascii=False)
    assert first.number not in json.dumps(other.risk_reasons, ensure_ascii=False)


def test_a_petitioner_typed_with_spaces_is_a_repeat_of_the_same_phone(city):
    from gridgov.petitions import services as petitions

    def register(phone):
        return petitions.create_petition(city.operator_a, petitions.PetitionInput(
            channel="letter", subject="小区物业乱收费", demands="要求物业退还多收的物业费", target_agency="某物业公司",
            petitioners=[petitions.PetitionerInput(name="孙信访", phone=phone)]))

    first = register(PETITIONER_PHONE)
    second = register(spaced(PETITIONER_PHONE))
    assert second.repeat_of_id == first.pk


def test_the_registry_history_records_a_new_phone_with_the_same_mask(city):
    from gridgov.registry.models import Change
    from gridgov.registry.services.addresses import AddressInput, get_or_create_address
    from gridgov.registry.services.houses import save_house
    from gridgov.registry.services.residents import ResidentInput, save_resident
    from gridgov.registry.tests.conftest import make_id

    address, _ = get_or_create_address(city.worker_a, AddressInput(
        region="371502001001", road="古城路18号院", building="3", unit="2", room="301", lng=116.005, lat=36.405))
    house, _ = save_house(city.worker_a, address, status="rented")
    data = ResidentInput(name="王建国", id_number=make_id("37150219800101123"), phone="13811110002",
                         house=house)
    resident, _ = save_resident(city.worker_a, data)
    # the same number again changes nothing (the ciphertext is not rewritten, no history row)
    before = Change.objects.count()
    save_resident(city.worker_a, data, resident=resident)
    assert Change.objects.count() == before
    # a different number with the same mask (138****0002) is a change, recorded masked
    data.phone = "13899990002"
    save_resident(city.worker_a, data, resident=resident)
    change = Change.objects.filter(model="resident", object_id=resident.pk).order_by("-id").first()
    assert change.changes["phone"] == ["138****0002", "138****0002"]
    assert "13899990002" not in json.dumps(change.changes) and not any(k.endswith("_hash") for k in change.changes)


# --- the data migration ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_the_phones_of_existing_rows_and_can_be_reversed(city, api, monkeypatch):
    """Back to the schema before the phone_sealed migrations (their reverse puts the clear columns back,
    filled from the ciphertext), then forward again: the data migration seals the clear rows it finds."""
    from django.db.migrations.executor import MigrationExecutor

    from gridgov.core import sealing
    from gridgov.events import services as events

    monkeypatch.setattr(sealing, "BATCH", 2)  # several pages even with a handful of rows

    made = populate(city, api)
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    sealed = sorted(node for node in graph.nodes if node[1].endswith("_phone_sealed"))
    assert {app for app, _name in sealed} == {"core", "events", "registry", "disputes", "petitions"}
    before = [p.key for node in sealed for p in graph.node_map[node].parents if p.key[0] == node[0]]
    leaves = graph.leaf_nodes()
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        # the old world: clear columns, the phones in them, the citizen's scope holding the number
        event = old.get_model("events", "Event").objects.get(number=made["event"])
        assert event.reporter_phone == EVENT_PHONE and event.idempotency_scope == f"citizen:{EVENT_PHONE}"
        assert old.get_model("registry", "Resident").objects.get(pk=made["resident"].pk).phone == RESIDENT_PHONE
        assert old.get_model("registry", "House").objects.get(pk=made["house"].pk).owner_phone == OWNER_PHONE
        assert old.get_model("disputes", "Dispute").objects.get(pk=made["dispute"].pk).reporter_phone == APPLICANT_PHONE
        assert old.get_model("petitions", "Petitioner").objects.get().phone == PETITIONER_PHONE
        assert {p for _t, p in clear_phones_in_database()} == set(ALL_PHONES)
        # a row written before the upgrade, by the old code (more than one batch of rows is not needed here:
        # the batching is the same loop)
        old_party = old.get_model("disputes", "Party")
        for i in range(3):
            old_party.objects.create(dispute_id=made["dispute"].pk, role="respondent", name=f"王五{i}",
                                     phone=f"1380000009{i}")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(leaves)
    assert clear_phones_in_database() == []
    from gridgov.disputes.models import Party
    from gridgov.events.models import Event
    from gridgov.registry.models import House, Resident, Unit

    # sealed, readable, and found by the hash of what the citizen types
    assert events.get_for_citizen(made["event"], spaced(EVENT_PHONE)).reporter_phone == EVENT_PHONE
    assert Event.objects.get(number=made["event"]).idempotency_scope == crypto.citizen_scope(EVENT_PHONE)
    assert Resident.objects.get(phone_hash=phone_hash(RESIDENT_PHONE)).phone == RESIDENT_PHONE
    assert House.objects.get(owner_phone_hash=phone_hash(OWNER_PHONE)).owner_phone == OWNER_PHONE
    assert Unit.objects.get(phone_hash=phone_hash(UNIT_PHONE)).phone == UNIT_PHONE
    assert [Party.objects.get(phone_hash=phone_hash(f"138 0000 009{i}")).name for i in range(3)] == [
        "王五0", "王五1", "王五2"]
    assert Party.objects.filter(dispute=made["dispute"]).exclude(phone_hash="").count() == 5

"""Issue 8 §1: no registry write changes a record outside the writer's scope.

A number kept by another side becomes a transfer request (人口迁移申请) that the keeping side confirms
or refuses; until then nothing of the record changes, and the writer's answer is the same as for a
brand-new person.  Every write path: the API, the web form, the tenancy form, the xlsx import, and the
services behind them (units, houses, moves, tenancies, key persons)."""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.core.models import Notification
from gridgov.registry.excel.importer import import_rows
from gridgov.registry.models import Change, Residence, Resident, Tenancy, TransferRequest, Unit
from gridgov.registry.services.addresses import AddressInput, get_or_create_address
from gridgov.registry.services.houses import add_tenancy, save_house
from gridgov.registry.services.key_people import list_key_person
from gridgov.registry.services.residents import ResidentInput, move_resident, register_resident, save_resident
from gridgov.registry.services.units import UnitInput, save_unit
from gridgov.registry.tests.conftest import B_ID, B_PHONE, make_id
from gridgov.registry.tests.test_excel import RESIDENT_HEADERS, resident_row, xlsx

NEW_PHONE = "13900009999"


@pytest.fixture
def api(api_response):
    """Here a call gives the response itself (gridgov/conftest.py)."""
    return api_response


def state(resident: Resident) -> tuple:
    """Everything of a record a hijack would change (read fresh from the database)."""
    r = Resident.objects.get(pk=resident.pk)
    return (r.name, r.phone, r.region_id, r.grid_id, r.house_id, r.household, r.relation, r.moved_in,
            list(Residence.objects.filter(resident=r).values_list("house_id", "moved_out")),
            Change.objects.filter(model="resident", object_id=r.pk).count())


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def inbox(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("subject", flat=True))


def hijack(house) -> dict:
    """What the review did: op_gulou registers 柳园's 李柳园 by her number with a new name and phone, in a 古楼 house."""
    return {"name": "改名者", "id_number": B_ID, "phone": NEW_PHONE, "relation": "租户", "house": house.pk}


# --- the API ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["operator_a", "worker_a"])
def test_the_api_no_longer_changes_a_record_of_another_township(api, city, register, who):
    writer = getattr(city, who)
    before = state(register.b_resident)
    r = api("post", "/residents", writer, hijack(register.house))
    assert r.status_code == 202, r.content
    assert state(register.b_resident) == before  # nothing of the record changed
    # the owning side still has their resident, the writer does not see it
    assert api("get", f"/residents/{register.b_resident.pk}", city.operator_b).status_code == 200
    assert api("get", f"/residents/{register.b_resident.pk}", writer).status_code == 404
    # it became a transfer request with the submitted values, the phone encrypted
    t = TransferRequest.objects.get()
    assert (t.resident, t.status, t.requested_by, t.from_region, t.to_region, t.house, t.source) == (
        register.b_resident, "pending", writer, city.community_b, city.community_a, register.house, "api")
    assert t.values["name"] == "改名者" and NEW_PHONE not in json.dumps(t.values) and NEW_PHONE not in t.phone_enc
    # the keeping side is told, the writer is not (that would tell them the number is kept elsewhere)
    assert any("李柳园" in s for s in inbox(city.operator_b))
    assert inbox(writer) == []
    assert Change.objects.filter(model="transferrequest", object_id=t.pk, action="create", actor=writer).exists()


def test_the_answer_does_not_tell_whether_a_number_is_kept_elsewhere(api, city, register):
    """Same status and the same body for a brand-new number and a number another township keeps."""
    elsewhere = api("post", "/residents", city.operator_a, hijack(register.house))
    new = api("post", "/residents", city.operator_a, {**hijack(register.house), "id_number": make_id(
        "37150219991231001")})
    assert (elsewhere.status_code, new.status_code) == (202, 202)
    assert elsewhere.json() == new.json()
    for text in (elsewhere.content.decode(), new.content.decode()):
        assert "李柳园" not in text and "柳园" not in text and B_PHONE not in text
    # ... while the brand-new person really was created, in the writer's register
    [row] = api("get", f"/residents?id_number={make_id('37150219991231001')}", city.operator_a).json()["results"]
    assert row["name"] == "改名者"
    # the number kept elsewhere is not found through the list either
    assert api("get", f"/residents?id_number={B_ID}", city.operator_a).json()["count"] == 0


def test_a_number_in_the_writers_own_scope_still_updates_that_record(api, city, register):
    r = api("post", "/residents", city.operator_b, {**hijack(register.b_house), "name": "李柳园"})
    assert r.status_code == 200 and r.json()["id"] == register.b_resident.pk
    assert Resident.objects.get(pk=register.b_resident.pk).phone == NEW_PHONE
    assert not TransferRequest.objects.exists()


def test_a_grid_worker_of_the_next_grid_asks_too(api, city, register, worker_a2):
    """Scope is grids for a worker: 王建国 lives in A1; a worker of A2 registering him opens a request for the
    古楼 center, and the answer is the receipt."""
    from gridgov.registry.tests.conftest import FULL_ID

    house_a2, _ = save_house(worker_a2, get_or_create_address(worker_a2, AddressInput(
        region="371502001001", road="古城路9号", lng=116.015, lat=36.405))[0])
    before = state(register.resident)
    r = api("post", "/residents", worker_a2, {"name": "王建国", "id_number": FULL_ID, "house": house_a2.pk})
    assert r.status_code == 202
    assert state(register.resident) == before
    assert TransferRequest.objects.get().resident == register.resident
    assert any("王建国" in s for s in inbox(city.operator_a))


def test_identity_numbers_with_spaces_find_the_same_record_and_a_15_digit_number_is_named(api, city, register):
    spaced = f"{B_ID[:6]} {B_ID[6:14]}\u3000{B_ID[14:]}"
    r = api("post", "/residents", city.operator_b, {"name": "李柳园", "id_number": spaced, "house": register.b_house.pk})
    assert r.status_code == 200 and r.json()["id"] == register.b_resident.pk
    r = api("post", "/residents", city.operator_b, {"name": "老王", "id_number": "371502800101123",
                                                     "house": register.b_house.pk})
    assert r.status_code == 422
    assert r.json()["fields"] == {"id_number": ["这是15位一代身份证号码，请填写18位二代身份证号码"]}


# --- deciding ---------------------------------------------------------------------------------------


@pytest.fixture
def pending(api, city, register):
    api("post", "/residents", city.operator_a, hijack(register.house))
    Notification.objects.all().delete()
    return TransferRequest.objects.get()


def test_the_keeping_side_lists_and_confirms_and_the_move_is_applied_through_the_normal_write(
        api, city, register, pending):
    listed = api("get", "/transfers", city.operator_b).json()
    assert [t["id"] for t in listed["results"]] == [pending.pk]
    row = listed["results"][0]
    assert (row["name"], row["to_region_name"], row["submitted"]["name"], row["submitted"]["phone"]) == (
        "李柳园", "古城社区居委会", "改名者", "139****9999")
    assert NEW_PHONE not in json.dumps(listed)
    # the requesting side does not see the request (it would tell them the number is kept elsewhere)
    assert api("get", "/transfers", city.operator_a).json()["count"] == 0

    r = api("post", f"/transfers/{pending.pk}/confirm", city.operator_b)
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    person = Resident.objects.get(pk=register.b_resident.pk)
    assert (person.name, person.phone, person.house, person.region, person.relation) == (
        "改名者", NEW_PHONE, register.house, city.community_a, "租户")
    assert list(Residence.objects.filter(resident=person).order_by("id").values_list("house_id", flat=True)) == [
        register.b_house.pk, register.house.pk]
    ch = Change.objects.filter(model="resident", object_id=person.pk).order_by("-id").first()
    assert (ch.actor, ch.source) == (city.operator_b, f"transfer:{pending.pk}") and ch.changes["name"] == [
        "李柳园", "改名者"]
    assert list(Change.objects.filter(model="transferrequest", object_id=pending.pk).order_by("id").values_list(
        "action", flat=True)) == ["create", "confirm"]
    # the record now belongs to the requesting side; both sides were told
    assert api("get", f"/residents/{person.pk}", city.operator_a).status_code == 200
    assert api("get", f"/residents/{person.pk}", city.operator_b).status_code == 404
    assert any("已迁入" in s for s in inbox(city.operator_a))
    # the keeping side keeps the decided request in its list
    assert api("get", "/transfers?status=confirmed", city.operator_b).json()["count"] == 1
    # a second decision is a conflict
    assert api("post", f"/transfers/{pending.pk}/refuse", city.operator_b, {"reason": "重复"}).status_code in (404, 409)


def test_a_refusal_needs_a_reason_changes_nothing_and_tells_the_requester_only_what_they_gave(
        api, city, register, pending):
    before = state(register.b_resident)
    r = api("post", f"/transfers/{pending.pk}/refuse", city.operator_b, {"reason": " "})
    assert r.status_code == 422 and r.json()["fields"] == {"reason": ["请填写不予确认的理由"]}
    r = api("post", f"/transfers/{pending.pk}/refuse", city.operator_b, {"reason": "经核实本人仍在柳园居住"})
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert state(register.b_resident) == before
    [subject] = inbox(city.operator_a)
    assert "改名者" in subject and "李柳园" not in subject
    assert "经核实本人仍在柳园居住" in Notification.objects.get(recipient=city.operator_a).body
    assert api("post", f"/transfers/{pending.pk}/confirm", city.operator_b).status_code == 409
    assert state(register.b_resident) == before


def test_only_operators_of_the_keeping_side_decide(api, city, register, pending):
    before = state(register.b_resident)
    replies = {
        "requesting operator": api("post", f"/transfers/{pending.pk}/confirm", city.operator_a).status_code,
        "requesting worker": api("post", f"/transfers/{pending.pk}/confirm", city.worker_a).status_code,
        "keeping worker": api("post", f"/transfers/{pending.pk}/confirm", city.worker_b).status_code,
        "leader": api("post", f"/transfers/{pending.pk}/confirm", city.leader_county).status_code,
        "liaison": api("post", f"/transfers/{pending.pk}/confirm", city.liaison_cg).status_code,
        "unknown": api("post", "/transfers/999999/confirm", city.operator_b).status_code,
    }
    assert replies == {"requesting operator": 404, "requesting worker": 403, "keeping worker": 403, "leader": 403,
                       "liaison": 403, "unknown": 404}
    assert state(register.b_resident) == before
    assert TransferRequest.objects.get().status == "pending"
    assert api("post", f"/transfers/{pending.pk}/confirm", city.county_operator).status_code == 200


def test_a_repeated_submission_updates_the_pending_request_and_a_confirmation_cancels_the_others(
        api, city, register, pending, worker_a2):
    api("post", "/residents", city.operator_a, {**hijack(register.house), "name": "再改名"})
    assert TransferRequest.objects.count() == 1 and TransferRequest.objects.get().values["name"] == "再改名"
    other_house, _ = save_house(city.operator_a, get_or_create_address(
        city.operator_a, AddressInput(region="371502001001", road="古城路30号", lng=116.015, lat=36.405))[0])
    api("post", "/residents", city.operator_a, {**hijack(other_house), "name": "第三方"})
    assert TransferRequest.objects.filter(status="pending").count() == 2
    api("post", f"/transfers/{pending.pk}/confirm", city.operator_b)
    assert dict(TransferRequest.objects.values_list("house_id", "status")) == {
        register.house.pk: "confirmed", other_house.pk: "cancelled"}


# --- the web form, the tenancy form, the web list -------------------------------------------------------


def test_the_web_form_answers_the_same_for_a_new_and_a_kept_elsewhere_number_and_changes_nothing(city, register):
    c = as_user(city.operator_a)
    before = state(register.b_resident)
    form = {"name": "改名者", "id_type": "ric", "phone": NEW_PHONE, "household": "floating",
            "house": str(register.house.pk)}
    elsewhere = c.post(reverse("registry:resident_new"), {**form, "id_number": B_ID}, follow=True)
    new = c.post(reverse("registry:resident_new"), {**form, "id_number": make_id("37150219991231001")}, follow=True)
    assert elsewhere.redirect_chain == new.redirect_chain == [(reverse("registry:house_detail",
                                                                       args=[register.house.pk]), 302)]
    msgs = [[str(m) for m in r.context["messages"]] for r in (elsewhere, new)]
    assert msgs[0] == msgs[1] and "已提交登记" in msgs[0][0]
    assert state(register.b_resident) == before
    assert TransferRequest.objects.get().source == "web"


def test_the_tenancy_form_does_not_take_over_a_tenant_of_another_township(city, register):
    c = as_user(city.operator_a)
    before = state(register.b_resident)
    r = c.post(reverse("registry:tenancy_new", args=[register.house.pk]), {
        "tenant": "new", "new_name": "改名者", "new_id_type": "ric", "new_id_number": B_ID, "new_phone": NEW_PHONE,
        "start": "2026-01-01"})
    assert r.status_code == 302
    assert state(register.b_resident) == before
    assert not Tenancy.objects.filter(tenant=register.b_resident).exists()
    assert TransferRequest.objects.get().resident == register.b_resident


def test_the_web_list_lets_the_keeping_side_confirm_and_refuse(city, register, pending):
    c = as_user(city.operator_b)
    page = c.get(reverse("registry:transfer_list"))
    assert page.status_code == 200 and "改名者" in page.content.decode() and NEW_PHONE not in page.content.decode()
    assert "改名者" not in as_user(city.operator_a).get(reverse("registry:transfer_list")).content.decode()
    r = c.post(reverse("registry:transfer_refuse", args=[pending.pk]), {"reason": ""})
    assert r.status_code == 400 and "请填写不予确认的理由" in r.content.decode()
    assert as_user(city.operator_a).post(reverse("registry:transfer_confirm", args=[pending.pk])).status_code == 404
    assert as_user(city.leader_county).get(reverse("registry:transfer_list")).status_code == 403
    detail = reverse("registry:resident_detail", args=[register.b_resident.pk])
    assert 'data-testid="pending-transfer"' in c.get(detail).content.decode()
    r = c.post(reverse("registry:transfer_confirm", args=[pending.pk]))
    assert r.status_code == 302 and TransferRequest.objects.get().status == "confirmed"
    assert Resident.objects.get(pk=register.b_resident.pk).house == register.house


def test_the_admin_shows_transfer_requests_read_only(city, register, pending):
    model_admin = admin.site._registry[TransferRequest]
    request = RequestFactory().get("/")
    request.user = city.admin
    assert model_admin.has_view_permission(request)
    assert not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request, pending)
                or model_admin.has_delete_permission(request, pending))


# --- the import ---------------------------------------------------------------------------------------


def test_an_import_row_of_a_number_kept_elsewhere_becomes_a_transfer_request_and_reads_like_a_new_one(
        city, register, tmp_path):
    before = state(register.b_resident)
    new_id = make_id("37150219991231001")
    path = xlsx(tmp_path, RESIDENT_HEADERS, [resident_row("改名者", B_ID), resident_row("新来的", new_id)])
    report = import_rows(city.worker_a, "residents", path, "in.xlsx")
    assert (report.submitted, report.created, report.updated, report.rejected) == (2, 0, 0, 0)
    assert state(register.b_resident) == before
    t = TransferRequest.objects.get()
    assert (t.resident, t.source, t.values["name"]) == (register.b_resident, "import:in.xlsx", "改名者")
    assert Resident.objects.filter(name="新来的").count() == 1


def test_an_import_row_with_another_sides_credit_code_is_refused_not_an_update(city, register, tmp_path):
    from gridgov.registry.tests.test_excel import make_uscc

    code = make_uscc("91371502MA3C7Q1B")
    Unit.objects.filter(pk=register.b_unit.pk).update(uscc=code)
    path = xlsx(tmp_path, ["单位名称", "统一社会信用代码", "社区代码(12位)", "街路巷/小区"],
                [["冒名五金店", code, "371502001001", "古城路18号院"]])
    report = import_rows(city.operator_a, "units", path)
    assert (report.created, report.updated, report.rejected) == (0, 0, 1)
    assert "该统一社会信用代码已登记" in report.rejected_rows[0].reason
    unit = Unit.objects.get(pk=register.b_unit.pk)
    assert (unit.name, unit.address_id) == ("柳园五金店", register.b_unit.address_id)


# --- the services behind every other write --------------------------------------------------------------


def test_no_service_writes_a_record_outside_the_writers_scope(city, register, worker_a2):
    b = register
    with pytest.raises(NotFound):
        move_resident(city.operator_a, b.b_resident, b.house)
    with pytest.raises(NotFound):
        add_tenancy(city.operator_a, b.house, b.b_resident, start=b.b_resident.created_at.date())
    with pytest.raises(NotFound):
        list_key_person(city.operator_a, b.b_resident, b.b_kp.category)
    with pytest.raises(NotFound):
        save_resident(city.operator_a, ResidentInput(name="改名者", id_number=B_ID),
                      resident=b.b_resident)
    with pytest.raises(NotFound):
        save_unit(city.operator_a, UnitInput(name="冒名", address=b.house.address), unit=b.b_unit)
    with pytest.raises(ValidationFailed) as err:  # the next grid's house at the same place
        save_house(worker_a2, b.house.address, owner_name="冒名房东")
    assert err.value.fields == {"address": ["该地址已登记过房屋，不在您的管辖范围内"]}
    code = "91371502MA3C7Q1B9W"
    Unit.objects.filter(pk=b.b_unit.pk).update(uscc=code)
    with pytest.raises(ValidationFailed) as err:
        save_unit(city.operator_a, UnitInput(name="冒名", address=b.house.address, uscc=code))
    assert err.value.fields == {"uscc": ["该统一社会信用代码已登记"]}
    fresh = Resident.objects.get(pk=b.b_resident.pk)
    assert (fresh.name, fresh.house_id) == ("李柳园", b.b_house.pk)
    assert Unit.objects.get(pk=b.b_unit.pk).name == "柳园五金店"
    assert not TransferRequest.objects.exists()


def test_spaced_identity_numbers_through_the_form_and_the_import_find_the_same_record(city, register, tmp_path):
    spaced = f"{B_ID[:6]}\u3000{B_ID[6:14]} {B_ID[14:]}"
    r = as_user(city.operator_b).post(reverse("registry:resident_new"), {
        "name": "李柳园", "id_type": "ric", "id_number": spaced, "household": "registered",
        "house": str(register.b_house.pk)}, follow=True)
    assert "已更新李柳园的信息" in " ".join(str(m) for m in r.context["messages"])
    report = import_rows(city.operator_b, "residents", xlsx(tmp_path, RESIDENT_HEADERS, [resident_row(
        "李柳园", spaced, region="371502002001", road="柳园路6号", building="1", unit="", floor="", room="101",
        grid="371502002001001")]))
    assert (report.submitted, report.rejected) == (0, 0), [r.errors for r in report.rejected_rows]
    assert Resident.objects.filter(name="李柳园").count() == 1
    first_generation = import_rows(city.operator_b, "residents", xlsx(
        tmp_path, RESIDENT_HEADERS, [resident_row("老王", "371502800101123", region="371502002001", road="柳园路6号",
                                                  grid="371502002001001")], name="old.xlsx"))
    assert "15位一代身份证号码" in first_generation.rejected_rows[0].reason


@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_decide_once(city, register):
    """Four deciders at once (two confirm, two refuse) on a real database file: exactly one decision."""
    import threading

    from django.db import connection

    from gridgov.core.errors import Conflict
    from gridgov.registry import transfers

    register_resident(city.operator_a, ResidentInput(
        name="改名者", id_number=B_ID, phone=NEW_PHONE, house=register.house), source="api")
    t = TransferRequest.objects.get()
    done, conflicts, errors = [], [], []

    def decide(user, action):
        try:
            if action == "confirm":
                done.append(transfers.confirm(user, t.pk).status)
            else:
                done.append(transfers.refuse(user, t.pk, "经核实未迁出").status)
        except Conflict:
            conflicts.append(action)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(user, action)) for user, action in [
        (city.operator_b, "confirm"), (city.county_operator, "refuse"), (city.county_operator, "confirm"),
        (city.operator_b, "refuse")]]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    assert len(done) == 1 and len(conflicts) == 3
    t.refresh_from_db()
    assert t.status == done[0]
    assert Change.objects.filter(model="transferrequest", object_id=t.pk).exclude(action="create").count() == 1
    moved = Resident.objects.get(pk=register.b_resident.pk).house_id == register.house.pk
    assert moved == (t.status == "confirmed")


@pytest.mark.parametrize("path, body", [
    ("/transfers/0/confirm", None), ("/transfers/9223372036854775808/confirm", None),
    ("/transfers/abc/refuse", {"reason": "理由充分"}), ("/transfers/{pk}/refuse", {}),
    ("/transfers/{pk}/refuse", {"reason": 5}), ("/transfers/{pk}/refuse", {"reason": "长" * 201}),
    ("/transfers?status=nonsense&limit=-1", None), ("/transfers?offset=-5", None),
])
def test_bad_input_to_the_transfer_endpoints_is_a_4xx_json_and_changes_nothing(api, city, register, pending,
                                                                               path, body):
    before = state(register.b_resident)
    method = "get" if path.startswith("/transfers?") else "post"
    r = api(method, path.format(pk=pending.pk), city.operator_b, body)
    assert 400 <= r.status_code < 500 and r.json()["code"], r.content
    assert state(register.b_resident) == before and TransferRequest.objects.get().status == "pending"


def test_a_refusal_checks_the_person_before_the_reason(api, city, register, pending):
    assert api("post", f"/transfers/{pending.pk}/refuse", city.worker_b, {"reason": ""}).status_code == 403
    assert api("post", f"/transfers/{pending.pk}/refuse", city.operator_a, {"reason": ""}).status_code == 404

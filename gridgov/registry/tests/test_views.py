"""The registry web pages: scope (404 outside the region, 403 for liaisons and for leaders on key
persons), masking in every page and export, the logged reveal, bad input, and creation with history."""

from __future__ import annotations

import io

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.core import crypto
from gridgov.registry.models import AccessLog, Address, Change, House, Resident, Unit
from gridgov.registry.tests.conftest import (
    B_ID,
    B_PHONE,
    BIRTH_DATE,
    FULL_ID,
    FULL_PHONE,
    OLD_PHONE,
    OWNER_PHONE,
    UNIT_PHONE,
    grant,
    make_id,
)

# the birth date is the part of the number the mask hides: with the masked number it gives the whole number
SECRETS = (FULL_ID, FULL_PHONE, OLD_PHONE, OWNER_PHONE, UNIT_PHONE, BIRTH_DATE)
MASKED_ID = crypto.mask_id(FULL_ID)  # 371502********123X


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def body(response) -> str:
    return response.content.decode()


def url(name: str, *args) -> str:
    return reverse(f"registry:{name}", args=args)


def assert_no_secret(text: str, secrets=SECRETS) -> None:
    leaked = [s for s in secrets if s in text]
    assert leaked == [], f"full values on the page: {leaked}"


def xlsx_cells(response) -> list[str]:
    wb = load_workbook(io.BytesIO(response.content), read_only=True)
    out = [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    wb.close()
    return out


def cells_with(cells: list[str], value: str) -> list[str]:
    return [c for c in cells if value in c]


def record_pages(reg) -> dict[str, str]:
    """Every page of one record of each kind (the A side)."""
    return {
        "resident": url("resident_detail", reg.resident.pk),
        "house": url("house_detail", reg.house.pk),
        "unit": url("unit_detail", reg.unit.pk),
        "key person": url("kp_detail", reg.kp.pk),
    }


def write_pages(reg) -> dict[str, str]:
    return {
        "house edit": url("house_edit", reg.house.pk),
        "tenancy": url("tenancy_new", reg.house.pk),
        "unit edit": url("unit_edit", reg.unit.pk),
        "key person edit": url("kp_edit", reg.kp.pk),
        "visit": url("kp_visit", reg.kp.pk),
    }


# --- scope: outside the region is a 404, liaisons 403, leaders 403 on key persons --------------------

@pytest.fixture(params=["operator_b", "worker_b", "worker_a2"])
def outsider(request, city, worker_a2):
    """An operator of another township, a grid worker of another township, one of the other grid next door."""
    return worker_a2 if request.param == "worker_a2" else getattr(city, request.param)


def test_someone_outside_the_region_gets_404_on_every_record_page(register, outsider):
    c = as_user(outsider)
    pages = {**record_pages(register), **write_pages(register)}
    statuses = {name: c.get(u).status_code for name, u in pages.items()}
    assert statuses == {name: 404 for name in pages}


def test_someone_outside_the_region_cannot_act_on_a_record_by_posting(register, outsider):
    c = as_user(outsider)
    r = register.resident
    assert c.post(url("resident_move", r.pk), {"house": ""}).status_code == 404
    assert c.post(url("resident_link_event", r.pk), {"number": "SJ2026"}).status_code == 404
    assert c.post(url("kp_visit", register.kp.pk), {"method": "phone", "findings": "电话了解近况"}).status_code == 404
    assert c.post(url("house_edit", register.house.pk), {"structure": "other", "use": "residential",
                                                         "status": "vacant"}).status_code == 404
    r.refresh_from_db()
    register.house.refresh_from_db()
    assert r.house_id == register.house.pk and register.house.status == House.Status.RENTED
    assert not register.kp.visits.exists()


def test_someone_outside_the_region_does_not_find_the_record_in_any_list(register, outsider):
    c = as_user(outsider)
    lists = {
        url("resident_list") + "?current=all": register.resident.name,
        url("house_list"): register.house.address.road,
        url("unit_list"): register.unit.name,
        url("kp_list"): register.resident.name,
        url("visits_due"): register.resident.name,
    }
    for page, name in lists.items():
        r = c.get(page)
        assert r.status_code == 200, page
        assert name not in body(r), page


def test_the_other_township_sees_its_own_records_in_the_same_lists(city, register):
    """The lists above are not empty by accident: operator B finds B's records there."""
    c = as_user(city.operator_b)
    assert register.b_resident.name in body(c.get(url("resident_list")))
    assert register.b_house.address.road in body(c.get(url("house_list")))
    assert register.b_unit.name in body(c.get(url("unit_list")))
    assert register.b_resident.name in body(c.get(url("kp_list")))
    assert c.get(url("resident_detail", register.b_resident.pk)).status_code == 200


def test_a_permission_to_see_full_identity_does_not_reach_outside_the_region(city, register):
    op_b = grant(city.operator_b, "view_full_identity")
    r = as_user(op_b).post(url("resident_reveal", register.resident.pk), {"reason": "核实身份"})
    assert r.status_code == 404
    assert_no_secret(body(r))
    assert not AccessLog.objects.exists()


def test_the_export_of_another_township_leaves_out_this_township(city, register):
    cells = xlsx_cells(as_user(city.operator_b).get(url("export", "residents")))
    assert cells_with(cells, register.b_resident.name) and not cells_with(cells, register.resident.name)


def test_a_department_liaison_gets_403_on_every_registry_page(city, register):
    c = as_user(city.liaison_cg)
    pages = {
        "home": url("home"), "houses": url("house_list"), "residents": url("resident_list"),
        "units": url("unit_list"), "key persons": url("kp_list"), "due": url("visits_due"),
        "new house": url("house_new"), "new resident": url("resident_new"), "new unit": url("unit_new"),
        "import": url("import"), "export": url("export", "residents"),
        **record_pages(register), **write_pages(register),
    }
    statuses = {name: c.get(u).status_code for name, u in pages.items()}
    assert statuses == {name: 403 for name in pages}
    assert c.post(url("resident_reveal", register.resident.pk), {"reason": "核实"}).status_code == 403


def test_a_leader_reads_masked_records_of_the_region(city, register):
    c = as_user(city.leader_a)
    pages = {url("home"), url("resident_list"), url("house_list"), url("unit_list"),
             *list(record_pages(register).values())[:3]}
    for page in pages:
        r = c.get(page)
        assert r.status_code == 200, page
        assert_no_secret(body(r))
    detail = body(c.get(url("resident_detail", register.resident.pk)))
    assert MASKED_ID in detail and crypto.mask_phone(FULL_PHONE) in detail
    assert c.get(url("resident_detail", register.b_resident.pk)).status_code == 404


def test_a_leader_gets_403_on_key_person_pages_and_on_registry_writes(city, register):
    c = as_user(city.leader_a)
    pages = {
        "key persons": url("kp_list"), "key person": url("kp_detail", register.kp.pk),
        "key person edit": url("kp_edit", register.kp.pk), "new key person": url("kp_new"),
        "visit": url("kp_visit", register.kp.pk), "due": url("visits_due"),
        "key person export": url("export", "key_persons"),
        "new house": url("house_new"), "new resident": url("resident_new"), "new unit": url("unit_new"),
        "house edit": url("house_edit", register.house.pk),
    }
    statuses = {name: c.get(u).status_code for name, u in pages.items()}
    assert statuses == {name: 403 for name in pages}
    r = c.post(url("kp_visit", register.kp.pk), {"method": "phone", "findings": "电话了解近况"})
    assert r.status_code == 403 and not register.kp.visits.exists()


# --- masking: no full number or phone on any page or in any export without the reveal ----------------

@pytest.mark.parametrize("who", ["operator_a", "worker_a", "county_operator"])
def test_no_page_shows_a_full_identity_number_or_phone(city, register, who):
    user = getattr(city, who)
    c = as_user(user)
    pages = [
        url("home"), url("resident_list"), url("resident_list") + "?current=all", url("house_list"),
        url("unit_list"), url("kp_list"), url("visits_due"),
        *record_pages(register).values(), *write_pages(register).values(),
        url("kp_new") + f"?resident={register.resident.pk}", url("kp_new"),
        url("resident_new") + f"?house={register.house.pk}",
    ]
    for page in pages:
        r = c.get(page)
        assert r.status_code == 200, page
        assert_no_secret(body(r))


def test_the_resident_page_and_list_show_the_masked_number_and_phone(city, register):
    c = as_user(city.operator_a)
    detail = body(c.get(url("resident_detail", register.resident.pk)))
    assert MASKED_ID == "371502********123X" and MASKED_ID in detail
    assert crypto.mask_phone(FULL_PHONE) in detail
    listing = body(c.get(url("resident_list")))
    assert MASKED_ID in listing and crypto.mask_phone(FULL_PHONE) in listing
    assert MASKED_ID in body(c.get(url("house_detail", register.house.pk)))
    assert MASKED_ID in body(c.get(url("kp_detail", register.kp.pk)))


def test_the_history_shows_a_changed_phone_masked(city, register):
    page = body(as_user(city.operator_a).get(url("resident_detail", register.resident.pk)))
    history = page[page.index('data-testid="history"'):]
    assert crypto.mask_phone(OLD_PHONE) in history and crypto.mask_phone(FULL_PHONE) in history
    assert_no_secret(history)


def test_the_house_and_unit_pages_mask_the_owner_and_unit_phones(city, register):
    c = as_user(city.worker_a)
    assert crypto.mask_phone(OWNER_PHONE) in body(c.get(url("house_detail", register.house.pk)))
    unit_page = body(c.get(url("unit_detail", register.unit.pk)))
    assert crypto.mask_phone(UNIT_PHONE) in unit_page and UNIT_PHONE not in unit_page
    edit = body(c.get(url("unit_edit", register.unit.pk)))
    assert UNIT_PHONE not in edit and crypto.mask_phone(UNIT_PHONE) in edit


def test_editing_a_unit_without_retyping_its_phone_keeps_the_phone(city, register):
    u = register.unit
    a = u.address
    r = as_user(city.worker_a).post(url("unit_edit", u.pk), {
        "name": "古城便民超市（新）", "kind": u.kind, "contact": u.contact, "phone": "", "key_flags": u.key_flags,
        "community": a.region.code, "grid": a.grid.code, "road": a.road, "building": a.building, "unit": a.unit,
        "room": a.room, "lng": a.lng, "lat": a.lat,
    })
    assert r.status_code == 302, body(r)
    u.refresh_from_db()
    assert u.name == "古城便民超市（新）" and u.phone == UNIT_PHONE


def test_even_a_user_with_the_permission_sees_masked_pages_until_they_reveal(city, register):
    op = grant(city.operator_a, "view_full_identity")
    c = as_user(op)
    for page in [url("resident_list"), *record_pages(register).values()]:
        assert_no_secret(body(c.get(page)))
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("kind, masked, secrets", [
    ("residents", [MASKED_ID, crypto.mask_phone(FULL_PHONE)], [FULL_ID, FULL_PHONE, OLD_PHONE, BIRTH_DATE]),
    ("houses", [crypto.mask_phone(OWNER_PHONE)], [OWNER_PHONE]),
    ("units", [crypto.mask_phone(UNIT_PHONE)], [UNIT_PHONE]),
    ("key_persons", [MASKED_ID], [FULL_ID, FULL_PHONE, BIRTH_DATE]),
])
def test_the_masked_export_has_no_full_number_or_phone_in_any_cell(city, register, kind, masked, secrets):
    r = as_user(city.operator_a).get(url("export", kind))
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    cells = xlsx_cells(r)
    assert [m for m in masked if not cells_with(cells, m)] == []
    assert [s for s in secrets if cells_with(cells, s)] == []
    assert not AccessLog.objects.exists()


def test_without_the_export_permission_a_full_export_is_403_and_logs_nothing(city, register):
    op = grant(city.operator_a, "view_full_identity")  # seeing is not exporting
    r = as_user(op).post(url("export", "residents"), {"reason": "核对户籍"})
    assert r.status_code == 403
    assert_no_secret(body(r))
    assert not AccessLog.objects.exists()


# --- the reveal: permission, a reason, one access-log row per view --------------------------------

def test_without_the_permission_the_reveal_is_403_and_logs_nothing(city, register):
    r = as_user(city.operator_a).post(url("resident_reveal", register.resident.pk), {"reason": "核实身份"})
    assert r.status_code == 403
    assert_no_secret(body(r))
    assert not AccessLog.objects.exists()


def test_the_page_offers_the_reveal_only_to_users_with_the_permission(city, register):
    reveal = url("resident_reveal", register.resident.pk)
    assert reveal not in body(as_user(city.operator_a).get(url("resident_detail", register.resident.pk)))
    op = grant(city.operator_a, "view_full_identity")
    assert reveal in body(as_user(op).get(url("resident_detail", register.resident.pk)))


@pytest.mark.parametrize("reason", [None, "", "   ", "x"])
def test_a_reveal_without_a_reason_is_400_with_a_chinese_field_error_and_logs_nothing(city, register, reason):
    op = grant(city.operator_a, "view_full_identity")
    data = {} if reason is None else {"reason": reason}
    r = as_user(op).post(url("resident_reveal", register.resident.pk), data)
    assert r.status_code == 400
    errors = r.context["reveal_form"].errors["reason"]
    assert errors and all(any("\u4e00" <= ch <= "\u9fff" for ch in e) for e in errors), errors
    assert errors[0] in body(r)
    assert_no_secret(body(r))
    assert not AccessLog.objects.exists()


def test_a_reveal_with_a_reason_shows_the_full_values_once_and_logs_one_row(city, register):
    op = grant(city.operator_a, "view_full_identity")
    c = as_user(op)
    r = c.post(url("resident_reveal", register.resident.pk), {"reason": "办理低保核实身份"})
    assert r.status_code == 200
    page = body(r)
    assert FULL_ID in page and FULL_PHONE in page
    assert r["Cache-Control"].startswith("max-age=0") or "no-cache" in r["Cache-Control"]
    [entry] = AccessLog.objects.all()
    assert (entry.actor, entry.action, entry.model, entry.object_id, entry.object_label, entry.fields,
            entry.reason) == (op, AccessLog.Action.VIEW, "resident", register.resident.pk, register.resident.name,
                              ["id_number", "phone"], "办理低保核实身份")
    # the next visit of the page is masked again
    assert_no_secret(body(c.get(url("resident_detail", register.resident.pk))))
    c.post(url("resident_reveal", register.resident.pk), {"reason": "再次核实"})
    assert AccessLog.objects.count() == 2


def test_a_reveal_of_a_document_other_than_an_id_card_also_works(city, flat):
    from gridgov.registry.services.residents import ResidentInput, save_resident

    p, _ = save_resident(city.worker_a, ResidentInput(
        name="John Smith", id_type=Resident.IdType.PASSPORT, id_number="E12345678", phone="13500001234",
        household=Resident.Household.OVERSEAS, house=flat))
    op = grant(city.operator_a, "view_full_identity")
    c = as_user(op)
    assert "E12345678" not in body(c.get(url("resident_detail", p.pk)))
    r = c.post(url("resident_reveal", p.pk), {"reason": "核实护照"})
    assert r.status_code == 200 and "E12345678" in body(r)
    assert AccessLog.objects.get().object_id == p.pk


def test_a_full_export_needs_the_permission_and_a_reason_and_is_logged(city, register):
    op = grant(city.operator_a, "export_personal_data")
    c = as_user(op)
    r = c.post(url("export", "residents"), {"reason": ""})
    assert r.status_code == 302 and not AccessLog.objects.exists()
    r = c.post(url("export", "residents"), {"reason": "民政核对低保对象"})
    assert r.status_code == 200
    cells = xlsx_cells(r)
    assert cells_with(cells, FULL_ID) and cells_with(cells, FULL_PHONE)
    assert not cells_with(cells, B_ID) and not cells_with(cells, B_PHONE)  # still only the region
    [entry] = AccessLog.objects.all()
    assert (entry.actor, entry.action, entry.model, entry.count, entry.reason) == (
        op, AccessLog.Action.EXPORT, "resident", 1, "民政核对低保对象")
    assert set(entry.fields) == {"id_number", "phone"}


@pytest.mark.parametrize("who", ["admin", "staff"])
def test_the_admin_pages_of_registry_records_show_no_full_number_phone_or_birth_date(city, register, who):
    """Administrators (and staff given the model's view permission) read records in the admin; the full
    values are only for the resident page's logged reveal."""
    user = city.admin
    if who == "staff":
        user = city.operator_a
        user.is_staff = True
        user.save()
        for codename in ("view_resident", "view_house", "view_unit"):
            user = grant(user, codename)
    c = as_user(user)
    pages = {
        "residents": reverse("admin:registry_resident_changelist"),
        "resident": reverse("admin:registry_resident_change", args=[register.resident.pk]),
        "house": reverse("admin:registry_house_change", args=[register.house.pk]),
        "unit": reverse("admin:registry_unit_change", args=[register.unit.pk]),
        "units": reverse("admin:registry_unit_changelist"),
    }
    for name, page in pages.items():
        r = c.get(page)
        assert r.status_code == 200, name
        assert_no_secret(body(r), SECRETS + ("1980年1月1日",))
    resident_page = body(c.get(pages["resident"]))
    assert MASKED_ID in resident_page and crypto.mask_phone(FULL_PHONE) in resident_page
    assert crypto.mask_phone(UNIT_PHONE) in body(c.get(pages["unit"]))
    assert not AccessLog.objects.exists()


def test_the_access_log_cannot_be_added_changed_or_deleted_in_the_admin(city, register):
    op = grant(city.operator_a, "view_full_identity")
    as_user(op).post(url("resident_reveal", register.resident.pk), {"reason": "办理低保核实身份"})
    entry = AccessLog.objects.get()
    model_admin = admin.site._registry[AccessLog]
    request = RequestFactory().get("/admin/")
    request.user = city.admin  # a superuser: would have every model permission otherwise
    assert model_admin.has_view_permission(request, entry)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    assert "delete_selected" not in model_admin.get_actions(request)

    c = as_user(city.admin)
    assert c.get(reverse("admin:registry_accesslog_changelist")).status_code == 200
    assert c.get(reverse("admin:registry_accesslog_add")).status_code == 403
    change = reverse("admin:registry_accesslog_change", args=[entry.pk])
    assert c.post(change, {"reason": "改掉", "action": "export"}).status_code == 403
    delete = reverse("admin:registry_accesslog_delete", args=[entry.pk])
    assert c.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:registry_accesslog_changelist")
    c.post(changelist, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    entry.refresh_from_db()
    assert entry.reason == "办理低保核实身份" and AccessLog.objects.count() == 1


# --- bad input and creation -----------------------------------------------------------------------

def _resident_post(house, **extra) -> dict:
    return {"name": "张三", "id_type": "ric", "id_number": make_id("37150219850312123"), "phone": "13800001111",
            "household": "registered", "relation": "户主", "house": str(house.pk), **extra}


def test_a_resident_with_a_bad_id_checksum_is_400_with_a_chinese_message_and_nothing_written(city, flat):
    good = make_id("37150219850312123")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    changes = Change.objects.count()
    r = as_user(city.worker_a).post(url("resident_new"), _resident_post(flat, id_number=bad))
    assert r.status_code == 400
    assert r.context["form"].errors["id_number"] == ["身份证号码校验位不正确"]
    assert "身份证号码校验位不正确" in body(r)
    assert not Resident.objects.exists() and Change.objects.count() == changes


def test_a_grid_worker_registers_a_house_a_resident_and_a_unit_on_the_web_with_history(city):
    c = as_user(city.worker_a)
    r = c.post(url("house_new"), {
        "community": "371502001001", "road": "古城路20号院", "building": "1", "room": "102",
        "lng": "116.004", "lat": "36.404", "structure": "brick_concrete", "use": "residential", "status": "owner",
        "owner_name": "刘户主", "owner_phone": "13711112222",
    })
    assert r.status_code == 302, body(r)
    house = House.objects.get(address__road="古城路20号院")
    assert r.url == url("house_detail", house.pk) and house.address.grid == city.grid_a1
    assert Change.objects.filter(model="house", object_id=house.pk, action="create", actor=city.worker_a,
                                 source="web").exists()

    r = c.post(url("resident_new"), _resident_post(house))
    assert r.status_code == 302, body(r)
    person = Resident.objects.get(name="张三")
    assert (person.house, person.grid) == (house, city.grid_a1)
    ch = Change.objects.get(model="resident", object_id=person.pk, action="create")
    assert (ch.actor, ch.source) == (city.worker_a, "web")
    assert person.id_masked in str(ch.changes) and "13800001111" not in str(ch.changes)

    r = c.post(url("unit_new"), {
        "community": "371502001001", "road": "古城路20号院", "building": "1", "room": "102",
        "lng": "116.004", "lat": "36.404", "name": "刘记早餐", "kind": "individual", "phone": "13722223333",
    })
    assert r.status_code == 302, body(r)
    unit = Unit.objects.get(name="刘记早餐")
    assert unit.address == house.address  # the same standard address
    assert Change.objects.filter(model="unit", object_id=unit.pk, action="create", actor=city.worker_a).exists()

    history = body(c.get(url("resident_detail", person.pk)))
    assert "新增" in history and city.worker_a.full_name in history
    assert "13800001111" not in history


def test_a_grid_worker_cannot_register_a_house_in_another_grid(city):
    before = (Address.objects.count(), House.objects.count(), Change.objects.count())
    r = as_user(city.worker_a).post(url("house_new"), {
        "community": "371502001001", "road": "古城路30号", "lng": "116.015", "lat": "36.405",  # grid A2
        "structure": "other", "use": "residential", "status": "owner",
    })
    assert r.status_code == 400
    assert (Address.objects.count(), House.objects.count(), Change.objects.count()) == before


def test_a_grid_worker_cannot_add_a_unit_at_an_existing_address_of_another_grid(city, register, worker_a2):
    """The flat's address is in grid A1: a worker of A2 typing it in (no point) writes nothing there."""
    a = register.house.address
    before = (Address.objects.count(), Unit.objects.count(), Change.objects.count())
    r = as_user(worker_a2).post(url("unit_new"), {
        "community": "371502001001", "road": a.road, "building": a.building, "unit": a.unit, "room": a.room,
        "name": "二网格小卖部", "kind": "individual"})
    assert r.status_code == 400
    assert r.context["form"].errors["grid"] == ["该网格不是您负责的网格"]
    assert_no_secret(body(r))
    assert (Address.objects.count(), Unit.objects.count(), Change.objects.count()) == before

"""Registry services: one place one address, one person one record, privacy, scope, visits."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.db import connection

from gridgov.core.errors import Forbidden, NotFound, ValidationFailed
from gridgov.core.models import Notification
from gridgov.registry.models import AccessLog, Address, Change, KeyPerson, Residence, Resident, Visit, VisitAlert
from gridgov.registry.services.addresses import AddressInput, get_or_create_address
from gridgov.registry.services.history import history
from gridgov.registry.services.houses import save_house
from gridgov.registry.services.key_people import list_key_person
from gridgov.registry.services.privacy import masked, reveal
from gridgov.registry.services.residents import ResidentInput, move_resident, save_resident
from gridgov.registry.services.visits import coverage, record_visit, visit_status, visit_sweep
from gridgov.registry.tests.conftest import make_id
from gridgov.testing import image_bytes

TZ = ZoneInfo("Asia/Shanghai")
ID = make_id("37150219800101123")


def grant(user, codename):
    user.user_permissions.add(Permission.objects.get(codename=codename))
    return type(user).objects.get(pk=user.pk)  # fresh: permissions are cached on the instance


# --- addresses ------------------------------------------------------------------------------------

def test_the_same_place_written_differently_is_one_address(city, flat):
    again, created = get_or_create_address(city.worker_a, AddressInput(
        region="371502001001", road=" 古城路18号院", building="3号楼", unit="2单元", room="301室"))
    assert not created and again == flat.address
    assert flat.address.code == "371502001001000001" and flat.address.grid == city.grid_a1
    assert flat.address.text == "古城路18号院3号楼2单元301室"


def test_a_point_outside_the_chosen_community_is_refused(city):
    with pytest.raises(ValidationFailed) as err:
        get_or_create_address(city.operator_a, AddressInput(
            region="371502001001", road="柳园路", lng=116.105, lat=36.405))
    assert "location" in err.value.fields
    assert not Address.objects.exists()


def test_a_grid_worker_writes_only_in_their_grids(city):
    with pytest.raises(ValidationFailed) as err:
        get_or_create_address(city.worker_b, AddressInput(region="371502001001", road="古城路"))
    assert "region" in err.value.fields
    with pytest.raises(Forbidden):
        get_or_create_address(city.liaison_cg, AddressInput(region="371502001001", road="古城路"))


# --- residents ------------------------------------------------------------------------------------

def test_birth_date_and_sex_come_from_the_identity_number(resident):
    assert resident.birth_date == date(1980, 1, 1) and resident.sex == "M"
    assert resident.id_masked == ID[:6] + "********" + ID[-4:]


def test_a_birth_date_that_contradicts_the_number_is_refused(city, flat):
    with pytest.raises(ValidationFailed) as err:
        save_resident(city.worker_a, ResidentInput(
            name="李四", id_number=make_id("37150219900505002"), birth_date=date(1990, 5, 6), house=flat))
    assert "birth_date" in err.value.fields and not Resident.objects.exists()


def test_one_person_is_one_record_however_often_collected(city, resident, flat):
    again, created = save_resident(city.operator_a, ResidentInput(
        name="王建国", id_number=ID.lower(), phone="13900000000", house=flat))
    assert not created and again.pk == resident.pk and Resident.objects.count() == 1
    assert again.phone == "13900000000"


def test_moving_house_keeps_the_history(city, resident, flat):
    other, _ = get_or_create_address(city.worker_a, AddressInput(
        region="371502001001", road="古城路20号院", building="1", room="101", lng=116.006, lat=36.406))
    house2, _ = save_house(city.worker_a, other, status="owner")
    move_resident(city.worker_a, resident, house2, on=date(2026, 6, 1))
    resident.refresh_from_db()
    stays = list(Residence.objects.filter(resident=resident).order_by("id"))
    assert [s.house for s in stays] == [flat, house2]
    assert stays[0].moved_out == date(2026, 6, 1) and stays[1].moved_out is None
    assert resident.house == house2
    assert Change.objects.filter(model="resident", object_id=resident.pk, action="move").count() == 1


def test_every_change_says_who_changed_what_with_personal_values_masked(city, resident):
    [created] = history(resident)
    assert created.actor == city.worker_a and created.action == "create"
    assert created.changes["phone"] == [None, "138****5678"]
    assert ID not in str(created.changes) and "13812345678" not in str(created.changes)


def test_the_database_alone_shows_no_identity_number(city, resident):
    """Scan every text value of every row of every table for the number."""
    found = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names():
            cur.execute(f'SELECT * FROM "{table}"')
            for row in cur.fetchall():
                if any(ID in str(v) or ID[6:14] + ID[14:] in str(v) for v in row):
                    found.append(table)
    assert found == []
    assert masked(resident)["id_number"].endswith(ID[-4:])


# --- full view ------------------------------------------------------------------------------------

def test_full_identity_needs_the_permission_a_reason_and_is_logged(city, resident):
    with pytest.raises(Forbidden):
        reveal(city.operator_a, resident, "核实身份")
    op = grant(city.operator_a, "view_full_identity")
    with pytest.raises(ValidationFailed):
        reveal(op, resident, " ")
    assert reveal(op, resident, "办理低保核实身份") == {"id_number": ID, "phone": "13812345678"}
    [entry] = AccessLog.objects.all()
    assert (entry.actor, entry.object_id, entry.fields, entry.reason) == (
        op, resident.pk, ["id_number", "phone"], "办理低保核实身份")


def test_the_permission_does_not_reach_outside_the_region(city, resident):
    op_b = grant(city.operator_b, "view_full_identity")
    with pytest.raises(NotFound):
        reveal(op_b, resident, "核实")
    assert not AccessLog.objects.exists()


def test_the_access_log_cannot_be_changed(city, resident):
    op = grant(city.operator_a, "view_full_identity")
    reveal(op, resident, "核实身份")
    entry = AccessLog.objects.get()
    entry.reason = "改"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AccessLog.objects.filter(pk=entry.pk).update(reason="改")  # nor in bulk
    with pytest.raises(PermissionError):
        AccessLog.objects.all().delete()
    with pytest.raises(PermissionError):
        Change.objects.filter(model="resident").update(actor=None)
    assert AccessLog.objects.get().reason == "核实身份"


# --- scope ----------------------------------------------------------------------------------------

def test_region_scope_applies_to_registry_records(city, resident):
    assert list(Resident.objects.visible_to(city.worker_a)) == [resident]
    assert list(Resident.objects.visible_to(city.operator_a)) == [resident]
    assert list(Resident.objects.visible_to(city.leader_county)) == [resident]
    for outsider in (city.worker_b, city.operator_b, city.liaison_cg):
        assert not Resident.objects.visible_to(outsider).exists()


# --- key persons and visits -----------------------------------------------------------------------

def listed(city, resident, keycats, risk="high", since=date(2026, 10, 1)):
    kp, _ = list_key_person(
        city.operator_a, resident, keycats["mental_health"], risk_level=risk,
        attributes={"danger_level": "3", "guardian": "王芳"}, worker=city.worker_a, since=since)
    return kp


def test_category_attributes_are_validated(city, resident, keycats):
    with pytest.raises(ValidationFailed) as err:
        list_key_person(city.operator_a, resident, keycats["mental_health"], risk_level="high",
                        attributes={"danger_level": "9"})
    assert set(err.value.fields) == {"attributes.danger_level", "attributes.guardian"}
    kp = listed(city, resident, keycats)
    assert kp.attributes == {"danger_level": 3, "guardian": "王芳"}


def test_visit_due_and_overdue_follow_the_interval_for_category_and_risk(city, resident, keycats):
    kp = listed(city, resident, keycats)  # 严重精神障碍患者, high risk: every 7 days
    assert kp.interval_days == 7
    assert visit_status(kp, date(2026, 10, 5)).state == "due_soon"
    assert visit_status(kp, date(2026, 10, 8)).state == "due_soon"
    assert visit_status(kp, date(2026, 10, 9)).state == "overdue"
    record_visit(city.worker_a, kp, method="in_person", findings="情绪稳定，按时服药",
                 visited_at=datetime(2026, 10, 9, 10, tzinfo=TZ))
    st = visit_status(kp, date(2026, 10, 10))
    assert st.due == date(2026, 10, 16) and st.state == "ok"


def test_coverage_is_persons_visited_within_their_interval_over_all(city, resident, keycats, flat):
    kp1 = listed(city, resident, keycats)
    other, _ = save_resident(city.worker_a, ResidentInput(
        name="赵六", id_number=make_id("37150219700707003"), house=flat))
    kp2, _ = list_key_person(city.operator_a, other, keycats["released"], risk_level="low",
                             attributes={"released_on": "2026-01-01"}, since=date(2026, 10, 1))
    on = date(2026, 10, 20)
    assert coverage("371502001", on) == {"region": "371502001", "on": "2026-10-20", "total": 2,
                                         "covered": 1, "rate": 0.5}  # kp2: 30 days, not yet due
    record_visit(city.worker_a, kp1, method="phone", findings="电话回访，情况正常",
                 visited_at=datetime(2026, 10, 18, 9, tzinfo=TZ))
    assert coverage("371502001", on)["rate"] == 1.0
    assert coverage("371502002", on)["total"] == 0 and coverage("371502002", on)["rate"] is None
    # a visit after the day asked about does not count for that day
    assert coverage("371502001", date(2026, 10, 17))["covered"] == 1
    assert kp2.pk


def test_an_overdue_high_risk_visit_raises_one_alert_to_the_worker_and_the_center(city, resident, keycats):
    kp = listed(city, resident, keycats, since=timezone_today() - timedelta(days=20))
    assert visit_sweep() == 1
    assert visit_sweep() == 0
    assert VisitAlert.objects.filter(key_person=kp).count() == 1
    assert Notification.objects.filter(kind="visit_overdue", recipient=city.worker_a).count() == 1
    assert Notification.objects.filter(kind="visit_overdue", recipient=city.operator_a).count() == 1
    record_visit(city.worker_a, kp, method="in_person", findings="已上门走访")
    assert VisitAlert.objects.get().resolved_at is not None


def test_visits_need_scope(city, resident, keycats):
    kp = listed(city, resident, keycats)
    with pytest.raises(NotFound):
        record_visit(city.worker_b, kp, method="in_person", findings="走访")
    with pytest.raises(ValidationFailed) as err:
        record_visit(city.worker_a, kp, method="fly", findings="")
    assert set(err.value.fields) == {"method", "findings"}
    assert not Visit.objects.exists()


def test_a_visit_keeps_its_photos_checked_by_content_and_refuses_anything_else(city, resident, keycats, client):
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    kp = listed(city, resident, keycats)
    png = image_bytes()
    visit = record_visit(city.worker_a, kp, method="in_person", findings="面访，情绪稳定",
                         photos=[SimpleUploadedFile("现场.png", png, content_type="image/png")])
    photo = visit.photos.get()
    stored = photo.file.open("rb").read()  # re-encoded: described by what is stored, not by what was sent
    assert (photo.content_type, photo.size, photo.sha256) == ("image/png", len(stored), hashlib.sha256(stored).hexdigest())
    assert photo.file.name.endswith(f"{photo.sha256}.png")
    client.force_login(city.worker_a)
    r = client.get(f"/registry/visit-photos/{photo.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == stored
    assert r["X-Content-Type-Options"] == "nosniff" and r["Content-Type"] == "image/png"
    with pytest.raises(ValidationFailed) as err:
        record_visit(city.worker_a, kp, method="in_person", findings="再次面访",
                     photos=[SimpleUploadedFile("x.jpg", b"MZ not an image", content_type="image/jpeg")])
    assert "photos" in err.value.fields and Visit.objects.count() == 1


def test_leaders_see_no_key_person_details(city, resident, keycats):
    listed(city, resident, keycats)
    assert not KeyPerson.objects.visible_to(city.leader_county).exists()
    assert KeyPerson.objects.visible_to(city.worker_a).count() == 1


def timezone_today():
    from django.utils import timezone

    return timezone.localdate()


def test_the_visit_sweep_command(city, resident, keycats, capsys):
    from django.core.management import call_command

    listed(city, resident, keycats, since=timezone_today() - timedelta(days=30))
    call_command("visit_sweep")
    assert "alerts=1" in capsys.readouterr().out

import importlib

import pytest
from django.db import IntegrityError, connection, transaction

from gridgov.points.models import Participant, PointEntry, PointRule

pytestmark = pytest.mark.django_db(transaction=True)


def _entry():
    who = Participant.objects.create(phone="13800138000")
    rule, _ = PointRule.objects.get_or_create(code="report_accepted", defaults={"name": "上报被受理", "points": 5})
    return PointEntry.objects.create(participant=who, rule=rule, points=5, source="event:1")


def test_the_database_refuses_to_update_or_delete_a_ledger_entry():
    entry = _entry()
    table = PointEntry._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET points = 500 WHERE id = %s", [entry.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table} WHERE id = %s", [entry.pk])
    assert PointEntry.objects.get(pk=entry.pk).points == 5


def test_the_same_source_cannot_be_awarded_twice_by_the_same_rule():
    entry = _entry()
    with pytest.raises(IntegrityError), transaction.atomic():
        PointEntry.objects.create(participant=entry.participant, rule=entry.rule, points=5, source="event:1")
    assert PointEntry.objects.count() == 1


def test_the_participant_is_keyed_by_the_phone_hash_and_the_phone_is_sealed():
    who = Participant.objects.create(phone="13800138000")
    assert "13800138000" not in who.phone_enc and who.phone == "13800138000"


def test_the_default_rules_are_installed_by_the_migration():
    from django.apps import apps

    importlib.import_module("gridgov.points.migrations.0002_default_rules").add_defaults(apps, None)
    rules = {r.code: (r.points, r.daily_cap) for r in PointRule.objects.all()}
    assert rules["report_accepted"] == (5, 20) and rules["followup_useful"][0] == 2
    assert rules["hazard_confirmed"][0] == 10


def test_the_admin_registers_a_volunteer_by_phone_and_refuses_a_phone_already_registered(db, client):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("root", password="x", role="admin")
    client.force_login(admin_user)
    form = {"kind": "volunteer", "name": "赵志愿", "phone_number": "139 0000 3333", "community": ""}
    assert client.post("/admin/points/participant/add/", form).status_code == 302
    who = Participant.objects.get()
    assert who.kind == "volunteer" and who.phone == "13900003333"
    again = client.post("/admin/points/participant/add/", form)
    assert again.status_code == 200 and "该手机号已登记为积分参与者" in again.content.decode()
    listing = client.get("/admin/points/participant/").content.decode()
    assert "赵**" in listing and "139****3333" in listing and "13900003333" not in listing


def test_a_rules_categories_must_be_known_codes(db):
    from django.core.exceptions import ValidationError

    from gridgov.events.taxonomy import install_default_categories

    install_default_categories()
    rule = PointRule(code="x", name="测试", points=1, categories="02, 0301")
    rule.clean()
    assert rule.categories == "02,0301" and rule.covers("0203") and rule.covers("0301") and not rule.covers("0302")
    rule.categories = "02,9999"
    with pytest.raises(ValidationError) as exc:
        rule.clean()
    assert "9999" in str(exc.value.message_dict["categories"])


def test_a_redemption_or_refund_cannot_be_written_twice_for_the_same_source():
    who = Participant.objects.create(phone="13800138001")
    PointEntry.objects.create(participant=who, rule=None, kind="refund", points=5, source="redemption:9")
    with pytest.raises(IntegrityError), transaction.atomic():
        PointEntry.objects.create(participant=who, rule=None, kind="refund", points=5, source="redemption:9")
    PointEntry.objects.create(participant=who, rule=None, kind="redeem", points=-5, source="redemption:9")
    assert PointEntry.objects.filter(participant=who).count() == 2

"""The append-only logs refuse UPDATE and DELETE in the database itself (raw SQL, not the ORM)."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gridgov.core import appendonly
from gridgov.core.models import AppendOnly
from gridgov.disputes.tests.conftest import make_dispute  # noqa: F401

EXPECTED = {
    "events_eventlog", "disputes_disputelog", "petitions_petitionlog", "registry_change", "registry_accesslog",
}


def _insert_row(model, city) -> int:
    """A minimal row of ``model`` written with raw SQL (so the test depends on no domain service)."""
    from gridgov.accounts.models import User

    user = User.objects.filter(role=User.Role.OPERATOR).first() or city.operator_a
    values = {}
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        if f.is_relation:
            if f.null:
                values[f.column] = None
            elif f.related_model._meta.label_lower == "accounts.user":
                values[f.column] = user.pk
            else:
                values[f.column] = _parent(f.related_model, city).pk
            continue
        values[f.column] = f.get_db_prep_save(f.get_default() if f.has_default() else _sample(f), connection)
    cols = ", ".join(connection.ops.quote_name(c) for c in values)
    marks = ", ".join(["%s"] * len(values))
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(values.values()))
        cur.execute(f"SELECT max(id) FROM {table}")
        return cur.fetchone()[0]


def _sample(field):
    from django.db import models

    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, (models.IntegerField, models.PositiveBigIntegerField)):
        return 1
    if isinstance(field, models.JSONField):
        return {}
    return "x"


def _parent(model, city):
    """The case a log row belongs to (an event, a dispute, a petition made by the ``cases`` fixture)."""
    obj = model.objects.first()
    assert obj is not None, f"the fixture made no {model.__name__}"
    return obj


@pytest.fixture
def cases(city, report, make_dispute):  # noqa: F811  (the fixture imported above)
    """One event, one dispute and one petition, each written through its service (so each log has rows)."""
    from gridgov.petitions import services

    data = services.PetitionInput(channel="visit", subject="物业乱收费", demands="要求退还多收的物业费",
                                  target_agency="某物业公司",
                                  petitioners=[services.PetitionerInput(name="王建国", phone="13800138000")])
    return report(), make_dispute(), services.create_petition(city.operator_a, data)


def test_every_append_only_model_is_protected_in_the_database(db):
    models = appendonly.protected_models()
    assert EXPECTED <= {m._meta.db_table for m in models}
    assert all(issubclass(m, AppendOnly) for m in models)
    assert appendonly.installed_tables(connection) == set(appendonly.protected_tables())


@pytest.mark.parametrize("table", sorted(EXPECTED))
def test_raw_sql_update_and_delete_are_refused_and_insert_still_works(city, cases, table):
    model = next(m for m in appendonly.protected_models() if m._meta.db_table == table)
    pk = _insert_row(model, city)  # insert works
    assert model.objects.filter(pk=pk).exists()
    qt = connection.ops.quote_name(table)
    text_col = next(f.column for f in model._meta.concrete_fields
                    if f.get_internal_type() in ("CharField", "TextField") and not f.choices)
    for statement, params in (
        (f"UPDATE {qt} SET {connection.ops.quote_name(text_col)} = %s WHERE id = %s", ["forged", pk]),
        (f"UPDATE {qt} SET {connection.ops.quote_name(text_col)} = %s", ["forged"]),
        (f"DELETE FROM {qt} WHERE id = %s", [pk]),
        (f"DELETE FROM {qt}", []),
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(statement, params)
    row = model.objects.get(pk=pk)
    assert getattr(row, text_col) != "forged"
    assert model.objects.count() >= 1


def test_the_bypass_is_only_seen_inside_its_own_transaction(city, cases):
    from gridgov.petitions.models import PetitionLog

    entry = PetitionLog.objects.first()
    with appendonly.bypass(connection), connection.cursor() as cur:
        cur.execute("UPDATE petitions_petitionlog SET note = %s WHERE id = %s", ["data migration", entry.pk])
    assert PetitionLog.objects.get(pk=entry.pk).note == "data migration"
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {appendonly.BYPASS_TABLE}")
        assert cur.fetchone()[0] == 0  # nothing left behind
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE petitions_petitionlog SET note = %s WHERE id = %s", ["later", entry.pk])


def test_a_failed_bypass_leaves_nothing_behind(city, cases):
    with pytest.raises(RuntimeError), appendonly.bypass(connection):
        raise RuntimeError("boom")
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {appendonly.BYPASS_TABLE}")
        assert cur.fetchone()[0] == 0


def test_install_is_idempotent(db):
    assert set(appendonly.install(connection)) == set(appendonly.protected_tables())
    assert set(appendonly.install(connection)) == set(appendonly.protected_tables())
    assert appendonly.installed_tables(connection) == set(appendonly.protected_tables())


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_logs_and_keeps_the_triggers(city, cases):
    """What the test runner does between transactional tests (DELETE FROM on SQLite, TRUNCATE on PostgreSQL)."""
    from gridgov.events.models import EventLog

    assert EventLog.objects.exists()
    call_command("flush", interactive=False, verbosity=0)
    assert not EventLog.objects.exists()
    assert appendonly.installed_tables(connection) == set(appendonly.protected_tables())
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {appendonly.BYPASS_TABLE}")
        assert cur.fetchone()[0] == 0

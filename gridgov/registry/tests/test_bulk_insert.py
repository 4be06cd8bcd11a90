"""``gridgov.core.bulkinsert.insert_rows`` against ``bulk_create``: the rows of the import's tables stored column by
column the same way (read back raw, without Django's field conversions), the keys returned in the rows' order,
the defaults and ``auto_now`` columns filled, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from gridgov.core import bulkinsert, crypto
from gridgov.registry.models import Address, Change, House, Residence, Resident

pytestmark = pytest.mark.django_db

CREATED = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
NOW = datetime(2026, 12, 3, 1, 2, 3, 456789, tzinfo=UTC)


def _raw(model, pks: list[int]) -> list[tuple]:
    """Every column but the key, as the database driver returns it, in the order of ``pks``."""
    qn = connection.ops.quote_name
    pk = model._meta.pk.column
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {qn(pk)}, {', '.join(qn(c) for c in columns)} FROM {qn(model._meta.db_table)} "
                       f"WHERE {qn(pk)} IN ({', '.join(['%s'] * len(pks))})", pks)
        found = {row[0]: row[1:] for row in cursor.fetchall()}
    return [found[p] for p in pks]


def _both_ways(model, rows: list[dict], extra: tuple[str, ...] = ()) -> tuple[list, list]:
    """``rows`` (constructor arguments by attribute name) stored by ``bulk_create`` and by ``insert_rows`` (the
    columns given, plus ``extra`` attributes of the instances: what a property like a sealed phone set), each
    from the same starting point; the stored rows both ways."""
    objs = [model(**row) for row in rows]  # once: a sealed phone's ciphertext is new on every encryption
    attnames = {f.attname for f in model._meta.concrete_fields}
    names = [n for n in dict.fromkeys(n for row in rows for n in row) if n in attnames] + list(extra)
    columns = {n: [getattr(o, n) for o in objs] for n in names}
    out = []
    for way in ("bulk_create", "insert_rows"):
        with transaction.atomic():
            if way == "bulk_create":
                pks = [o.pk for o in model.objects.bulk_create(objs)]
            else:
                pks = bulkinsert.insert_rows(model, len(objs), columns)
            out.append(_raw(model, pks))
            transaction.set_rollback(True)  # the next way starts from the same table (unique keys)
    return out[0], out[1]


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)  # auto_now (pre_save) and insert_rows read it here


def test_the_import_tables_are_stored_as_bulk_create_stores_them(city, frozen):
    region, grid = city.community_a, city.grid_a1
    address_rows = [
        {"code": "371502001001000901", "region_id": region.pk, "grid_id": grid.pk, "road": "东关街\t1号院",
         "building": "3", "unit": "2", "floor": "", "room": "301", "lng": 116.0051, "lat": 36.4049,
         "key": "371502001001|东关街\t1号院|3|2||301", "created_at": CREATED},
        {"code": "371502001001000902", "region_id": region.pk, "grid_id": None, "road": "back\\slash\nnewline",
         "building": "", "unit": "", "floor": "", "room": "", "lng": None, "lat": None, "key": "k2",
         "created_at": CREATED},
    ]
    bulk, rows = _both_ways(Address, address_rows)
    assert bulk == rows and len(rows) == 2

    addresses = Address.objects.bulk_create([Address(**r) for r in address_rows])
    house_rows = [{"address_id": addresses[0].pk},
                  {"address_id": addresses[1].pk, "structure": House.Structure.FRAME, "area": Decimal("85.30"),
                   "owner_name": "王五", "owner_phone": "13800001111"}]
    bulk, rows = _both_ways(House, house_rows, extra=("owner_phone_enc", "owner_phone_hash"))
    assert bulk == rows

    bulk, rows = _both_ways(House, [{"address_id": addresses[0].pk}])  # insert_rows fills the other columns
    assert bulk == rows

    houses = House.objects.bulk_create([House(address=a) for a in addresses])
    resident_rows = [
        {"name": "张三", "id_type": Resident.IdType.RIC, "id_number_enc": crypto.encrypt("37150219800101123X"),
         "id_hash": "h1", "id_masked": "371502********123X", "birth_date": date(1980, 1, 1), "sex": "M",
         "phone": "138 0000 1234", "household": Resident.Household.REGISTERED, "hukou_place": "山东省聊城市",
         "house_id": houses[0].pk, "region_id": region.pk, "grid_id": grid.pk, "relation": "户主",
         "moved_in": date(2020, 5, 6), "moved_out": None, "created_at": CREATED},
        {"name": "O'Neil", "id_type": "passport", "id_number_enc": "", "id_hash": "", "id_masked": "",
         "birth_date": None, "sex": "", "phone": "", "household": "floating", "hukou_place": "",
         "house_id": None, "region_id": region.pk, "grid_id": None, "relation": "", "moved_in": None,
         "moved_out": date(2024, 1, 1), "created_at": CREATED},
    ]
    bulk, rows = _both_ways(Resident, resident_rows, extra=("phone_enc", "phone_hash"))
    assert bulk == rows

    people = Resident.objects.bulk_create([Resident(**r) for r in resident_rows])
    bulk, rows = _both_ways(Residence, [
        {"resident_id": people[0].pk, "house_id": houses[0].pk, "relation": "户主", "moved_in": date(2020, 5, 6)},
        {"resident_id": people[1].pk, "house_id": houses[1].pk, "relation": "", "moved_in": None,
         "moved_out": date(2024, 1, 1)}])
    assert bulk == rows

    bulk, rows = _both_ways(Change, [
        {"model": "resident", "object_id": people[0].pk, "action": "create", "actor_id": city.admin.pk,
         "changes": {"name": [None, "张三"], "phone": [None, "138****1234"], "birth_date": [None, "1980"],
                     "nested": {"a": [1, 2.5, True, None]}, "quote": [None, 'say "hi"\t\\']},
         "source": "import:名单.xlsx", "created_at": CREATED},
        {"model": "house", "object_id": houses[0].pk, "action": "create", "actor_id": None, "changes": {},
         "source": "", "created_at": CREATED},
    ])
    assert bulk == rows


def test_a_model_whose_key_is_given_is_stored_as_bulk_create_stores_it(city):
    from gridgov.registry.models import ImportDigest

    people = [Resident.objects.create(name=f"人{i}", region=city.community_a, id_hash=f"h{i}") for i in range(3)]
    bulk, rows = _both_ways(ImportDigest, [{"resident_id": p.pk, "row": f"{i:024x}", "state": f"{i:016x}"}
                                           for i, p in enumerate(people)])
    assert bulk == rows and len(rows) == 3
    keys = bulkinsert.insert_rows(ImportDigest, 2, {"resident_id": [people[2].pk, people[0].pk], "row": ["b", "a"],
                                                    "state": "s"})
    assert keys == [people[2].pk, people[0].pk]
    assert dict(ImportDigest.objects.values_list("resident_id", "row")) == {people[0].pk: "a", people[2].pk: "b"}
    with pytest.raises(ValueError):  # the keys are not made up: one a row, given
        bulkinsert.insert_rows(ImportDigest, 1, {"row": ["c"], "state": ["s"]})


def test_keys_come_back_in_the_rows_order_and_defaults_are_filled(city):
    before = timezone.now()
    n = 1500  # more than one SQLite statement's worth of parameters in bulk_create
    pks = bulkinsert.insert_rows(Address, n, {
        "code": [f"37150200100108{i:04d}" for i in range(n)], "region_id": city.community_a.pk,
        "road": [f"路{i}" for i in range(n)], "key": [f"key-{i}" for i in range(n)]})
    after = timezone.now()
    assert len(set(pks)) == n
    stored = {a.pk: a for a in Address.objects.filter(pk__in=pks)}
    assert [stored[p].key for p in pks] == [f"key-{i}" for i in range(n)]
    first = stored[pks[0]]
    assert (first.grid_id, first.building, first.lng) == (None, "", None)
    assert before <= first.created_at <= after and before <= first.updated_at <= after
    # the next row through the ORM gets the next key: the table's sequence moved past the rows
    assert Address.objects.create(code="x", region=city.community_a, road="r", key="after").pk > max(pks)


def test_a_column_of_the_wrong_length_or_name_is_refused(city):
    with pytest.raises(ValueError):
        bulkinsert.insert_rows(Address, 2, {"code": ["a"], "region_id": city.community_a.pk, "road": "r",
                                            "key": ["a", "b"]})
    with pytest.raises(ValueError):
        bulkinsert.insert_rows(Address, 1, {"region": city.community_a.pk})
    assert bulkinsert.insert_rows(Address, 0, {}) == []

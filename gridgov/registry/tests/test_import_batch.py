"""The chunked fast path of the resident import (``excel.batch``) against the per-row path it stands in for:
the same database afterwards, the same report, nothing left by a chunk that failed, and a number of queries
per chunk that does not grow with the rows."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from gridgov.core import bulkinsert, crypto
from gridgov.registry.excel.importer import import_rows
from gridgov.registry.excel.rows import RowImporter
from gridgov.registry.models import Address, AddressSequence, Change, House, Residence, Resident, TransferRequest
from gridgov.registry.tests.test_excel import (
    COMMUNITY_A,
    COMMUNITY_B,
    GRID_A1,
    GRID_A2,
    RESIDENT_HEADERS,
    bad_checksum,
    make_id,
    resident_row,
    xlsx,
)

pytestmark = pytest.mark.django_db


def _sorted(rows) -> list:
    return sorted(rows, key=repr)  # None next to dates


def _state() -> dict:
    """The registry as natural keys (no primary keys: PostgreSQL does not roll its sequences back), history
    rows in the order they were written."""
    addr = dict(Address.objects.values_list("pk", "key"))
    house_key = {h: addr[a] for h, a in House.objects.values_list("pk", "address_id")}
    person = dict(Resident.objects.values_list("pk", "id_hash"))
    transfer = {t: (person[r], house_key[h]) for t, r, h in
                TransferRequest.objects.values_list("pk", "resident_id", "house_id")}

    def natural(model: str, pk: int):
        return {"address": addr, "house": house_key, "resident": person,
                "transferrequest": transfer}.get(model, {}).get(pk, pk)

    def changes(c: dict) -> dict:
        out = dict(c)
        for fk, model in (("house", "house"), ("address", "address"), ("resident", "resident")):
            if fk in out:
                out[fk] = [natural(model, v) if v else v for v in out[fk]]
        return out

    return {
        "addresses": _sorted(Address.objects.values_list("key", "code", "region_id", "grid_id", "road", "building",
                                                        "unit", "floor", "room", "lng", "lat")),
        "houses": _sorted((house_key[h.pk], h.structure, h.use, h.status, h.area, h.owner_name, h.owner_phone_hash)
                         for h in House.objects.all()),
        "residents": _sorted(
            (r.id_hash, r.name, r.id_type, r.id_masked, crypto.decrypt(r.id_number_enc), r.birth_date, r.sex,
             r.phone_hash, r.phone, r.household, r.hukou_place, house_key.get(r.house_id), r.region_id, r.grid_id,
             r.relation, r.moved_in, r.moved_out) for r in Resident.objects.all()),
        "stays": _sorted((person[s.resident_id], house_key[s.house_id], s.relation, s.moved_in, s.moved_out)
                        for s in Residence.objects.all()),
        "history": [(c.model, natural(c.model, c.object_id), c.action, c.actor_id, changes(c.changes), c.source)
                    for c in Change.objects.order_by("pk")],
        "transfers": _sorted((person[t.resident_id], house_key[t.house_id], t.status, t.source, str(t.values))
                            for t in TransferRequest.objects.all()),
        "sequences": _sorted(AddressSequence.objects.values_list("region_id", "last")),
    }


def _report(report) -> tuple:
    return (report.created, report.updated, report.unchanged, report.submitted, report.rejected,
            report.also_created, [(r.row, r.errors, r.values) for r in report.rejected_rows], report.summary())


def _both_ways(actor, path, **kw):
    """Import ``path`` by the per-row path and by the fast path, each from the same starting point (the first
    rolled back): the two reports and the two database states."""
    out = {}
    for batch in (False, True):
        with transaction.atomic():
            report = import_rows(actor, "residents", path, "same.xlsx", batch=batch, **kw)
            out[batch] = (_report(report), _state())
            if not batch:
                transaction.set_rollback(True)
    return out[False], out[True]


@pytest.fixture
def on_record(city, tmp_path):
    """People already registered by the per-row path: three in grid A1 (kept by township A), one in township B."""
    ids = {k: make_id(b) for k, b in (("same", "19700101"), ("phone", "19710202"), ("dup", "19720303"),
                                      ("b", "19730404"))}
    rows = [resident_row("原样", ids["same"], phone="13800000001", room="101"),
            resident_row("换号", ids["phone"], phone="13800000002", room="101"),
            resident_row("重复", ids["dup"], room="102")]
    import_rows(city.worker_a, "residents", xlsx(tmp_path, RESIDENT_HEADERS, rows, "base.xlsx"), batch=False)
    import_rows(city.operator_b, "residents", xlsx(tmp_path, RESIDENT_HEADERS, [resident_row(
        "柳园人", ids["b"], region=COMMUNITY_B, road="柳园路", grid="")], "b.xlsx"), batch=False)
    return ids


def person(name, number, relation="户主", **kw):
    row = resident_row(name, number, **kw)
    row[6] = relation
    return row


def mixed(tmp_path, ids):
    new = [make_id(f"198{i}0{i + 1}1{i}") for i in range(6)]
    rows = [
        resident_row("新人甲", new[0], phone="13900000001", room="201"),  # new, new address
        person("新人乙", new[1], "配偶", room="201"),  # new, same new address
        resident_row("原样", ids["same"], phone="13800000001", room="101"),  # unchanged
        resident_row("换号", ids["phone"], phone="13800009999", room="101"),  # changed phone
        resident_row("错校验", bad_checksum(new[2]), room="301"),  # rejected
        resident_row("新人丙", new[2], moved_in="2099-01-01", room="302"),  # rejected: future date
        resident_row("柳园人改", ids["b"], room="401"),  # kept in township B: a transfer request
        resident_row("新人丁", new[3], room="101", household="流动人口"),  # new, existing address and house
        person("新人甲", new[0], "户主", phone="13900000001", room="201"),  # duplicate: unchanged
        resident_row("新人戊", new[4], grid=GRID_A2, room="501"),  # rejected: not the worker's grid
        resident_row("新人己", new[5], room="202"),  # new
        resident_row("新人乙改", new[1], room="203"),  # duplicate, changed: moves to a new address
        resident_row("", new[2], room="303"),  # rejected: no name
        resident_row("重复", ids["dup"], room="102"),  # unchanged
    ]
    return xlsx(tmp_path, RESIDENT_HEADERS, rows, "mixed.xlsx")


@pytest.mark.parametrize("chunk", [500, 3])
def test_the_fast_path_leaves_the_database_and_the_report_as_the_per_row_path(city, on_record, tmp_path, chunk,
                                                                               monkeypatch):
    per_row = []
    real = RowImporter._row

    def spy(self, number, row):
        per_row.append((self.batch is not None, number))
        return real(self, number, row)

    monkeypatch.setattr(RowImporter, "_row", spy)
    (row_report, row_state), (fast_report, fast_state) = _both_ways(city.worker_a, mixed(tmp_path, on_record),
                                                                    chunk_size=chunk)
    # the fast path wrote the 4 new people and passed the 2 unchanged ones; the rest went row by row
    # (row 10 repeats row 2: in the same chunk it goes row by row; in a later chunk it is on record, unchanged)
    assert [n for fast, n in per_row if fast] == [5, 6, 7, 8] + ([10] if chunk > 9 else []) + [11, 13, 14]
    assert fast_report == row_report
    assert fast_state == row_state
    counts = fast_report[:5]
    assert counts == (0, 2, 3, 5, 4)  # updated: the changed phone and the moved duplicate; unchanged 3
    assert len(fast_state["transfers"]) == 1


def test_an_operator_and_an_administrator_get_the_per_row_outcome_too(city, on_record, tmp_path):
    path = mixed(tmp_path, on_record)
    for actor in (city.operator_a, city.admin):
        (row_report, row_state), (fast_report, fast_state) = _both_ways(actor, path)
        assert fast_report == row_report and fast_state == row_state


def test_a_file_with_errors_gets_the_per_row_report(city, tmp_path):
    ids = [make_id("19900101") for _ in range(4)]
    rows = [resident_row("好", ids[0]), resident_row("坏", bad_checksum(ids[1])),
            resident_row("外", ids[2], region=COMMUNITY_B, road="柳园路", grid=""),
            resident_row("没社区", ids[3], region="371502009009"), resident_row("没路", ids[3], road=""),
            resident_row("长", ids[3], unit="12345678901")]
    (row_report, _s), (fast_report, _f) = _both_ways(city.worker_a, xlsx(tmp_path, RESIDENT_HEADERS, rows))
    assert fast_report == row_report
    assert [r[0] for r in fast_report[6]] == [3, 4, 5, 6] + ([7] if connection.vendor == "postgresql" else [])


def _new_people(tmp_path, n: int, name: str):
    rows = [resident_row(f"人{i}", make_id(f"19{50 + i % 40}0{1 + i % 9}1{i % 9}"), room=str(100 + i // 3),
                         grid=GRID_A1 if i % 2 else "", region=COMMUNITY_A) for i in range(n)]
    return xlsx(tmp_path, RESIDENT_HEADERS, rows, name)


def test_a_chunk_that_fails_half_written_leaves_the_database_as_it_was(city, on_record, tmp_path, monkeypatch):
    before = _state()

    real = bulkinsert.insert_rows

    def broken(model, *args, **kwargs):
        if model is Residence:  # after addresses, houses and residents
            raise RuntimeError("the disk is gone")
        return real(model, *args, **kwargs)

    monkeypatch.setattr(bulkinsert, "insert_rows", broken)
    with pytest.raises(RuntimeError):
        import_rows(city.worker_a, "residents", _new_people(tmp_path, 30, "n.xlsx"))
    assert _state() == before


def test_a_database_error_in_a_chunk_falls_back_to_the_per_row_path(city, on_record, tmp_path, monkeypatch):
    path = mixed(tmp_path, on_record)
    with transaction.atomic():
        expected = _report(import_rows(city.worker_a, "residents", path, "same.xlsx", batch=False)), _state()
        transaction.set_rollback(True)
    calls = []
    real = bulkinsert.insert_rows

    def once(model, *args, **kwargs):
        if model is Change and not calls:
            calls.append(1)
            raise DatabaseError("serialization failure")
        return real(model, *args, **kwargs)

    monkeypatch.setattr(bulkinsert, "insert_rows", once)
    report = import_rows(city.worker_a, "residents", path, "same.xlsx")
    assert calls and (_report(report), _state()) == expected


def test_queries_per_chunk_do_not_grow_with_the_rows(city, tmp_path):
    def queries(n: int, name: str) -> int:
        path = _new_people(tmp_path, n, name)
        with CaptureQueriesContext(connection) as ctx:
            report = import_rows(city.admin, "residents", path, chunk_size=1000)
        assert report.submitted == n
        with CaptureQueriesContext(connection) as again:
            assert import_rows(city.admin, "residents", path, chunk_size=1000).unchanged == n
        return len(ctx), len(again)

    small, small_again = queries(10, "s.xlsx")
    big, big_again = queries(300, "b.xlsx")
    # bulk inserts are split by the database's parameter limit (SQLite: 999 a statement), nothing else grows
    assert big <= small + 20, (small, big)
    assert big_again <= small_again + 2, (small_again, big_again)
    assert big_again <= 8


def test_a_person_moved_away_is_not_unchanged(city, tmp_path):
    number = make_id("19660606")
    path = xlsx(tmp_path, RESIDENT_HEADERS, [resident_row("搬走", number)])
    import_rows(city.worker_a, "residents", path)
    Resident.objects.update(house=None, moved_out=date(2024, 1, 1))
    (row_report, row_state), (fast_report, fast_state) = _both_ways(city.worker_a, path)
    assert fast_report == row_report and fast_state == row_state
    assert fast_report[1] == 1  # updated: moved back in


def test_other_documents_and_rows_without_a_number_get_the_per_row_outcome(city, tmp_path):
    rows = [resident_row("护照人", "E12345678", id_type="护照"),
            resident_row("护照人", "E12345678", id_type="护照", room="102"),  # the same passport: moves
            resident_row("无号", "", id_type="护照", room="103")]  # no number: always a new record
    (row_report, row_state), (fast_report, fast_state) = _both_ways(
        city.worker_a, xlsx(tmp_path, RESIDENT_HEADERS, rows))
    assert fast_report == row_report and fast_state == row_state
    assert fast_report[3] == 2 and fast_report[1] == 1


def _with_sheet_cut(path, tmp_path, after_rows: int):
    """The same workbook with its sheet's XML broken off after ``after_rows`` rows (an intact archive)."""
    import re
    import zipfile

    out = tmp_path / f"cut-{after_rows}.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", item.filename):
                ends = [m.end() for m in re.finditer(rb"</row>", data)]
                data = data[:ends[after_rows - 1]] + b"<row r="  # not well formed from here on
            dst.writestr(item, data)
    return out


def test_a_truncated_file_is_refused_whole(city, on_record, tmp_path):
    from gridgov.registry.excel.columns import FileRejected

    path = _new_people(tmp_path, 12, "t.xlsx")
    cut = tmp_path / "truncated.xlsx"
    cut.write_bytes(path.read_bytes()[:-200])
    before = _state()
    with pytest.raises(FileRejected):
        import_rows(city.worker_a, "residents", cut)
    assert _state() == before


def test_a_sheet_broken_off_half_way_is_an_error_not_a_crash(city, on_record, tmp_path):
    from gridgov.core.errors import ValidationFailed
    from gridgov.registry.excel.columns import FileRejected

    path = _new_people(tmp_path, 30, "b.xlsx")
    broken = _with_sheet_cut(path, tmp_path, 22)  # the header row, then 21 people
    before, people = _state(), Resident.objects.count()
    # in one chunk: refused whole, nothing written
    with pytest.raises(FileRejected):
        import_rows(city.worker_a, "residents", broken, chunk_size=500)
    assert _state() == before
    # in chunks of 5: the chunks before the break are in, and the error says so
    with pytest.raises(ValidationFailed) as caught:
        import_rows(city.worker_a, "residents", broken, chunk_size=5)
    assert caught.value.code == "file_broken" and "此前的20行已按结果导入" in str(caught.value.message)
    assert Resident.objects.count() == people + 20


def test_a_sheet_read_by_a_second_process_imports_the_same(city, on_record, tmp_path):
    path = mixed(tmp_path, on_record)
    out = {}
    for reader_process in (False, True):
        with transaction.atomic():
            out[reader_process] = (_report(import_rows(city.worker_a, "residents", path, "same.xlsx", chunk_size=3,
                                                       reader_process=reader_process)), _state())
            transaction.set_rollback(True)
    assert out[True] == out[False]
    assert out[True][0][:5] == (0, 2, 3, 5, 4)


def test_a_sheet_broken_off_half_way_in_the_reader_process_is_the_same_error(city, on_record, tmp_path):
    from gridgov.core.errors import ValidationFailed
    from gridgov.registry.excel.columns import FileRejected

    broken = _with_sheet_cut(_new_people(tmp_path, 30, "b.xlsx"), tmp_path, 22)
    before, people = _state(), Resident.objects.count()
    with pytest.raises(FileRejected) as whole:
        import_rows(city.worker_a, "residents", broken, chunk_size=500, reader_process=True)
    assert "XMLSyntaxError" in str(whole.value) and _state() == before
    with pytest.raises(ValidationFailed) as caught:
        import_rows(city.worker_a, "residents", broken, chunk_size=5, reader_process=True)
    assert caught.value.code == "file_broken" and "此前的20行已按结果导入" in str(caught.value.message)
    assert Resident.objects.count() == people + 20


# -- who may write the people on record: the fast path answers it without visible_to's query


def _writers(city) -> dict:
    """Every kind of writer, and writers whose scope is odd: an operator of one community (the prefix is a whole
    code), a grid worker of the other grid of community A only, a grid worker with no grid, an inactive operator."""
    from gridgov.accounts.models import User
    from gridgov.regions.models import GridStaff

    a2 = User.objects.create_user(username="w_a2", password="x", role=User.Role.GRID_WORKER, region=city.township_a)
    GridStaff.objects.create(grid=city.grid_a2, user=a2, role=GridStaff.Role.WORKER)
    return {
        "admin": city.admin, "city_operator": city.city_operator, "county_operator": city.county_operator,
        "operator_a": city.operator_a, "operator_b": city.operator_b, "worker_a": city.worker_a,
        "worker_b": city.worker_b, "worker_a2": a2,
        "community_operator": User.objects.create_user(username="op_ca", password="x", role=User.Role.OPERATOR,
                                                       region=city.community_a),
        "gridless_worker": User.objects.create_user(username="w_none", password="x",
                                                    role=User.Role.GRID_WORKER, region=city.township_a),
        "inactive_operator": User.objects.create_user(username="op_off", password="x", role=User.Role.OPERATOR,
                                                      region=city.township_a, is_active=False),
        "leader_a": city.leader_a, "liaison": city.liaison_cg,
    }


def test_the_scope_of_people_on_record_is_what_visible_to_says(city, on_record):
    """``ResidentBatch._stored`` answers "may the importer write this person" from the row it read; the answer
    must be ``Resident.objects.visible_to(actor)``'s for every kind of actor and every place a record can be in:
    grids A1, A2 and B1, no grid, and the other township."""
    from types import SimpleNamespace

    from gridgov.registry.excel.batch import ResidentBatch

    people = list(Resident.objects.order_by("pk"))
    assert len(people) == 4
    Resident.objects.filter(pk=people[1].pk).update(grid=city.grid_a2)
    Resident.objects.filter(pk=people[2].pk).update(grid=None)
    hashes = [p.id_hash for p in people]
    seen = set()
    for name, actor in _writers(city).items():
        stored = ResidentBatch(SimpleNamespace(actor=actor, source="t"))._stored(hashes)
        assert {row["id_hash"] for row in stored.values()} == set(hashes)
        mine = {row["pk"] for row in stored.values() if row["mine"]}
        assert mine == set(Resident.objects.visible_to(actor).values_list("pk", flat=True)), name
        seen.add(frozenset(mine))
    assert len(seen) >= 5  # all, none, township A, township B, one grid … the case above are not all alike


@pytest.mark.parametrize("who", ["operator_b", "worker_b", "worker_a2", "county_operator", "community_operator",
                                 "gridless_worker", "inactive_operator"])
def test_writers_of_every_scope_get_the_per_row_outcome(city, on_record, tmp_path, who):
    """Out-of-scope people on record are refused (or asked for) exactly as the per-row path does."""
    actor = _writers(city)[who]
    (row_report, row_state), (fast_report, fast_state) = _both_ways(actor, mixed(tmp_path, on_record))
    assert fast_report == row_report and fast_state == row_state


@pytest.mark.parametrize("column, value", [(0, "改名"), (3, "13700000000"), (4, "流动人口"), (5, "山东省济南市"),
                                           (6, "配偶"), (13, "909"), (9, "西关街"), (14, GRID_A2)])
@pytest.mark.parametrize("who", ["admin", "operator_a", "worker_a"])
def test_a_changed_cell_is_not_taken_for_unchanged(city, tmp_path, who, column, value):
    number = make_id("19770707")
    actor = getattr(city, who)
    first = resident_row("原名", number, phone="13800000000")
    import_rows(city.admin, "residents", xlsx(tmp_path, RESIDENT_HEADERS, [first], "first.xlsx"))
    (same_row, _s), (same_fast, _f) = _both_ways(actor, xlsx(tmp_path, RESIDENT_HEADERS, [first], "same.xlsx"))
    assert same_fast == same_row and same_fast[2] == 1  # the row as it was is unchanged
    again = list(first)
    again[column] = value
    (row_report, row_state), (fast_report, fast_state) = _both_ways(
        actor, xlsx(tmp_path, RESIDENT_HEADERS, [again], "again.xlsx"))
    assert fast_report == row_report and fast_state == row_state
    assert fast_report[2] == 0 or column == 14  # never "unchanged" (a grid cell only names the address's grid)


# -- the planner's statistics (PostgreSQL)


def test_a_large_import_refreshes_the_statistics_of_the_tables_it_reads(city, tmp_path, settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "REGISTRY_IMPORT_ANALYZE_AFTER": 4}
    path = _new_people(tmp_path, 30, "n.xlsx")
    with CaptureQueriesContext(connection) as ctx:
        report = import_rows(city.admin, "residents", path, chunk_size=3)
    assert report.submitted == 30
    analyzed = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor != "postgresql":
        assert analyzed == []
        return
    # after 6 people (the first chunk past 4), 12, 24, and at the end (30: 6 since)
    assert len(analyzed) == 4 * 3 and {s.split()[1] for s in analyzed} == {
        '"registry_resident"', '"registry_address"', '"registry_house"'}
    with CaptureQueriesContext(connection) as again:
        assert import_rows(city.admin, "residents", path, chunk_size=3).unchanged == 30
    assert not [q for q in again.captured_queries if q["sql"].startswith("ANALYZE")]  # nothing added


# -- rows already read: the kept digests (ImportDigest)


@pytest.fixture
def vouched(monkeypatch) -> list:
    """How many rows each chunk counted unchanged by their kept digest (without reading them)."""
    from gridgov.registry.excel.batch import ResidentBatch

    counts: list[int] = []
    real = ResidentBatch._vouched

    def counting(self, chunk):
        digests, found = real(self, chunk)
        counts.append(len(found))
        return digests, found

    monkeypatch.setattr(ResidentBatch, "_vouched", counting)
    return counts


def test_a_second_import_of_the_same_file_reads_no_row_again(city, tmp_path, monkeypatch, vouched):
    from gridgov.registry.excel.batch import ResidentBatch
    from gridgov.registry.models import ImportDigest

    path = _new_people(tmp_path, 30, "n.xlsx")
    assert import_rows(city.admin, "residents", path, chunk_size=7).submitted == 30
    assert set(ImportDigest.objects.values_list("resident_id", flat=True)) == set(
        Resident.objects.values_list("pk", flat=True))

    def never(self, index, row):
        raise AssertionError(f"row {index} was read again")

    monkeypatch.setattr(ResidentBatch, "_prepare", never)
    for _ in range(2):
        vouched.clear()
        report = import_rows(city.admin, "residents", path, chunk_size=7)
        assert (report.unchanged, report.total) == (30, 30) and sum(vouched) == 30


def test_people_registered_another_way_get_their_digest_on_the_first_re_import(city, on_record, tmp_path, vouched):
    from gridgov.registry.models import ImportDigest

    rows = [resident_row("原样", on_record["same"], phone="13800000001", room="101"),
            resident_row("换号", on_record["phone"], phone="13800000002", room="101"),
            resident_row("重复", on_record["dup"], room="102")]
    path = xlsx(tmp_path, RESIDENT_HEADERS, rows, "base.xlsx")
    assert ImportDigest.objects.count() == 0  # the per-row path keeps none
    assert import_rows(city.worker_a, "residents", path).unchanged == 3 and vouched == [0]
    assert ImportDigest.objects.count() == 3
    assert import_rows(city.worker_a, "residents", path).unchanged == 3 and vouched == [0, 3]


def _since(city, change: str) -> None:
    """What may happen to the registry between two imports of the same file."""
    from gridgov.regions.models import Grid

    first = Resident.objects.filter(grid=city.grid_a1).order_by("pk").first()
    if change == "renamed":  # an edit of the record (by any path)
        first.name = "改过名"
        first.save()
    elif change == "new_phone":
        first.phone = "13911112222"
        first.save()
    elif change == "moved_away":
        Resident.objects.filter(pk=first.pk).update(house=None, moved_out=date(2024, 1, 1))
    elif change == "address_regridded":  # grids redrawn: the addresses of grid A1 are now in grid A2
        Address.objects.filter(grid=city.grid_a1).update(grid=city.grid_a2)
    elif change == "address_edited":
        Address.objects.filter(pk=first.house.address_id).update(key="changed")
    elif change == "grid_code_changed":  # the rows that name grid A1 no longer find it
        Grid.objects.filter(pk=city.grid_a1.pk).update(code="371502001001009")
    elif change == "one_general_grid":  # community A's rows without a grid now resolve to its only general grid
        Grid.objects.filter(pk=city.grid_a2.pk).update(active=False)
    elif change == "record_regridded":
        Resident.objects.filter(pk=first.pk).update(grid=city.grid_a2)
    elif change == "worker_left_grid":
        from gridgov.regions.models import GridStaff

        GridStaff.objects.filter(user=city.worker_a).delete()
    else:
        raise AssertionError(change)


@pytest.mark.parametrize("change", ["renamed", "new_phone", "moved_away", "address_regridded", "address_edited",
                                    "grid_code_changed", "one_general_grid", "record_regridded",
                                    "worker_left_grid"])
@pytest.mark.parametrize("who", ["admin", "worker_a"])
def test_a_digest_gone_stale_is_not_trusted(city, tmp_path, vouched, change, who):
    """Whatever changed since the digests were kept, the import's outcome is the per-row path's, and the rows the
    change touched are read again (half the rows name grid A1, half name no grid: community A has two general
    grids, so those are in none and not a grid worker's to keep)."""
    path = _new_people(tmp_path, 12, "n.xlsx")
    actor = getattr(city, who)
    assert import_rows(actor, "residents", path).submitted == 12
    with transaction.atomic():
        vouched.clear()
        before = import_rows(actor, "residents", path).unchanged
        assert sum(vouched) == before == (12 if who == "admin" else 6)
        transaction.set_rollback(True)
    _since(city, change)
    vouched.clear()
    (row_report, row_state), (fast_report, fast_state) = _both_ways(actor, path)
    assert fast_report == row_report and fast_state == row_state
    assert sum(vouched) <= fast_report[2]
    if change in ("renamed", "new_phone", "moved_away", "record_regridded"):  # one person is read again
        assert sum(vouched) == before - 1
    elif (change, who) == ("worker_left_grid", "admin"):
        assert sum(vouched) == before  # nothing the admin's rows depend on
    else:
        assert sum(vouched) < before


@pytest.mark.parametrize("who", ["operator_b", "worker_b", "worker_a2", "county_operator", "community_operator",
                                 "gridless_worker", "inactive_operator", "operator_a"])
def test_a_digest_vouches_only_for_a_writer_who_may_write_the_person(city, tmp_path, vouched, who):
    path = _new_people(tmp_path, 12, "n.xlsx")
    assert import_rows(city.admin, "residents", path).submitted == 12
    actor = _writers(city)[who]
    vouched.clear()
    (row_report, row_state), (fast_report, fast_state) = _both_ways(actor, path)
    assert fast_report == row_report and fast_state == row_state
    assert sum(vouched) == fast_report[2]  # those counted unchanged were the writer's to keep


def test_a_row_seen_twice_and_another_language_are_read_again(city, tmp_path, vouched):
    from django.utils import translation

    number = make_id("19880808")
    rows = [resident_row("两次", number), resident_row("两次", number), resident_row("另一人", make_id("19890909"))]
    path = xlsx(tmp_path, RESIDENT_HEADERS, rows, "twice.xlsx")
    import_rows(city.worker_a, "residents", path)
    vouched.clear()
    (row_report, row_state), (fast_report, fast_state) = _both_ways(city.worker_a, path)
    assert fast_report == row_report and fast_state == row_state
    assert fast_report[2] == 3 and sum(vouched) == 2  # the second row of the same person goes the per-row way
    vouched.clear()
    with translation.override("en"):  # the choice cells could mean something else: every row is read
        assert import_rows(city.worker_a, "residents", path).unchanged == 3
    assert sum(vouched) == 0


def test_a_digest_does_not_vouch_for_a_row_naming_a_grid_the_writer_may_not_use(city, tmp_path, vouched):
    """The record and its address are in grid A1, the row names grid A2 (a grid cell only names the grid of an
    address it creates): unchanged for the administrator, not for the worker of grid A1, digest or not."""
    first = resident_row("原名", make_id("19770707"))
    import_rows(city.admin, "residents", xlsx(tmp_path, RESIDENT_HEADERS, [first], "first.xlsx"))
    other = list(first)
    other[14] = GRID_A2
    path = xlsx(tmp_path, RESIDENT_HEADERS, [other], "a2.xlsx")
    assert import_rows(city.admin, "residents", path).unchanged == 1
    vouched.clear()
    assert import_rows(city.admin, "residents", path).unchanged == 1 and vouched == [1]
    vouched.clear()
    (row_report, row_state), (fast_report, fast_state) = _both_ways(city.worker_a, path)
    assert fast_report == row_report and fast_state == row_state
    assert fast_report[2] == 0 and vouched == [0]

"""The chunked fast path of the resident import: the rows of a chunk are read and checked in Python first, then
the database is asked once per kind (the communities and grids not cached yet, the residents by identity hash, their
houses' addresses, the addresses by key, the houses at them; which people on record the importer may write is
answered from the rows read, by :class:`~gridgov.registry.scope.RegistryScope`), and new people are written
with bulk inserts — addresses (codes reserved in blocks), houses, residents, stays and history rows.

Every row the fast path cannot vouch for goes through :class:`~gridgov.registry.excel.rows.RowImporter`'s own
per-row path, in file order: a row with any error (so the error report is the per-row path's), a person already
on record who would change or who is kept outside the importer's scope (a transfer request), a document seen
earlier in the same chunk, a row whose address or grid the importer may not use.  Before such a row the new
people gathered so far are written, so the rows change the database in the order of the file and the outcome is
the per-row path's.  A person on record whom the row would leave as they are is counted unchanged without a
write, compared by keyed hashes and stored values (nothing is decrypted).  Only new people are encrypted.

A row that an import has already read is not read again (:class:`~gridgov.registry.models.ImportDigest`): when the
fast path creates a person or finds one unchanged it keeps a keyed digest of the row (its cells, the column
mapping, the language) and one of the record and its address as the row left them.  In a later import a row with
a kept digest whose record still has that state — and whose community and grid resolve to the same ones, all of
them still the importer's to write — is counted unchanged straight away: one query a chunk, no parsing, checking
or hashing of its cells.  Every other row is read as above, so the outcome is the same either way."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import get_language

from gridgov.accounts.models import User
from gridgov.core import bulkinsert, crypto
from gridgov.core.errors import DomainError
from gridgov.core.oneof import one_of
from gridgov.regions.models import Grid, GridStaff, Region
from gridgov.registry.excel.cells import CellError, as_text
from gridgov.registry.excel.rows import _LRU, RowImporter
from gridgov.registry.models import Address, Change, House, ImportDigest, Residence, Resident
from gridgov.registry.scope import registry_scope
from gridgov.registry.services.access import check_grid_in_scope, check_region_in_scope
from gridgov.registry.services.addresses import address_key, reserve_address_codes
from gridgov.registry.services.history import creation_values
from gridgov.registry.services.residents import ResidentInput, _check_resident, new_resident_values

log = logging.getLogger(__name__)

_PART_MAX = {"building": 20, "unit": 10, "floor": 10, "room": 20}  # the columns' lengths (the service allows 20)
_CHOICES = {"id_type", "sex", "household"}  # columns of a few values, parsed once per value and chunk
DIGEST_VERSION = "1"  # part of every row digest: a change to what a row means makes the kept digests stale
# the record's columns a state digest covers: all that _unchanged compares, where the person lives and who keeps them
_STATE = ("id_type", "id_hash", "name", "birth_date", "sex", "phone_hash", "household", "hukou_place", "relation",
          "house_id", "grid_id", "region_id")


def _memoised(parse):
    """``parse`` remembering its answers to text cells (a cell it refuses is not remembered: it raises again)."""
    answers: dict[str, Any] = {}

    def parse_once(value):
        if type(value) is not str:
            return parse(value)
        answer = answers.get(value, answers)
        if answer is answers:
            answer = answers[value] = parse(value)
        return answer

    return parse_once


@dataclass
class _Row:
    index: int  # position in the chunk
    data: ResidentInput | None = None
    clean: dict | None = None
    id_hash: str = ""
    household_given: bool = False
    region: Region | None = None
    grid: Grid | None = None  # the grid the address service would resolve for the row
    road: str = ""
    parts: dict | None = None
    key: str = ""
    fast: bool = False
    vouched: bool = False  # unchanged by its digest (not read)


class ResidentBatch:
    """One per import (it keeps bounded caches of communities, grids and scope answers)."""

    def __init__(self, importer: RowImporter):
        self.imp = importer
        self.actor, self.source = importer.actor, importer.source
        self.regions = _LRU(8192)  # community code → Region | None
        self.default_grids = _LRU(8192)  # region id → the single general grid | None
        self.grids = _LRU(8192)  # (grid code, region id) → Grid | None
        self.scope = _LRU(16384)  # ("r" | "g", id) → may the importer write there
        self.registry_scope = registry_scope(self.actor)  # who may write the people on record
        self.inserted = 0  # people this import added by bulk insert (committed or not)
        self.analyzed_at = 0  # ... when the statistics were last refreshed
        self.vouched = 0  # rows counted unchanged by their digest, without being read
        self.digests: list[str] = []  # the current chunk's row digests
        self.staff_grids: set[int] | None = None  # a grid worker's grids, read once a chunk

    # -- the chunk

    def run(self, chunk: list[tuple[int, tuple]]) -> list:
        # what cannot differ between the rows of a chunk is worked out once for it: today's dates, the parsed
        # choice cells (the language does not change within a chunk), the address keys
        self.today = (date.today(), timezone.localdate())
        self.parsers = [(key, self.imp.positions.get(key), _memoised(parse) if key in _CHOICES else parse)
                        for key, parse in self.imp.RESIDENT_PARSERS.items()]
        self.address_keys: dict[tuple, str] = {}
        self.staff_grids: set[int] | None = None
        self.digests, vouched = self._vouched(chunk)
        self.vouched += len(vouched)
        rows = [_Row(i, id_hash=vouched[i], vouched=True) if i in vouched else self._prepare(i, row)
                for i, (_n, row) in enumerate(chunk)]
        self._resolve_places(rows)
        fast = [r for r in rows if r.fast]
        stored = self._stored([r.id_hash for r in fast])
        outcomes: list[Any] = [None] * len(chunk)
        pending: list[_Row] = []
        seen: set[str] = set()
        verified: list[ImportDigest] = []  # people found unchanged by reading their row: their digests

        def slow(i: int) -> None:
            self._write(pending, chunk, outcomes)
            pending.clear()
            outcomes[i] = self.imp._row(*chunk[i])

        for r in rows:
            first = r.id_hash not in seen
            if r.id_hash:
                seen.add(r.id_hash)
            if r.vouched and first:
                outcomes[r.index] = (chunk[r.index][0], "unchanged", [], chunk[r.index][1], {})
                continue
            if not (r.fast and first):
                slow(r.index)
                continue
            record = stored.get(r.id_hash)
            if record is None:
                pending.append(r)
            elif self._unchanged(r, record):
                outcomes[r.index] = (chunk[r.index][0], "unchanged", [], chunk[r.index][1], {})
                verified.append(ImportDigest(resident_id=record["pk"], row=self.digests[r.index], state=self._state(
                    record["pk"], tuple(record[f] for f in _STATE), record["house__address__key"],
                    record["house__address__grid_id"], r.region.pk, r.grid)))
            else:
                slow(r.index)
        self._write(pending, chunk, outcomes)
        if verified:  # kept for the next import of these rows (a stale digest of the person is replaced)
            ImportDigest.objects.bulk_create(verified, update_conflicts=True, unique_fields=["resident"],
                                             update_fields=["row", "state"])
        return outcomes

    # -- rows already read by an import

    def _vouched(self, chunk: list[tuple[int, tuple]]) -> tuple[list[str], dict[int, str]]:
        """The row digest of every row of the chunk, and the rows whose kept digest vouches that the row leaves its
        person as they are (position → identity hash): the same row (cells, column mapping, language) as when the
        person was last created or found unchanged, the record and its address in the same state, the row's
        community and grid resolving to the same ones, and the importer allowed to write the record, its address,
        the community and the grid now — every check the row would pass if it were read.  A digest kept for two
        people vouches for neither.  One query, plus the community and grid lookups of the fast path (cached)."""
        base = crypto.keyed_hasher("import-row", 12)
        base.update(repr((DIGEST_VERSION, get_language(), sorted(self.imp.positions.items()))).encode())
        digests = []
        for _n, row in chunk:
            h = base.copy()
            h.update(repr(row).encode())
            digests.append(h.hexdigest())
        scope = self.registry_scope
        names = ("row", "state", "resident_id", "resident__id_type", "resident__id_hash", "resident__name",
                 "resident__birth_date", "resident__sex", "resident__phone_hash", "resident__household",
                 "resident__hukou_place", "resident__relation", "resident__house", "resident__grid",
                 "resident__region", "resident__house__address__key", "resident__house__address__grid")
        if scope.region_prefix is not None:
            names += ("resident__region__code",)
        found: dict[str, tuple | None] = {}
        for values in ImportDigest.objects.filter(one_of("row", set(digests))).order_by().values_list(*names):
            found[values[0]] = None if values[0] in found else values
        candidates = {i: found[d] for i, d in enumerate(digests) if found.get(d) is not None}
        if not candidates:
            return digests, {}
        positions = self.imp.positions
        region_at, grid_at = positions.get("region"), positions.get("grid")

        def cell(row: tuple, i: int | None) -> str:
            return as_text(row[i]) if i is not None and i < len(row) else ""

        places = {i: (cell(chunk[i][1], region_at), cell(chunk[i][1], grid_at)) for i in candidates}
        self._load_places(set(places.values()))
        vouched: dict[int, str] = {}
        seen: set[str] = set()
        for i, values in candidates.items():
            place = self._place(*places[i])
            if place is None:
                continue
            region, grid = place
            state, pk, fields = values[1], values[2], values[3:15]
            key, address_grid = values[15], values[16]
            if not (self._may("r", region) and self._may("g", grid) and self._may_grid_id(address_grid)
                    and scope.allows(values[17] if len(values) > 17 else None, self._staff_grids(), fields[10])):
                continue
            if fields[1] not in seen and self._state(pk, fields, key, address_grid, region.pk, grid) == state:
                vouched[i] = fields[1]
            seen.add(fields[1])  # a person's later rows in the chunk go the per-row way (see run)
        return digests, vouched

    @staticmethod
    def _state(pk: int, fields: tuple, key: str | None, address_grid: int | None, region_pk: int,
               grid: Grid | None) -> str:
        """The state digest: the record's ``_STATE`` columns, its address's key and grid, the row's community and
        grid."""
        h = crypto.keyed_hasher("import-state", 8)
        h.update(repr((pk, fields, key, address_grid, region_pk, grid.pk if grid is not None else None)).encode())
        return h.hexdigest()

    def _staff_grids(self) -> set[int] | None:
        """The grids of a grid worker who imports (None for anyone else), read once a chunk."""
        scope = self.registry_scope
        if scope.grid_user is None:
            return None
        if self.staff_grids is None:
            self.staff_grids = set(GridStaff.objects.filter(user=scope.grid_user).values_list("grid_id", flat=True))
        return self.staff_grids

    # -- the planner's statistics (PostgreSQL)

    def committed(self, last: bool = False) -> None:
        """After a chunk (``last``: the import's last): on PostgreSQL, ANALYZE the tables the chunks' lookups read
        (residents by identity hash, addresses by key, houses at them) once the import has added
        ``REGISTRY_IMPORT_ANALYZE_AFTER`` people since the last time and at least as many as before it (10,000,
        20,000, 40,000 … with the default), and at the end when that many were added since.  Rows written by
        ``COPY`` are counted by no statistics until an ANALYZE: without them the planner takes the lookups of a
        chunk — 2,000 keys — for a large part of the table and scans residents, houses and addresses whole
        (the residents' lookup: 177 ms a chunk at 200,000 residents without statistics, 50 with them), in this
        import and in the next one, until autovacuum's ANALYZE comes (never on a server that runs without
        autovacuum, as the bench machine's does).  SQLite's planner takes the indexes for these lookups without
        statistics (its lookups a chunk: 6–8 ms), and keeps none it is not given."""
        every = settings.GRIDGOV.get("REGISTRY_IMPORT_ANALYZE_AFTER", 0)
        since = self.inserted - self.analyzed_at
        if not every or connection.vendor != "postgresql" or since < every or (
                not last and since < self.analyzed_at):
            return
        self.analyzed_at = self.inserted
        try:
            with transaction.atomic(), connection.cursor() as cursor:  # a savepoint when inside a transaction
                for model in (Resident, Address, House):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        except DatabaseError as exc:  # the rows are written; fresher statistics are only a help
            log.warning("registry import: could not ANALYZE: %s", exc)

    # -- reading and checking, no database

    def _prepare(self, index: int, row: tuple) -> _Row:
        out = _Row(index)
        width = len(row)
        try:  # the per-row path's cell parsers (RowImporter.RESIDENT_PARSERS)
            v = {key: parse(row[i] if i is not None and i < width else None) for key, i, parse in self.parsers}
        except CellError:
            return out  # the per-row path says what is wrong
        out.household_given = bool(v["household"])
        data = ResidentInput(
            name=v["name"], id_type=v["id_type"], id_number=v["id_number"], phone=v["phone"],
            household=v["household"] or Resident.Household.REGISTERED, hukou_place=v["hukou_place"],
            relation=v["relation"], moved_in=v["moved_in"], birth_date=v["birth_date"], sex=v["sex"])
        clean, errors = _check_resident(data, self.today)
        checked = clean["checked"]
        if checked is not None:
            out.id_hash = crypto.lookup_hash(f"{data.id_type}:{checked.number}")
        if errors or checked is None or len(clean["name"]) > 50:
            return out
        out.data, out.clean = data, clean
        road = (v["road"] or "").strip()
        parts = {n: (v[n] or "").strip() for n in _PART_MAX}
        if not road or len(road) > 100 or any(len(parts[n]) > m for n, m in _PART_MAX.items()):
            return out
        out.road, out.parts = road, parts
        out.fast = True
        out.region = v["region"]  # the code until _resolve_places
        out.grid = v["grid"]
        return out

    # -- communities and grids: one query per kind for what is not cached

    def _load_places(self, pairs: set[tuple[str, str]]) -> None:
        """Cache the communities and grids of these (community code, grid code) pairs: one query per kind for what
        is not cached yet."""
        codes = {code for code, _g in pairs if code and code not in self.regions}
        if codes:
            found = {g.code: g for g in Region.objects.filter(code__in=codes, level=Region.Level.COMMUNITY)}
            for code in codes:
                self.regions.put(code, found.get(code))
        resolved = [(region, grid) for region, grid in ((self.regions.get(c) if c else None, g) for c, g in pairs)
                    if region is not None]
        need_default = {region.pk for region, grid in resolved if not grid and region.pk not in self.default_grids}
        if need_default:
            single = {row["community"] for row in Grid.objects.filter(
                community__in=need_default, active=True, kind=Grid.Kind.GENERAL).values("community").annotate(
                n=Count("id")).filter(n=1)}
            grids = {g.community_id: g for g in Grid.objects.filter(
                community__in=single, active=True, kind=Grid.Kind.GENERAL)} if single else {}
            for pk in need_default:
                self.default_grids.put(pk, grids.get(pk))
        wanted = {(grid, region.pk) for region, grid in resolved if grid and (grid, region.pk) not in self.grids}
        if wanted:
            found_grids = {(g.code, g.community_id): g for g in Grid.objects.filter(
                code__in={c for c, _r in wanted}, community__in={p for _c, p in wanted})}
            for pair in wanted:
                self.grids.put(pair, found_grids.get(pair))

    def _place(self, code: str, grid_code: str) -> tuple[Region, Grid | None] | None:
        """The community and grid of a row (after :meth:`_load_places`): its grid when the row names one, else the
        community's single general grid (None when it has none or several); None when the community is unknown or
        has no grid of that code (the per-row path says so)."""
        region = self.regions.get(code) if code else None
        if region is None:
            return None
        if not grid_code:
            return region, self.default_grids.get(region.pk)
        grid = self.grids.get((grid_code, region.pk))
        return None if grid is None else (region, grid)

    def _resolve_places(self, rows: list[_Row]) -> None:
        fast = [r for r in rows if r.fast]
        self._load_places({(r.region, r.grid) for r in fast})
        for r in fast:
            place = self._place(r.region, r.grid)
            if place is None:
                r.fast = False
                continue
            r.region, r.grid = place
            if not (self._may("r", r.region) and self._may("g", r.grid)):
                r.fast = False
                continue
            parts = (r.region.code, r.road, *r.parts.values())
            key = self.address_keys.get(parts)
            if key is None:  # the rows of a household share their address: its key is worked out once
                key = self.address_keys[parts] = address_key(r.region, r.road, **r.parts)
            r.key = key

    def _may(self, kind: str, obj) -> bool:
        """The access checks of the address and resident services, cached per community and grid."""
        if obj is None:
            return True
        key = (kind, obj.pk)
        answer = self.scope.get(key)
        if answer is None:
            try:
                (check_region_in_scope if kind == "r" else check_grid_in_scope)(self.actor, obj)
                answer = True
            except DomainError:
                answer = False
            self.scope.put(key, answer)
        return answer

    def _may_grid_id(self, grid_id: int | None) -> bool:
        if grid_id is None:
            return True
        answer = self.scope.get(("g", grid_id))
        if answer is not None:
            return answer
        return self._may("g", Grid(pk=grid_id))  # the check needs the key only

    # -- people on record

    def _stored(self, hashes: list[str]) -> dict[str, dict]:
        """Residents of these identity hashes with what decides "unchanged" — their house's address key and grid
        too —, and whether the importer may write them (``mine``: what ``Resident.objects.visible_to(actor)``
        would keep, answered by :class:`~gridgov.registry.scope.RegistryScope` from the resident's region code and
        grid as read here; a grid worker's grids are one more small query).  Two queries, unordered: the residents,
        then their houses with the addresses.  On PostgreSQL the keys go as one array (``= ANY(%s)``), not as
        2,000 placeholders Django compiles and psycopg splits one by one.  (Before: the residents joined to houses
        and addresses, then ``visible_to`` by key — a hash join over every house and a second lookup of the
        residents, 50–70 ms a chunk of 2,000 on PostgreSQL with statistics, 180 without; one query with an
        ``EXISTS (visible_to …)`` column was tried before that: a scan of the whole table per chunk.)"""
        if not hashes:
            return {}
        scope = self.registry_scope
        names = ("pk", "id_type", "id_hash", "name", "birth_date", "sex", "phone_hash", "household", "hukou_place",
                 "relation", "house_id", "grid_id", "region_id")
        if scope.region_prefix is not None:
            names += ("region__code",)
        found = {row[2]: dict(zip(names, row, strict=True)) for row in Resident.objects.filter(
            one_of("id_hash", set(hashes))).order_by().values_list(*names)}
        if found:
            house_ids = {row["house_id"] for row in found.values()} - {None}
            places = {pk: (key, grid_id) for pk, key, grid_id in House.objects.filter(
                one_of("pk", house_ids)).order_by().values_list("pk", "address__key", "address__grid_id")
                      } if house_ids else {}
            grids = self._staff_grids()
            for row in found.values():
                row["house__address__key"], row["house__address__grid_id"] = places.get(row["house_id"], (None, None))
                row["mine"] = scope.allows(row.get("region__code"), grids, row["grid_id"])
        return found

    def _unchanged(self, r: _Row, record: dict) -> bool:
        """Would the per-row path leave this record as it is (its ``_save`` comparison)?"""
        data, clean = r.data, r.clean
        if not record["mine"] or record["id_type"] != data.id_type or record["house_id"] is None:
            return False
        if record["house__address__key"] != r.key or not self._may_grid_id(record["house__address__grid_id"]):
            return False
        phone = clean["phone"]
        household = data.household if r.household_given else record["household"]
        return (record["name"] == clean["name"] and record["birth_date"] == clean["birth_date"]
                and record["sex"] == clean["sex"] and household == record["household"]
                and (not phone or crypto.phone_hash(phone) == record["phone_hash"])
                and (data.hukou_place or record["hukou_place"] or "").strip()[:100] == record["hukou_place"]
                and (data.relation or record["relation"] or "").strip()[:20] == record["relation"])

    # -- bulk writes of new people

    def _write(self, rows: list[_Row], chunk: list, outcomes: list) -> None:
        while rows:
            # address key → (id, grid id)
            addresses = {key: (pk, grid_id) for key, pk, grid_id in Address.objects.select_for_update().filter(
                key__in={r.key for r in rows}).values_list("key", "pk", "grid_id")}
            # an existing address the importer may not use stops the batch: that row goes the per-row way
            stop = next((i for i, r in enumerate(rows) if r.key in addresses
                         and not self._may_grid_id(addresses[r.key][1])), len(rows))
            self._insert(rows[:stop], addresses, chunk, outcomes)
            if stop == len(rows):
                return
            i = rows[stop].index
            outcomes[i] = self.imp._row(*chunk[i])
            rows = rows[stop + 1:]

    def _insert(self, rows: list[_Row], addresses: dict[str, tuple[int, int | None]], chunk: list,
                outcomes: list) -> None:
        """Addresses, houses, residents, stays and history rows of new people, one insert per table
        (:func:`~gridgov.core.bulkinsert.insert_rows`: the rows ``bulk_create`` would store)."""
        if not rows:
            return
        made: dict[int, dict[str, int]] = {r.index: {} for r in rows}
        new_addresses: dict[str, _Row] = {}  # key → the row that makes it
        for r in rows:
            if r.key not in addresses and r.key not in new_addresses:
                new_addresses[r.key] = r
        counts: dict[int, int] = {}
        codes_of = {}
        for r in new_addresses.values():
            counts[r.region.pk] = counts.get(r.region.pk, 0) + 1
            codes_of[r.region.pk] = r.region.code
        codes = {region: iter(block) for region, block in reserve_address_codes(codes_of, counts).items()}
        address_values = [{"code": next(codes[r.region.pk]), "region_id": r.region.pk,
                           "grid_id": r.grid.pk if r.grid is not None else None, "road": r.road, **r.parts,
                           "lng": None, "lat": None, "key": r.key} for r in new_addresses.values()]
        keys = _insert(Address, address_values)
        for r, pk, values in zip(new_addresses.values(), keys, address_values, strict=True):
            addresses[r.key] = (pk, values["grid_id"])
            made[r.index]["address"] = 1
        houses = dict(House.objects.select_for_update().filter(
            address__in=[addresses[k][0] for k in {r.key for r in rows} if k not in new_addresses]).values_list(
            "address_id", "pk"))
        house_defaults = bulkinsert.defaults(House)
        new_houses: dict[int, _Row] = {}  # address id → the row that makes its house
        for r in rows:
            address_id = addresses[r.key][0]
            if address_id not in houses and address_id not in new_houses:
                new_houses[address_id] = r
                made[r.index]["house"] = 1
        house_values = [{**house_defaults, "address_id": a} for a in new_houses]
        houses.update(zip(new_houses, _insert(House, house_values, ["address_id"]), strict=True))
        people = [new_resident_values(r.data, r.clean, r.id_hash, houses[addresses[r.key][0]], r.region.pk,
                                      addresses[r.key][1]) for r in rows]
        person_keys = _insert(Resident, [p for p, _s in people])
        self.inserted += len(person_keys)
        _insert(ImportDigest, [], columns={
            "resident_id": person_keys, "row": [self.digests[r.index] for r in rows],
            "state": [self._state(pk, tuple(person[f] for f in _STATE), r.key, addresses[r.key][1], r.region.pk,
                                  r.grid) for r, (person, _stay), pk in zip(rows, people, person_keys, strict=True)]},
                n=len(rows))
        _insert(Residence, [{**stay, "resident_id": pk} for (_p, stay), pk in zip(people, person_keys, strict=True)])
        # the history rows in the per-row order: the row's new address, its new house, the person
        address_of = {r.index: (keys[i], address_values[i]) for i, r in enumerate(new_addresses.values())}
        house_of = {r.index: (houses[a], values) for (a, r), values in zip(new_houses.items(), house_values,
                                                                              strict=True)}
        history: list[tuple[str, int, dict]] = []
        for r, (person, _stay), pk in zip(rows, people, person_keys, strict=True):
            if r.index in address_of:
                key, values = address_of[r.index]
                history.append(("address", key, creation_values(Address, values.__getitem__)))
            if r.index in house_of:
                key, values = house_of[r.index]
                history.append(("house", key, creation_values(House, values.__getitem__, {"owner_phone": ""})))
            history.append(("resident", pk, creation_values(Resident, person.__getitem__,
                                                            {"phone": r.clean["phone"]})))
        _insert(Change, [], columns={
            "model": [m for m, _k, _c in history], "object_id": [k for _m, k, _c in history], "action": "create",
            "actor_id": self.actor.pk if isinstance(self.actor, User) else None,
            "changes": [c for _m, _k, c in history], "source": self.source[:32]}, n=len(history))
        for r in rows:
            number, row = chunk[r.index]
            outcomes[r.index] = (number, "submitted", [], row, made[r.index])


def _insert(model, rows: list[dict], names: list[str] | None = None, *, columns: dict | None = None,
            n: int | None = None) -> list[int]:
    """:func:`~gridgov.core.bulkinsert.insert_rows` of rows given as dicts (only the ``names`` columns, when
    given; the others take their defaults), or of ``columns`` as they are."""
    if columns is None:
        names = names if names is not None else list(rows[0]) if rows else []
        columns = {name: [row[name] for row in rows] for name in names}
        n = len(rows)
    return bulkinsert.insert_rows(model, n, columns)

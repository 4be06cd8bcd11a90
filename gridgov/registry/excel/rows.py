"""One row at a time through the registry services, per kind: every row in its own savepoint (a rejected row leaves
nothing, not even the address it would have made), a row that would change nothing rolled back and counted
as unchanged, rows committed in chunks; lookups cached in bounded LRUs."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.errors import DomainError
from gridgov.regions.models import Region
from gridgov.registry import identity
from gridgov.registry.excel.cells import (
    RISK_ALIASES,
    CellError,
    ChoiceParser,
    as_choice,
    as_date,
    as_document_number,
    as_id_type,
    as_int,
    as_key_flags,
    as_text,
)
from gridgov.registry.excel.columns import Column
from gridgov.registry.excel.report import ImportReport, RejectedRow
from gridgov.registry.models import House, KeyCategory, KeyPerson, Resident, RiskLevel, Unit
from gridgov.registry.services.access import in_scope
from gridgov.registry.services.addresses import AddressInput, address_key, get_or_create_address
from gridgov.registry.services.houses import save_house
from gridgov.registry.services.key_people import list_key_person
from gridgov.registry.services.residents import (
    ResidentInput,
    find_by_document,
    find_in_scope,
    register_resident,
    save_resident,
)
from gridgov.registry.services.units import UnitInput, save_unit

CACHE_SIZE = 20_000  # entries per lookup cache (LRU), so the caches stay bounded whatever the file size


class _Rejected(Exception):
    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(r for _c, r in errors))
        self.errors = errors


class _Unchanged(Exception):
    """Raised inside a savepoint to undo an identical re-save."""


def _state(obj) -> dict:
    """Comparable field values (normalized through the field, so 85.3 == Decimal('85.30'))."""
    if obj is None:
        return {}
    out = {}
    for f in obj._meta.concrete_fields:
        if f.name in ("updated_at", "id_number_enc"):  # ciphertext differs on every encryption; id_hash decides
            continue
        v = getattr(obj, f.attname)
        try:
            v = f.to_python(v)
        except Exception:  # noqa: BLE001 - comparison only
            pass
        out[f.attname] = v
    return out


class _LRU(OrderedDict):
    def __init__(self, size: int = CACHE_SIZE):
        super().__init__()
        self.size = size

    def get(self, key, default=None):
        if key in self:
            self.move_to_end(key)
            return self[key]
        return default

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


class RowImporter:
    def __init__(self, actor, kind: str, cols: list[Column], positions: dict[str, int], report: ImportReport,
                 source: str, categories: list[KeyCategory], *, batch: bool = True):
        self.actor, self.kind, self.report, self.source = actor, kind, report, source
        self.positions = positions  # column key → index in the file's rows
        self.by_key = {c.key: c for c in cols}
        self.field_columns = {f: c for c in cols for f in c.fields}
        self.header_of = {key: report.headers[i] for key, i in positions.items()}
        self.categories = {c.name: c for c in categories} | {c.code: c for c in categories}
        self.regions = _LRU(4096)
        self.addresses = _LRU()  # (address key, grid input) → Address
        self.houses = _LRU()  # address id → House
        self.workers = _LRU(4096)
        self.pending: list[tuple[_LRU, Any, Any]] = []  # cache entries made by the current row
        self.handler = getattr(self, f"_{kind}")
        self.batch = None
        if kind == "residents" and batch:
            from gridgov.registry.excel.batch import ResidentBatch  # it builds on this module

            self.batch = ResidentBatch(self)

    # -- plumbing

    def _header(self, key: str) -> str:
        if key in self.header_of:
            return str(self.header_of[key])
        col = self.by_key.get(key)
        return col.title if col else ""

    def _field_header(self, name: str) -> str:
        col = self.field_columns.get(name)
        if col is None and "." in name:
            col = self.field_columns.get(name.split(".")[0])
        return self._header(col.key) if col else ""

    def values(self, row: tuple) -> dict[str, Any]:
        return {key: (row[i] if i < len(row) else None) for key, i in self.positions.items()}

    def run(self, chunk: list[tuple[int, tuple]]) -> None:
        try:
            with transaction.atomic():
                results = self.batch.run(chunk) if self.batch else [self._row(n, row) for n, row in chunk]
        except DatabaseError:  # the chunk's commit failed: start clean and write row by row
            self._clear()
            results = [self._row(n, row) for n, row in chunk]
        for outcome in results:
            self._tally(outcome)
        if self.batch:
            self.batch.committed()

    def finish(self) -> None:
        """After the last chunk."""
        if self.batch:
            self.batch.committed(last=True)

    def _clear(self) -> None:
        for cache in (self.regions, self.addresses, self.houses, self.workers):
            cache.clear()

    def _row(self, number: int, row: tuple):
        values = self.values(row)
        self.pending = []
        self.made: dict[str, int] = {}
        try:
            with transaction.atomic():
                status = self.handler(values)
        except _Rejected as exc:
            return number, "rejected", exc.errors, row, {}
        except CellError as exc:
            return number, "rejected", [(self._header(exc.key), exc.reason)], row, {}
        except DomainError as exc:
            errors = [(self._field_header(name), str(msg)) for name, msgs in exc.fields.items() for msg in msgs]
            return number, "rejected", errors or [("", str(exc.message))], row, {}
        except DatabaseError as exc:
            return number, "rejected", [("", _("数据库写入失败：%(e)s") % {"e": str(exc)[:200]})], row, {}
        for cache, key, value in self.pending:
            cache.put(key, value)
        return number, status, [], row, self.made

    def _tally(self, outcome) -> None:
        number, status, errors, row, made = outcome
        if status == "rejected":
            self.report.rejected += 1
            self.report.rejected_rows.append(RejectedRow(number, errors, tuple(row)))
            return
        setattr(self.report, status, getattr(self.report, status) + 1)
        for k, n in made.items():
            self.report.also_created[k] = self.report.also_created.get(k, 0) + n

    def _save(self, before, save) -> tuple[Any, str]:
        """Run ``save()`` in a savepoint; undo it when the record came out identical."""
        old = _state(before)
        try:
            with transaction.atomic():
                obj, created = save()
                if not created and _state(obj) == old:
                    raise _Unchanged
        except _Unchanged:
            return before, "unchanged"
        return obj, "created" if created else "updated"

    def _collect(self, values: dict, parsers: dict, errors: list | None = None) -> dict:
        """Run every cell parser; all cell errors of the row are reported together (raised, or appended
        to ``errors`` when given, the failed cells then parse as blank)."""
        out, found = {}, []
        for key, parse in parsers.items():
            try:
                out[key] = parse(values.get(key))
            except CellError as exc:
                found.append((self._header(exc.key), exc.reason))
                out[key] = parse(None)
        if found and errors is None:
            raise _Rejected(found)
        if errors is not None:
            errors.extend(found)
        return out

    # -- lookups

    def _region(self, code: str) -> Region | None:
        region = self.regions.get(code)
        if region is None:
            region = Region.objects.filter(code=code, level=Region.Level.COMMUNITY).first()
            if region is not None:
                self.regions.put(code, region)
        return region

    def _address(self, v: dict):
        data = AddressInput(region=v["region"], road=v["road"], building=v["building"], unit=v["unit"],
                            floor=v["floor"], room=v["room"], grid=v["grid"])
        region = self._region(data.region) if data.region else None
        key = None
        if region is not None and data.road:
            key = (address_key(region, data.road, data.building, data.unit, data.floor, data.room),
                   data.grid)
            address = self.addresses.get(key)
            if address is not None:  # resolved (and scope-checked) by the service earlier in this import
                return address
        address, created = get_or_create_address(self.actor, data, source=self.source)
        if created:
            self.made["address"] = self.made.get("address", 0) + 1
        if key is not None:
            self.pending.append((self.addresses, key, address))
        return address

    def _house_at(self, address) -> House:
        house = self.houses.get(address.pk)
        if house is None:
            house = House.objects.select_related("address__region", "address__grid").filter(address=address).first()
            if house is None:
                house, _created = save_house(self.actor, address, source=self.source)
                self.made["house"] = self.made.get("house", 0) + 1
            self.pending.append((self.houses, address.pk, house))
        return house

    # -- kinds

    _ADDRESS_PARSERS = {k: as_text for k in ("region", "road", "building", "unit", "floor", "room", "grid")}

    RESIDENT_PARSERS = {
        **_ADDRESS_PARSERS,
        "name": as_text, "id_type": as_id_type, "id_number": as_document_number,
        "sex": ChoiceParser("sex", [("M", "男"), ("F", "女")]),
        "birth_date": lambda x: as_date(x, "birth_date"),
        "phone": as_text, "household": ChoiceParser("household", Resident.Household.choices),
        "hukou_place": as_text, "relation": as_text, "moved_in": lambda x: as_date(x, "moved_in"),
    }

    def _residents(self, values: dict) -> str:
        v = self._collect(values, self.RESIDENT_PARSERS)
        # only the importer's own record is updated; a number kept elsewhere becomes a transfer request
        before = find_in_scope(self.actor, v["id_type"], v["id_number"]) if v["id_number"] else None
        address = self._address(v)
        house = self._house_at(address)
        data = ResidentInput(
            name=v["name"], id_type=v["id_type"], id_number=v["id_number"], phone=v["phone"],
            household=v["household"] or (before.household if before else Resident.Household.REGISTERED),
            hukou_place=v["hukou_place"], relation=v["relation"], moved_in=v["moved_in"],
            birth_date=v["birth_date"], sex=v["sex"], house=house)
        if before is None:  # a new person or a transfer request: one count for both, like the API's 202
            register_resident(self.actor, data, source=self.source)
            return "submitted"
        _obj, status = self._save(before, lambda: save_resident(
            self.actor, data, resident=before, source=self.source))
        return status

    def _houses(self, values: dict) -> str:
        v = self._collect(values, {
            **self._ADDRESS_PARSERS,
            "structure": lambda x: as_choice(x, "structure", House.Structure.choices),
            "use": lambda x: as_choice(x, "use", House.Use.choices),
            "status": lambda x: as_choice(x, "status", House.Status.choices),
            "area": lambda x: None if x in (None, "") else x,
            "owner_name": as_text, "owner_phone": as_text,
        })
        address = self._address(v)
        before = House.objects.filter(address=address).first()
        _obj, status = self._save(before, lambda: save_house(
            self.actor, address, structure=v["structure"], use=v["use"], status=v["status"], area=v["area"],
            owner_name=v["owner_name"], owner_phone=v["owner_phone"], source=self.source))
        return status

    def _units(self, values: dict) -> str:
        v = self._collect(values, {
            **self._ADDRESS_PARSERS,
            "name": as_text, "uscc": lambda x: as_text(x).upper().replace(" ", ""),
            "kind": lambda x: as_choice(x, "kind", Unit.Kind.choices, Unit.Kind.ENTERPRISE),
            "legal_rep": as_text, "contact": as_text, "phone": as_text, "key_flags": as_key_flags,
            "employees": lambda x: as_int(x, "employees"),
        })
        address = self._address(v)
        before = None
        if v["uscc"]:
            try:
                before = Unit.objects.filter(uscc=identity.check_uscc(v["uscc"])).first()
            except ValueError:
                before = None  # the service says what is wrong with it
            if before is not None and not in_scope(self.actor, before):
                # never an update of another side's unit (a credit code is public: saying it is taken leaks nothing)
                raise _Rejected([(self._header("uscc"), _("该统一社会信用代码已登记"))])
        elif v["name"]:  # no credit code: the same name at the same address is the same unit
            before = Unit.objects.filter(uscc="", name=v["name"][:200], address=address).order_by("pk").first()
        data = UnitInput(name=v["name"], address=address, uscc=v["uscc"], kind=v["kind"],
                         legal_rep=v["legal_rep"], contact=v["contact"], phone=v["phone"],
                         key_flags=v["key_flags"], employees=v["employees"])
        _obj, status = self._save(before, lambda: save_unit(self.actor, data, unit=before,
                                                            source=self.source))
        return status

    def _key_persons(self, values: dict) -> str:
        attr_keys = [k for k in self.positions if k.startswith("attr:")]
        errors: list[tuple[str, str]] = []
        v = self._collect(values, {
            "name": as_text, "id_type": as_id_type, "id_number": as_document_number, "category": as_text,
            "risk_level": lambda x: RISK_ALIASES.get(as_text(x)) or as_choice(x, "risk_level", RiskLevel.choices),
            "worker": as_text, "since": lambda x: as_date(x, "since"), "note": as_text,
        }, errors)
        if any(c == self._header("id_number") for c, _r in errors):
            raise _Rejected(errors)
        if not v["id_number"]:
            raise _Rejected([(self._header("id_number"), _("请填写证件号码"))])
        resident = find_by_document(v["id_type"], v["id_number"])
        if resident is None or not Resident.objects.visible_to(self.actor).filter(pk=resident.pk).exists():
            raise _Rejected([(self._header("id_number"), _("未找到该证件号码对应的实有人口（或不在您的管辖范围内），请先登记实有人口"))])
        if v["name"] and v["name"] != resident.name:
            errors.append((self._header("name"), _("姓名与证件号码对应的人员（%(n)s）不一致") % {"n": resident.name}))
        category = self.categories.get(v["category"])
        if category is None:
            errors.append((self._header("category"), _("请填写有效的人员类别（%(c)s）") % {
                "c": "/".join(c.name for c in self.categories.values() if c.name == str(c.name))}))
        worker = None
        if v["worker"]:
            worker = self.workers.get(v["worker"])
            if worker is None:
                worker = User.objects.filter(username=v["worker"], is_active=True).first()
                if worker is not None:
                    self.workers.put(v["worker"], worker)
            if worker is None:
                errors.append((self._header("worker"), _("未找到用户名为“%(u)s”的在用账号") % {"u": v["worker"]}))
        if v["since"] and v["since"] > timezone.localdate():
            errors.append((self._header("since"), _("列管日期不能晚于今天")))
        attributes: dict[str, Any] = {}
        if category is not None:
            specs = {s.get("label", s["key"]): s for s in category.attributes}
            for key in attr_keys:
                raw = values.get(key)
                if raw is None or as_text(raw) == "":
                    continue
                label = self.by_key[key].attribute
                spec = specs.get(label)
                if spec is None:
                    errors.append((self._header(key), _("“%(cat)s”没有此项，请留空") % {"cat": category.name}))
                    continue
                try:
                    attributes[spec["key"]] = (as_date(raw, key) if spec.get("type") == "date"
                                               else as_int(raw, key) if spec.get("type") == "int" else as_text(raw))
                except CellError as exc:
                    errors.append((self._header(key), exc.reason))
        if errors:
            raise _Rejected(errors)
        before = KeyPerson.objects.filter(resident=resident, category=category, until__isnull=True).first()
        if before is not None:  # a blank cell keeps what is on record (as the other services do)
            attributes = {**before.attributes, **attributes}
        _obj, status = self._save(before, lambda: list_key_person(
            self.actor, resident, category,
            risk_level=v["risk_level"] or (before.risk_level if before else RiskLevel.LOW),
            attributes=attributes, worker=worker, since=v["since"],
            note=v["note"] or (before.note if before else ""), key_person=before, source=self.source))
        return status

"""Standard addresses: one place is one :class:`Address`, de-duplicated on its normalized parts, with a stable
code (community code + a sequence from a locked counter row) and its grid from its point."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from gridgov.core.errors import ValidationFailed
from gridgov.regions.models import Grid, Region
from gridgov.registry.models import Address, AddressSequence
from gridgov.registry.services.access import check_grid_in_scope, check_region_in_scope, require_writer
from gridgov.registry.services.history import record_change, snapshot

_SUFFIXES = ("号楼", "单元", "号", "栋", "幢", "座", "室", "层", "楼")


def _norm(part: str) -> str:
    s = unicodedata.normalize("NFKC", part or "").strip().lower().replace(" ", "")
    for suffix in _SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            s = s[: -len(suffix)]
            break
    return s


def address_key(region: Region, road: str, building: str, unit: str, floor: str, room: str) -> str:
    return "|".join([region.code] + [_norm(p) for p in (road, building, unit, floor, room)])


@dataclass
class AddressInput:
    region: str  # community code (12 digits)
    road: str
    building: str = ""
    unit: str = ""
    floor: str = ""
    room: str = ""
    lng: float | None = None
    lat: float | None = None
    grid: str = ""  # grid code, when there is no point


def _next_address_code(region: Region) -> str:
    seq, _created = AddressSequence.objects.select_for_update().get_or_create(region=region)
    AddressSequence.objects.filter(pk=seq.pk).update(last=F("last") + 1)
    seq.refresh_from_db(fields=["last"])
    return f"{region.code}{seq.last:06d}"


def reserve_address_codes(needed: dict[int, str], counts: dict[int, int]) -> dict[int, list[str]]:
    """Address codes in blocks: ``counts[region_id]`` new codes for each community (``needed[region_id]`` is its
    12-digit code), in the order :func:`_next_address_code` would hand them out one at a time.  Two queries
    whatever the number of regions: the missing counter rows inserted, then every counter moved on by its count
    in one UPDATE … RETURNING (which also locks the counters until the transaction ends)."""
    if not counts:
        return {}
    AddressSequence.objects.bulk_create([AddressSequence(region_id=r) for r in counts], ignore_conflicts=True)
    table = connection.ops.quote_name(AddressSequence._meta.db_table)
    last = connection.ops.quote_name("last")
    cases = " ".join("WHEN %s THEN %s" for _r in counts)
    params: list[int] = [v for item in counts.items() for v in item] + list(counts)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {last} = {last} + CASE region_id {cases} END "
                       f"WHERE region_id IN ({', '.join(['%s'] * len(counts))}) RETURNING region_id, {last}", params)
        ends = dict(cursor.fetchall())
    return {r: [f"{needed[r]}{n:06d}" for n in range(ends[r] - c + 1, ends[r] + 1)] for r, c in counts.items()}


def get_or_create_address(actor, data: AddressInput, source: str = "web") -> tuple[Address, bool]:
    """A standard address: de-duplicated on its normalized parts, geocoded to a grid by its point."""
    require_writer(actor)
    errors: dict[str, list[str]] = {}
    region = Region.objects.filter(code=(data.region or "").strip(), level=Region.Level.COMMUNITY).first()
    if region is None:
        errors["region"] = [_("请选择村(社区)")]
    road = (data.road or "").strip()
    if not road:
        errors["road"] = [_("请填写街路巷或小区名称")]
    elif len(road) > 100:
        errors["road"] = [_("不能超过100字")]
    for name in ("building", "unit", "floor", "room"):
        if len((getattr(data, name) or "").strip()) > 20:
            errors[name] = [_("不能超过20字")]
    if (data.lng is None) != (data.lat is None) or (
            data.lng is not None and not (-180 <= data.lng <= 180 and -90 <= data.lat <= 90)):
        errors["location"] = [_("经纬度无效")]
    if errors:
        raise ValidationFailed(_("地址信息有误"), errors)
    check_region_in_scope(actor, region)
    grid = None
    if data.lng is not None:
        from gridgov.regions.spatial import locate

        grid = locate(data.lng, data.lat)
        if grid is not None and grid.community_id != region.pk:
            raise ValidationFailed(_("定位点不在所选村(社区)内"), {"location": [
                _("定位点位于%(grid)s，不属于所选村(社区)") % {"grid": grid.name}]})
    if grid is None and data.grid:
        grid = Grid.objects.filter(code=data.grid.strip(), community=region).first()
        if grid is None:
            raise ValidationFailed(_("网格无效"), {"grid": [_("该村(社区)下没有这个网格")]})
    if grid is None:  # no point and no grid given: a community with a single grid decides by itself
        candidates = list(Grid.objects.filter(community=region, active=True, kind=Grid.Kind.GENERAL)[:2])
        grid = candidates[0] if len(candidates) == 1 else None
    check_grid_in_scope(actor, grid)
    parts = {n: (getattr(data, n) or "").strip() for n in ("building", "unit", "floor", "room")}
    key = address_key(region, road, **parts)
    with transaction.atomic():
        existing = Address.objects.select_for_update().filter(key=key).first()
        if existing is not None:
            # the place is already someone's: a grid worker may use (or re-point) it only in their own grids
            check_grid_in_scope(actor, existing.grid)
            if existing.lng is None and data.lng is not None:
                before = snapshot(existing)
                existing.lng, existing.lat, existing.grid = data.lng, data.lat, grid or existing.grid
                existing.save()
                record_change(existing, actor, before, source=source)
            return existing, False
        address = Address.objects.create(
            code=_next_address_code(region), region=region, grid=grid, road=road, lng=data.lng, lat=data.lat,
            key=key, **parts,
        )
        record_change(address, actor, None, source=source)
    return address, True

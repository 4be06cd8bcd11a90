"""Operations on regions and grids: what commands, the API and the admin call.

- :func:`import_divisions` — load one city's division tree from CSV files.
- :func:`import_grids` / :func:`export_grids` — grids as GeoJSON, lossless round trip.
- :func:`generate_demo_grids` — synthetic grid boundaries for the demo city.
- :func:`grids_at_points` — the grid of each of many points (the bulk lookup API).

Every import checks all of its input before writing anything and writes in one
transaction: a file with one bad line loads nothing.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import ValidationFailed
from gridgov.regions import spatial
from gridgov.regions.divisions import DIVISION_FILES, ImportRejected, RowError, read_city_divisions
from gridgov.regions.geojson import (
    FeatureError,
    GeometryError,
    GridRecord,
    check_feature,
    dumps_feature_collection,
    grid_feature,
    parse_feature_collection,
)
from gridgov.regions.models import CODE_LENGTHS, REGIONS, Grid, Region

# keep IN (...) lists well below SQLite's bound-parameter limit
IN_BATCH = 900
BULK_BATCH = 500


def _chunks(items: list, size: int = IN_BATCH) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class ImportCounts:
    """created / updated / unchanged, per level (regions) or in total (grids)."""

    by_level: dict[int, Counter] = field(default_factory=dict)

    def add(self, level: int, what: str, n: int = 1) -> None:
        self.by_level.setdefault(level, Counter())[what] += n

    def get(self, level: int, what: str) -> int:
        return self.by_level.get(level, Counter())[what]

    def total(self, what: str) -> int:
        return sum(c[what] for c in self.by_level.values())


# ---------------------------------------------------------------- divisions


def import_divisions(directory: Path | str, city_code: str) -> ImportCounts:
    """Load (or refresh) one city's province, city, counties, townships and communities.

    Idempotent: a second run creates nothing and only renames regions whose
    name changed in the files.  Regions in the database but not in the files
    are left alone.  Raises :class:`ImportRejected` listing every bad row
    (file, line, reason) — and then writes nothing.
    """
    data = read_city_divisions(directory, city_code)
    errors = list(data.errors)
    city_code = data.city_code
    if not errors:
        # a parent must be in the files or already in the database
        outside = sorted(
            {
                row.parent_code
                for level in range(2, 6)
                for row in data.rows[level].values()
                if row.parent_code not in data.rows[level - 1]
            }
            | ({city_code} - set(data.rows[2]))
        )
        in_db: set[str] = set()
        for chunk in _chunks(outside):
            in_db.update(Region.objects.filter(code__in=chunk).values_list("code", flat=True))
        if city_code not in data.rows[2] and city_code not in in_db:
            errors.append(RowError("cities.csv", 0, _("未找到城市 %(code)s") % {"code": city_code}))
        for spec in DIVISION_FILES[1:]:
            for row in data.rows[spec.level].values():
                parent = row.parent_code
                if parent not in data.rows[spec.level - 1] and parent not in in_db:
                    errors.append(RowError(row.filename, row.line, _("上级代码 %(code)s 不存在") % {"code": parent}))
    if errors:
        raise ImportRejected(errors)

    counts = ImportCounts()
    with transaction.atomic():
        existing = {r.code: r for r in Region.objects.filter(Q(code=city_code[:2]) | Q(code__startswith=city_code))}
        ids = {code: region.id for code, region in existing.items()}
        for level in sorted(CODE_LENGTHS):
            rows = data.rows[level]
            to_create, to_update = [], []
            for code, row in rows.items():
                parent_id = ids.get(row.parent_code) if row.parent_code else None
                region = existing.get(code)
                if region is None:
                    to_create.append(Region(code=code, name=row.name, level=level, parent_id=parent_id))
                elif (region.name, region.parent_id, region.level) != (row.name, parent_id, level):
                    region.name, region.parent_id, region.level = row.name, parent_id, level
                    to_update.append(region)
                else:
                    counts.add(level, "unchanged")
            Region.objects.bulk_create(to_create, batch_size=BULK_BATCH)
            Region.objects.bulk_update(to_update, ["name", "parent", "level"], batch_size=BULK_BATCH)
            counts.add(level, "created", len(to_create))
            counts.add(level, "updated", len(to_update))
            if to_create:  # ids for the next level (bulk_create does not return pks on every backend)
                scope = Region.objects.filter(level=level, code__startswith=city_code[: CODE_LENGTHS[level]])
                ids.update(scope.values_list("code", "id"))
        REGIONS.changed()  # the bulk writes send no signal
    return counts


# ---------------------------------------------------------------- grids


def _load_records(features: list) -> list[GridRecord]:
    errors, records, first_seen = [], [], {}
    for index, feature in enumerate(features, start=1):
        record, problems = check_feature(index, feature)
        errors.extend(problems)
        if record is None:
            continue
        if record.code in first_seen:
            errors.append(
                FeatureError(
                    index,
                    record.code,
                    _("编码重复（与第 %(first)d 个要素相同）") % {"first": first_seen[record.code]},
                )
            )
            continue
        first_seen[record.code] = index
        records.append(record)
    communities = {}
    wanted = sorted({r.community_code for r in records})
    for chunk in _chunks(wanted):
        communities.update(
            Region.objects.filter(level=Region.Level.COMMUNITY, code__in=chunk).values_list("code", "id")
        )
    for r in records:
        if r.community_code not in communities:
            errors.append(
                FeatureError(
                    r.index,
                    r.code,
                    _("村(社区) %(code)s 不存在，请先导入行政区划") % {"code": r.community_code},
                )
            )
        else:
            r.community_id = communities[r.community_code]
    if errors:
        errors.sort(key=lambda e: e.index)
        raise ImportRejected(errors)
    return records


def import_grids(text: str | bytes) -> ImportCounts:
    """Create or update grids from a GeoJSON FeatureCollection, matched by code.

    Properties: ``code`` (15 digits: community code + 3-digit sequence; the
    community must exist), ``name``, optional ``kind`` (general/dedicated or
    综合网格/专属网格), ``dedicated_type``, ``households``, ``active``.  An
    optional property that is absent leaves an existing grid's value as it is.
    Geometry: Polygon or MultiPolygon (holes allowed) or null.  All or nothing.
    Counts are reported under level 0.
    """
    try:
        features = parse_feature_collection(text)
    except GeometryError as exc:
        raise ImportRejected([str(exc)]) from exc
    records = _load_records(features)
    counts = ImportCounts()
    now = timezone.now()
    with transaction.atomic():
        existing: dict[str, Grid] = {}
        for chunk in _chunks([r.code for r in records]):
            existing.update((g.code, g) for g in Grid.objects.filter(code__in=chunk))
        to_create, to_update = [], []
        for r in records:
            grid = existing.get(r.code)
            if grid is None:
                to_create.append(
                    Grid(
                        code=r.code,
                        name=r.name,
                        kind=r.kind or Grid.Kind.GENERAL,
                        dedicated_type=r.dedicated_type or "",
                        community_id=r.community_id,
                        boundary=r.boundary,
                        households=r.households,
                        active=True if r.active is None else r.active,
                    )
                )
                continue
            before = _grid_state(grid)
            grid.name, grid.community_id, grid.boundary = r.name, r.community_id, r.boundary
            if r.kind is not None:
                grid.kind = r.kind
            if r.dedicated_type is not None:
                grid.dedicated_type = r.dedicated_type
            if r.households_given:
                grid.households = r.households
            if r.active is not None:
                grid.active = r.active
            if _grid_state(grid) == before:
                counts.add(0, "unchanged")
            else:
                grid.updated_at = now  # bulk_update does not apply auto_now
                to_update.append(grid)
        Grid.objects.bulk_create(to_create, batch_size=BULK_BATCH)
        Grid.objects.bulk_update(
            to_update,
            ["name", "kind", "dedicated_type", "community", "boundary", "households", "active", "updated_at"],
            batch_size=BULK_BATCH,
        )
        counts.add(0, "created", len(to_create))
        counts.add(0, "updated", len(to_update))
        transaction.on_commit(spatial.invalidate)
    return counts


def _grid_state(grid: Grid) -> tuple:
    return (grid.name, grid.kind, grid.dedicated_type, grid.community_id, grid.boundary, grid.households, grid.active)


def grids_under(region_code: str | None = None):
    """Grids whose code starts with ``region_code`` (all grids when empty), by code."""
    qs = Grid.objects.order_by("code")
    if region_code:
        qs = qs.filter(code__startswith=region_code)
    return qs


def export_grids(region_code: str | None = None) -> str:
    """All stored grids (active or not) under a region as a GeoJSON FeatureCollection.

    Sorted by code, fixed key order, one feature per line, coordinates exactly
    as stored: ``export(import(export(x))) == export(x)`` byte for byte.
    """
    if region_code and not (region_code.isascii() and region_code.isdigit()):
        raise ValidationFailed(_("区划代码应为数字"), fields={"region": [_("应为数字")]})
    return dumps_feature_collection([grid_feature(g) for g in grids_under(region_code).iterator(chunk_size=2000)])


# ---------------------------------------------------------------- demo grids

# where the synthetic demo layout is drawn: roughly the extent of 聊城
DEMO_EXTENT = (115.5, 36.0, 116.5, 37.0)
DEMO_DIGITS = 7  # ≈ 1 cm; rounding keeps neighbours' shared edges exactly equal
ORDINALS = "一二三四五六七八九十"
DEDICATED_SEQUENCE = "901"
COMMUNITY_SUFFIXES = (
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居民委员会", "社区"),
    ("居委会", "社区"),
    ("村民委员会", "村"),
    ("村民委员", "村"),
    ("村委会", "村"),
    ("村委", "村"),
)


def community_short_name(name: str) -> str:
    """古城社区居委会 → 古城社区, 王庄村委会 → 王庄村, 安洲新村村民委员 → 安洲新村."""
    for suffix, kind in COMMUNITY_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            return stem if stem.endswith(kind) else stem + kind
    return name


Box = tuple[float, float, float, float]  # min lng, min lat, max lng, max lat


def _edges(lo: float, hi: float, n: int) -> list[float]:
    inner = [round(lo + (hi - lo) * i / n, DEMO_DIGITS) for i in range(1, n)]
    return [lo, *inner, hi]


def _tile(box: Box, n: int) -> list[Box]:
    """Split ``box`` into ``n`` cells, row by row, as close to square on the ground as possible."""
    x0, y0, x1, y1 = box
    ground_w = (x1 - x0) * math.cos(math.radians((y0 + y1) / 2))
    cols = max(1, min(n, round(math.sqrt(n * ground_w / (y1 - y0)))))
    rows = math.ceil(n / cols)
    xs, ys = _edges(x0, x1, cols), _edges(y1, y0, rows)  # rows from north to south
    return [(xs[i % cols], ys[i // cols + 1], xs[i % cols + 1], ys[i // cols]) for i in range(n)]


def _rectangle(box: Box, hole: Box | None = None) -> dict:
    x0, y0, x1, y1 = box
    rings = [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]  # counter-clockwise shell
    if hole:
        hx0, hy0, hx1, hy1 = hole
        rings.append([[hx0, hy0], [hx0, hy1], [hx1, hy1], [hx1, hy0], [hx0, hy0]])  # clockwise hole
    return {"type": "Polygon", "coordinates": rings}


def _group(codes: Iterable[str], length: int) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for code in codes:
        groups.setdefault(code[:length], []).append(code)
    return groups


def demo_layout(community_codes: list[str], extent: Box = DEMO_EXTENT) -> dict[str, Box]:
    """A cell for every community: counties tile the extent, townships tile their county,
    communities tile their township, so neighbours in the tree are neighbours on the map."""
    cells: dict[str, Box] = {}
    counties = _group(sorted(community_codes), CODE_LENGTHS[3])
    for county_box, county_codes in zip(_tile(extent, len(counties)), counties.values(), strict=True):
        townships = _group(county_codes, CODE_LENGTHS[4])
        for township_box, codes in zip(_tile(county_box, len(townships)), townships.values(), strict=True):
            cells.update(zip(codes, _tile(township_box, len(codes)), strict=True))
    return cells


def generate_demo_grids(city_code: str, per_community: int = 1) -> dict[str, int]:
    """Create SYNTHETIC demo grids for every community of a city.

    Names and codes are real (the community's official code + ``001``/``002``,
    named "<community short name>第一网格"); the boundaries are NOT: they are
    rectangles laid out inside 聊城's rough extent (lng 115.5–116.5, lat
    36.0–37.0) by :func:`demo_layout`.  Each community's cell is cut into a west
    half (grid 001) and an east half (grid 002, only with ``per_community=2``),
    so a grid's rectangle depends on its code alone and runs with different
    arguments never overlap.  One dedicated grid (专属网格, a school, sequence
    ``901``) sits in a hole cut out of the first community's grid 001.

    Idempotent: existing codes are skipped, never changed.  Returns counts
    ``{"created", "skipped", "communities"}``.
    """
    if per_community not in (1, 2):
        raise ValidationFailed(_("每个村(社区)的网格数只能是 1 或 2"), fields={"per_community": [_("只能是 1 或 2")]})
    communities = list(
        Region.objects.filter(level=Region.Level.COMMUNITY, code__startswith=city_code)
        .order_by("code")
        .values_list("code", "name", "id")
    )
    if not communities:
        raise ValidationFailed(_("%(code)s 下没有村(社区)，请先导入行政区划") % {"code": city_code})
    cells = demo_layout([code for code, _name, _id in communities])
    existing = set(Grid.objects.filter(code__startswith=city_code).values_list("code", flat=True))
    first_code = communities[0][0]
    grids: list[Grid] = []
    for code, name, community_id in communities:
        x0, y0, x1, y1 = cells[code]
        mid = round((x0 + x1) / 2, DEMO_DIGITS)
        halves = [(x0, y0, mid, y1), (mid, y0, x1, y1)][:per_community]
        short = community_short_name(name)
        for seq, half in enumerate(halves, start=1):
            hole = _school_box(half) if code == first_code and seq == 1 else None
            grids.append(
                Grid(
                    code=f"{code}{seq:03d}",
                    name=f"{short}第{ORDINALS[seq - 1]}网格",
                    community_id=community_id,
                    boundary=_rectangle(half, hole),
                    households=_demo_households(code, seq),
                )
            )
        if code == first_code:
            x0, y0, x1, y1 = _school_box(halves[0])
            grids.append(
                Grid(
                    code=f"{code}{DEDICATED_SEQUENCE}",
                    name=f"{short}学校专属网格",
                    kind=Grid.Kind.DEDICATED,
                    dedicated_type=_("学校"),
                    community_id=community_id,
                    boundary=_rectangle((x0, y0, x1, y1)),
                    households=0,
                )
            )
    new = [g for g in grids if g.code not in existing]
    with transaction.atomic():
        Grid.objects.bulk_create(new, batch_size=BULK_BATCH)
        transaction.on_commit(spatial.invalidate)
    return {"created": len(new), "skipped": len(grids) - len(new), "communities": len(communities)}


def _school_box(box: Box) -> Box:
    """The middle third of a cell, where the demo school sits."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) / 3, (y1 - y0) / 3
    return (
        round(x0 + dx, DEMO_DIGITS),
        round(y0 + dy, DEMO_DIGITS),
        round(x1 - dx, DEMO_DIGITS),
        round(y1 - dy, DEMO_DIGITS),
    )


def _demo_households(code: str, seq: int) -> int:
    """A stable pseudo-random 300–500 (what one grid worker can walk)."""
    return 300 + zlib.crc32(f"{code}{seq}".encode()) % 201


BULK_LOOKUP_LIMIT = 10_000


def grids_at_points(points: list[tuple[float, float]]) -> list[dict | None]:
    """``{"id", "code", "name"}`` of the active grid holding each ``(lng, lat)``, or None, in order (rule in
    ``gridgov.regions.spatial``): one bulk index lookup and one query for the distinct grids hit."""
    if not points:
        return []
    array = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    ids = spatial.locate_many(array[:, 0], array[:, 1])
    hit = np.unique(ids[ids != spatial.NO_GRID]).tolist()
    grids = {}
    for start in range(0, len(hit), IN_BATCH):
        for pk, code, name in Grid.objects.filter(pk__in=hit[start:start + IN_BATCH], active=True) \
                .values_list("id", "code", "name"):
            grids[pk] = {"id": pk, "code": code, "name": name}
    return [grids.get(pk) for pk in ids.tolist()]

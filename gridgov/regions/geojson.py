"""Grid boundaries as GeoJSON: checking what comes in, writing what goes out.

A boundary is stored exactly as received — ``{"type": ..., "coordinates": ...}``
with the numbers untouched — so exporting gives back the same coordinates.
Other geometry members (``bbox``, ``crs``) are dropped on import.

Pure functions, no database: the services decide what exists.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.validation import explain_validity

from gridgov.regions.models import CODE_LENGTHS, GRID_CODE_LENGTH, Grid

GEOMETRY_TYPES = ("Polygon", "MultiPolygon")
KIND_ALIASES = {
    Grid.Kind.GENERAL.value: Grid.Kind.GENERAL,
    Grid.Kind.DEDICATED.value: Grid.Kind.DEDICATED,
    "综合网格": Grid.Kind.GENERAL,
    "专属网格": Grid.Kind.DEDICATED,
}
# the order of feature properties on export (stable, human-first)
PROPERTY_ORDER = ("code", "name", "kind", "dedicated_type", "households", "active")


class GeometryError(ValueError):
    """A boundary is not a usable Polygon/MultiPolygon; the message says why (Chinese)."""


@dataclass(frozen=True)
class FeatureError:
    index: int
    code: str
    reason: str

    def __str__(self) -> str:
        if self.code:
            return _("第 %(i)d 个要素（编码 %(code)s）：%(reason)s") % {
                "i": self.index,
                "code": self.code,
                "reason": self.reason,
            }
        return _("第 %(i)d 个要素：%(reason)s") % {"i": self.index, "reason": self.reason}


@dataclass
class GridRecord:
    """One checked feature.  ``None`` for an optional property means "not given"."""

    index: int
    code: str
    name: str
    kind: str | None
    dedicated_type: str | None
    households: int | None
    households_given: bool
    active: bool | None
    boundary: dict | None
    community_id: int | None = None  # filled in by the importer

    @property
    def community_code(self) -> str:
        return self.code[: CODE_LENGTHS[5]]


def _validity_reasons() -> dict[str, str]:
    """GEOS's reasons (English, with the location appended) in words an administrator reads."""
    return {
        "Ring Self-intersection": _("边界环自相交"),
        "Self-intersection": _("边界自相交"),
        "Hole lies outside shell": _("洞不在外环之内"),
        "Holes are nested": _("洞互相嵌套"),
        "Interior is disconnected": _("内部不连通（洞把多边形切开了）"),
        "Nested shells": _("多个多边形互相嵌套"),
        "Too few points": _("坐标点太少"),
        "Invalid Coordinate": _("坐标无效"),
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_ring(ring: Any, where: str) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise GeometryError(_("%(where)s 至少需要 4 个坐标点（首尾相同）") % {"where": where})
    for j, pos in enumerate(ring):
        if not isinstance(pos, list) or len(pos) not in (2, 3) or not all(_is_number(v) for v in pos):
            raise GeometryError(_("%(where)s 第 %(j)d 个坐标不是 [经度, 纬度] 数字") % {"where": where, "j": j + 1})
        lng, lat = pos[0], pos[1]
        if not -180 <= lng <= 180:
            raise GeometryError(_("%(where)s 经度 %(v)s 超出 [-180, 180]") % {"where": where, "v": lng})
        if not -90 <= lat <= 90:
            raise GeometryError(_("%(where)s 纬度 %(v)s 超出 [-90, 90]") % {"where": where, "v": lat})
    if ring[0] != ring[-1]:
        raise GeometryError(_("%(where)s 未闭合（首尾坐标不同）") % {"where": where})


def _check_polygon(rings: Any, where: str) -> None:
    if not isinstance(rings, list) or not rings:
        raise GeometryError(_("%(where)s 没有坐标环") % {"where": where})
    for k, ring in enumerate(rings):
        label = _("外环") if k == 0 else _("第 %(k)d 个内环（洞）") % {"k": k}
        _check_ring(ring, f"{where}{label}")


def check_boundary(geometry: Any) -> dict:
    """Return the boundary to store, or raise :class:`GeometryError` with the reason.

    Accepts a GeoJSON Polygon or MultiPolygon in WGS-84 (lng, lat), holes
    allowed; rings must be closed, coordinates in range, and the shape valid
    (no self-intersection, holes inside their shell, parts not overlapping).
    """
    if not isinstance(geometry, dict):
        raise GeometryError(_("几何对象应为 GeoJSON 对象"))
    kind = geometry.get("type")
    if kind not in GEOMETRY_TYPES:
        raise GeometryError(_("几何类型应为 Polygon 或 MultiPolygon，实际为 %(t)s") % {"t": kind})
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        _check_polygon(coords, "")
    else:
        if not isinstance(coords, list) or not coords:
            raise GeometryError(_("MultiPolygon 没有多边形"))
        for p, polygon in enumerate(coords):
            _check_polygon(polygon, _("第 %(p)d 个多边形的") % {"p": p + 1})
    boundary = {"type": kind, "coordinates": coords}
    try:
        geom = shape(boundary)
    except (ValueError, TypeError, shapely.errors.ShapelyError) as exc:
        raise GeometryError(_("几何对象无法解析：%(e)s") % {"e": exc}) from exc
    if not geom.is_valid:
        detail = explain_validity(geom)
        why = next((text for key, text in _validity_reasons().items() if detail.startswith(key)), "")
        raise GeometryError(_("几何对象无效：%(why)s（%(detail)s）") % {"why": why, "detail": detail})
    if geom.is_empty or geom.area == 0:
        raise GeometryError(_("几何对象面积为零"))
    return boundary


def _text(props: dict, key: str, errors: list[str], required: bool, max_length: int) -> str | None:
    value = props.get(key)
    if value is None:
        if required:
            errors.append(_("缺少属性 %(key)s") % {"key": key})
        return None
    if not isinstance(value, str):
        errors.append(_("属性 %(key)s 应为文本") % {"key": key})
        return None
    value = value.strip()
    if required and not value:
        errors.append(_("属性 %(key)s 为空") % {"key": key})
    if len(value) > max_length:
        errors.append(_("属性 %(key)s 超过 %(n)d 个字") % {"key": key, "n": max_length})
    return value


def check_feature(index: int, feature: Any) -> tuple[GridRecord | None, list[FeatureError]]:
    """Check one feature of an import file; ``index`` counts from 1."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, [FeatureError(index, "", _("不是 GeoJSON Feature"))]
    props = feature.get("properties")
    if not isinstance(props, dict):
        return None, [FeatureError(index, "", _("缺少 properties"))]
    reasons: list[str] = []
    code = props.get("code")
    if not isinstance(code, str) or not (code.isascii() and code.isdigit() and len(code) == GRID_CODE_LENGTH):
        reasons.append(_("网格编码应为 15 位数字（12 位村(社区)代码 + 3 位序号）"))
        code = code if isinstance(code, str) else ""
    name = _text(props, "name", reasons, required=True, max_length=100)
    kind = None
    if props.get("kind") is not None:
        kind = KIND_ALIASES.get(props["kind"]) if isinstance(props["kind"], str) else None
        if kind is None:
            reasons.append(_("类型应为 general/dedicated（综合网格/专属网格），实际为 %(k)s") % {"k": props["kind"]})
    dedicated_type = _text(props, "dedicated_type", reasons, required=False, max_length=32)
    households = props.get("households")
    if households is not None and (not isinstance(households, int) or isinstance(households, bool) or households < 0):
        reasons.append(_("户数应为非负整数"))
    active = props.get("active")
    if active is not None and not isinstance(active, bool):
        reasons.append(_("active 应为 true 或 false"))
    boundary = None
    if "geometry" not in feature:
        reasons.append(_("缺少 geometry"))
    elif feature["geometry"] is not None:
        try:
            boundary = check_boundary(feature["geometry"])
        except GeometryError as exc:
            reasons.append(str(exc))
    if reasons:
        return None, [FeatureError(index, code, r) for r in reasons]
    record = GridRecord(
        index=index,
        code=code,
        name=name or "",
        kind=kind,
        dedicated_type=dedicated_type,
        households=households,
        households_given="households" in props,
        active=active,
        boundary=boundary,
    )
    return record, []


def parse_feature_collection(text: str | bytes) -> list[Any]:
    """The features of a GeoJSON FeatureCollection; NaN/Infinity are refused."""

    def refuse(constant):
        raise GeometryError(_("不允许的数值 %(c)s") % {"c": constant})

    try:
        data = json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise GeometryError(
            _("不是有效的 JSON：第 %(line)d 行第 %(col)d 列 %(msg)s")
            % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
        ) from exc
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise GeometryError(_("文件应为 GeoJSON FeatureCollection"))
    return data["features"]


def grid_feature(grid: Grid) -> dict:
    """A grid as a GeoJSON Feature with a fixed key order (what export writes)."""
    values = {
        "code": grid.code,
        "name": grid.name,
        "kind": grid.kind,
        "dedicated_type": grid.dedicated_type,
        "households": grid.households,
        "active": grid.active,
    }
    geometry = None
    if grid.boundary:
        # rebuild in a fixed key order: PostgreSQL jsonb does not keep the order it was given
        geometry = {"type": grid.boundary["type"], "coordinates": grid.boundary["coordinates"]}
    return {"type": "Feature", "properties": {k: values[k] for k in PROPERTY_ORDER}, "geometry": geometry}


def dumps_feature_collection(features: list[dict], **members: Any) -> str:
    """One feature per line: stable, diff-friendly, byte-identical for identical data."""

    def dump(obj):
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)

    head = '{"type":"FeatureCollection"'
    for key, value in members.items():
        head += f",{dump(key)}:{dump(value)}"
    if not features:
        return head + ',"features":[]}\n'
    return head + ',"features":[\n' + ",\n".join(dump(f) for f in features) + "\n]}\n"

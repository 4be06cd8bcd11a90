"""Regions and grids API: point-to-grid lookup, region tree, grid map layer.  Thin: calls services/spatial."""

from __future__ import annotations

import json
from typing import Annotated

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from gridgov.accounts.auth import api_auth, public_auth
from gridgov.accounts.models import User
from gridgov.accounts.scope import region_scope_q
from gridgov.core import throttle
from gridgov.core.api_types import Error
from gridgov.core.errors import Forbidden
from gridgov.regions import outlines, spatial
from gridgov.regions.geojson import dumps_feature_collection, grid_feature
from gridgov.regions.models import Region
from gridgov.regions.outlines import MAX_BBOX_SPAN, SPAN_SLACK, outline_spans  # the views' limits, in degrees
from gridgov.regions.services import BULK_LOOKUP_LIMIT, grids_at_points, grids_under

router = Router(tags=["区划与网格"], auth=api_auth)

GEOJSON_LIMIT = 5000
REGION_CODE_PATTERN = r"^\d{2,12}$"
# public map data (a citizen's page asks it without an account): per visitor address, or per signed-in user
PUBLIC_MAP_REQUESTS = 600  # in 10 minutes: a map asks once per pan or zoom


def throttle_public(request, scope: str, limit: int, window_s: int = 600) -> None:
    """Count a public map request: per user when signed in, else per client address (429 past ``limit``)."""
    user = getattr(request, "auth", None)
    who = f"user:{user.pk}" if getattr(user, "is_authenticated", False) else throttle.client_ip(request)
    throttle.check(scope, who, limit, window_s)


class LookupParams(Schema):
    lng: float = Field(..., ge=-180, le=180, allow_inf_nan=False, description="经度 WGS-84")
    lat: float = Field(..., ge=-90, le=90, allow_inf_nan=False, description="纬度 WGS-84")


Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]


class BulkLookupIn(Schema):
    points: list[tuple[Longitude, Latitude]] = Field(
        ..., min_length=1, max_length=BULK_LOOKUP_LIMIT,
        description=f"坐标列表 [[经度, 纬度], …]（WGS-84），至多 {BULK_LOOKUP_LIMIT} 个",
        examples=[[[115.985, 36.457], [116.002, 36.401]]],
    )


class BulkGrid(Schema):
    id: int
    code: str
    name: str


class BulkLookupOut(Schema):
    grids: list[BulkGrid | None]


# who may geocode in bulk (imports, reports): the centers, grid workers, leaders and administrators
BULK_LOOKUP_ROLES = (User.Role.ADMIN, User.Role.OPERATOR, User.Role.GRID_WORKER, User.Role.LEADER)


class GridBrief(Schema):
    code: str
    name: str
    kind: str


class RegionBrief(Schema):
    code: str
    name: str


class LookupOut(Schema):
    grid: GridBrief | None
    region: RegionBrief | None


class RegionOut(Schema):
    code: str
    name: str
    level: int


class RegionListParams(Schema):
    parent: str | None = Field(None, pattern=REGION_CODE_PATTERN, description="上级区划代码；不填则列出最上级")


class OutlineParams(Schema):
    township: str | None = Field(None, pattern=r"^\d{9}$", description="乡镇(街道)代码：该乡镇的村(社区)与网格")
    bbox: str | None = Field(None, max_length=100, description="范围 west,south,east,north（WGS-84，跨度至多 1 度）")
    grids: bool = Field(True, description="是否包含网格（范围跨度超过 0.25 度时只给村(社区)）")

    @field_validator("bbox")
    @classmethod
    def _bbox(cls, value):
        if value is None:
            return None
        try:
            w, s, e, n = (float(x) for x in value.split(","))
        except ValueError:
            raise ValueError("范围应为 west,south,east,north 四个数字") from None
        if not all(abs(x) < float("inf") for x in (w, s, e, n)) or not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise ValueError("范围无效：应为 west,south,east,north，且 west<east、south<north")
        if e - w > MAX_BBOX_SPAN or n - s > MAX_BBOX_SPAN:
            raise ValueError("范围过大：跨度不能超过 1 度，请放大地图")
        return value

    def box(self) -> tuple[float, float, float, float] | None:
        return tuple(float(x) for x in self.bbox.split(",")) if self.bbox else None


class GeoJsonParams(Schema):
    region: str | None = Field(None, pattern=REGION_CODE_PATTERN, description="区划代码前缀")


@router.get("/grids/lookup", response={200: LookupOut, 429: Error}, auth=public_auth,
            summary="坐标所在网格 / grid at a point")
def grid_lookup(request, params: Query[LookupParams]):
    """The active grid covering the point (edges and holes: see ``gridgov.regions.spatial``).

    A point in no grid is a normal answer: ``{"grid": null, "region": null}``.
    Anyone may ask, a citizen's report page too (grid names and codes are public, 公示); visitors without an
    account are rate-limited per address (429).
    """
    throttle_public(request, "map-lookup", PUBLIC_MAP_REQUESTS)
    grid = spatial.locate(params.lng, params.lat)
    if grid is None:
        return {"grid": None, "region": None}
    return {"grid": grid, "region": grid.community}


@router.post("/grids/lookup/bulk", response={200: BulkLookupOut, 403: Error, 422: Error},
             summary="批量坐标定位网格 / grids at many points")
def grid_lookup_bulk(request, payload: BulkLookupIn):
    """The active grid covering each point, in the order given (``null`` for a point in no grid): the same
    answers as ``GET /grids/lookup`` point by point.  At most 10,000 points a request; a bad point is a 422
    naming it (``points.3.0``: the fourth point's longitude).  For the centers, grid workers, leaders and
    administrators (403 otherwise)."""
    user = request.auth
    if not (user.is_superuser or user.role in BULK_LOOKUP_ROLES):
        raise Forbidden(_("批量定位仅对综治中心、网格员、领导和系统管理员开放"), code="not_permitted")
    return {"grids": grids_at_points(payload.points)}


@router.get("/regions", response={200: list[RegionOut], 429: Error}, auth=public_auth,
            summary="下级行政区划 / child regions")
def region_children(request, params: Query[RegionListParams]):
    """Children of ``parent`` (the top level when omitted).  Division names are public (国家统计局), so
    anyone may browse the tree — a citizen choosing the township and community of a dispute too (visitors
    rate-limited per address, 429)."""
    throttle_public(request, "map-regions", PUBLIC_MAP_REQUESTS)
    if params.parent:
        return list(Region.objects.filter(parent__code=params.parent).order_by("code"))
    return list(Region.objects.filter(parent__isnull=True).order_by("code"))


@router.get("/grids.geojson", summary="网格边界图层 / grid layer (GeoJSON)")
def grid_layer(request, params: Query[GeoJsonParams]):
    """Active grids under ``region`` that the user may see, as a FeatureCollection
    (at most 5000 features, by code; ``"truncated": true`` when there were more)."""
    qs = grids_under(params.region).filter(active=True).filter(region_scope_q(request.auth, "code"))
    grids = list(qs[: GEOJSON_LIMIT + 1])
    truncated = len(grids) > GEOJSON_LIMIT
    body = dumps_feature_collection([grid_feature(g) for g in grids[:GEOJSON_LIMIT]], truncated=truncated)
    return HttpResponse(body, content_type="application/geo+json; charset=utf-8")


@router.get("/regions/outlines", response={200: None, 422: Error, 429: Error}, auth=public_auth,
            summary="村(社区)边界与网格名称图层 / community outlines and grid labels (GeoJSON)")
def region_outlines(request, params: Query[OutlineParams]):
    """For a map without tiles: the communities of a township (``township``) or of a view (``bbox``) — each the
    union of its grids, simplified — and their grids, each Feature with ``properties`` ``kind``
    (``community`` / ``grid``), ``code``, ``name`` and ``label`` (``[lng, lat]`` inside it, where to write the
    name).  One of ``township`` and ``bbox`` is required.  Signed in, a view may span 1° and has grids up to
    0.25°; a visitor's at most 0.25° (else 422), with grids up to 0.1°.  The collection says ``"grids": false``
    when the view was too large for grids, and ``"truncated": true`` past 3000 features.  Public like the division
    names; visitors rate-limited per address (429)."""
    from gridgov.core.errors import ValidationFailed

    if not params.township and not params.bbox:
        raise ValidationFailed("请指定乡镇(街道)或地图范围", {"bbox": ["请指定乡镇(街道)或地图范围"]})
    throttle_public(request, "map-outlines", PUBLIC_MAP_REQUESTS)
    box = params.box()
    max_span, grid_span = outline_spans(request.auth)
    span = max(box[2] - box[0], box[3] - box[1]) if box else 0.0
    if span > max_span + SPAN_SLACK:  # a visitor's view is smaller than staff's (the schema checked staff's 1°)
        message = f"范围过大：跨度不能超过 {max_span} 度，请放大地图"
        raise ValidationFailed(message, {"bbox": [message]})
    with_grids = params.grids and (box is None or span <= grid_span)
    features, truncated = outlines.place_features(township=params.township or "", bbox=box, with_grids=with_grids)
    body = {"type": "FeatureCollection", "features": features, "grids": with_grids}
    if truncated:
        body["truncated"] = True
    return HttpResponse(json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                        content_type="application/geo+json; charset=utf-8")

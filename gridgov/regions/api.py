"""Regions and grids API: point-to-grid lookup, region tree, grid map layer.  Thin: calls services/spatial."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from gridgov.accounts.auth import api_auth
from gridgov.accounts.scope import region_scope_q
from gridgov.regions import spatial
from gridgov.regions.geojson import dumps_feature_collection, grid_feature
from gridgov.regions.models import Region
from gridgov.regions.services import grids_under

router = Router(tags=["regions"], auth=api_auth)

GEOJSON_LIMIT = 5000
REGION_CODE_PATTERN = r"^\d{2,12}$"


class LookupParams(Schema):
    lng: float = Field(..., ge=-180, le=180, allow_inf_nan=False, description="经度 WGS-84")
    lat: float = Field(..., ge=-90, le=90, allow_inf_nan=False, description="纬度 WGS-84")


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


class GeoJsonParams(Schema):
    region: str | None = Field(None, pattern=REGION_CODE_PATTERN, description="区划代码前缀")


@router.get("/grids/lookup", response=LookupOut, summary="坐标所在网格 / grid at a point")
def grid_lookup(request, params: Query[LookupParams]):
    """The active grid covering the point (edges and holes: see ``gridgov.regions.spatial``).

    A point in no grid is a normal answer: ``{"grid": null, "region": null}``.
    Any signed-in user may ask: routing a report needs the grid wherever the reporter stands.
    """
    grid = spatial.locate(params.lng, params.lat)
    if grid is None:
        return {"grid": None, "region": None}
    return {"grid": grid, "region": grid.community}


@router.get("/regions", response=list[RegionOut], summary="下级行政区划 / child regions")
def region_children(request, params: Query[RegionListParams]):
    """Children of ``parent`` (the top level when omitted).  Division names are public
    (国家统计局), so any signed-in user may browse the tree."""
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

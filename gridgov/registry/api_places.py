"""``GET /api/v1/places/search``: find a township, community, grid or door-plate address by name, for the
map pickers (``gridgov.registry.places``).  Public like the map layers it goes with (rate-limited); door-plate
addresses only for signed-in staff within their registry scope."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema

from gridgov.accounts.auth import public_auth
from gridgov.core.api_types import Error
from gridgov.regions.api import RegionBrief, throttle_public
from gridgov.registry.places import MAX_QUERY, search_places

router = Router(tags=["地名地址查询"], auth=public_auth)

SEARCHES = 120  # in 10 minutes, per visitor address or signed-in user


class PlaceParams(Schema):
    q: str = Field(..., max_length=MAX_QUERY * 2, description="地名、网格名称或地址（至少2个字）")
    region: str | None = Field(None, pattern=r"^\d{2,12}$", description="只在该区划下查找（代码前缀）")


class GridRef(Schema):
    code: str
    name: str


class PlaceOut(Schema):
    kind: str = Field(..., description="township | community | grid | address")
    name: str
    detail: str = Field(..., description="所属：上级区划或村(社区)名称")
    code: str = Field(..., description="区划或网格代码（地址为空）")
    region: RegionBrief | None = Field(None, description="所属村(社区)")
    grid: GridRef | None = None
    center: list[float] | None = Field(None, description="[lng, lat]")
    bbox: list[float] | None = Field(None, description="[west, south, east, north]")


@router.get("/places/search", response={200: list[PlaceOut], 422: Error, 429: Error},
            summary="查找地名、网格与门牌地址 / find a place by name")
def place_search(request, params: Query[PlaceParams]):
    """Townships and communities, grids, then standard addresses at the door-plate level (road + building; never
    a unit or room) whose name holds ``q``; each with where to show it (``center``, ``bbox``; null when it has
    no grid boundary or point).  Anyone may ask; visitors are rate-limited per address (429).  Addresses come
    from the population registry: a visitor gets none, signed-in staff only those in their registry scope."""
    throttle_public(request, "map-search", SEARCHES)
    return search_places(params.q, params.region or "", user=request.auth)

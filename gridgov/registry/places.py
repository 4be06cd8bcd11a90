"""Find a place by name for a map without tiles: "type an address, the map goes there".

Everyone may find public geography: townships and communities (division names) and grids (their names and codes
are posted in the grid, 公示). Standard addresses **at the door-plate level** (街路巷/小区 + 楼栋/门牌) come from the
population registry — in a village one door plate is one household — so only signed-in staff get them, and only
those within their registry scope (``registry.scope``: an operator's subtree, a grid worker's grids); a visitor, a
liaison or a mediator gets none. Units, floors and rooms are never answered: which rooms exist in a building says
something about the people in it.
"""

from __future__ import annotations

import re
import unicodedata

from django.db.models import Avg, Count, Min
from django.utils.translation import gettext as _

from gridgov.core.errors import ValidationFailed
from gridgov.regions import outlines
from gridgov.regions.models import Grid, Region
from gridgov.registry.models import Address

MIN_QUERY, MAX_QUERY = 2, 50
PER_KIND = 5
ADDRESSES = 8
# "东昌路12号", "光明小区3号楼", "光明小区3栋": the road, then the door plate
_DOOR = re.compile(r"^(?P<road>.+?)(?P<building>\d+)(号楼|号|栋|幢|座)?$")


def normalize_query(q: str) -> str:
    text = unicodedata.normalize("NFKC", q or "")
    text = "".join(ch for ch in text if ch.isprintable())
    return re.sub(r"\s+", "", text)


def _where(snap, code: str) -> tuple[list | None, list | None]:
    """(centre [lng, lat], bbox [w, s, e, n]) of a region or grid from its grids' outline, or (None, None)."""
    geom = snap.geom(code)
    if geom is None:
        return None, None
    center = snap.center(code)
    return (list(center) if center else None), [round(x, outlines.PLACES) for x in geom.bounds]


def _place(kind: str, name: str, detail: str, code: str, community: Region | None, snap, where_code: str,
           grid: Grid | None = None, point: tuple | None = None) -> dict:
    center, bbox = _where(snap, where_code)
    if point is not None:
        center = [round(point[0], outlines.PLACES), round(point[1], outlines.PLACES)]
    return {"kind": kind, "name": name, "detail": detail, "code": code,
            "region": ({"code": community.code, "name": community.name} if community else None),
            "grid": ({"code": grid.code, "name": grid.name} if grid else None),
            "center": center, "bbox": bbox}


def search_places(q: str, region: str = "", user=None) -> list[dict]:
    """Places whose name holds ``q`` under ``region`` (a code prefix, optional): townships and communities,
    grids, then — for a signed-in ``user`` with a registry scope, within it — door-plate addresses; at most
    5 + 5 + 8, each with a centre and a box to show on the map
    (``None`` when none of its grids has a boundary and the address has no point)."""
    text = normalize_query(q)
    if len(text) < MIN_QUERY:
        raise ValidationFailed(_("请至少输入2个字"), {"q": [_("请至少输入2个字")]})
    if len(text) > MAX_QUERY:
        raise ValidationFailed(_("不能超过50个字"), {"q": [_("不能超过50个字")]})
    snap = outlines.current()
    out: list[dict] = []
    regions = (Region.objects.filter(name__contains=text, level__gte=Region.Level.TOWNSHIP,
                                     code__startswith=region or "")
               .select_related("parent").order_by("level", "code")[:PER_KIND])
    for r in regions:
        kind = "community" if r.level == Region.Level.COMMUNITY else "township"
        out.append(_place(kind, r.name, r.parent.name if r.parent_id else "", r.code,
                          r if kind == "community" else None, snap, r.code))
    grids = (Grid.objects.filter(name__contains=text, active=True, code__startswith=region or "")
             .select_related("community").order_by("code")[:PER_KIND])
    for g in grids:
        out.append(_place("grid", g.name, g.community.name, g.code, g.community, snap, g.code, grid=g))
    out.extend(_addresses(text, region, snap, user))
    return out


def _addresses(text: str, region: str, snap, user) -> list[dict]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []  # a visitor: door plates are the registry's, not public geography
    # the registry's own scope (nothing for a liaison or a mediator); a pk subquery, so the scope's joins cannot
    # skew the groups below
    visible = Address.objects.filter(pk__in=Address.objects.visible_to(user).values("pk"))
    qs = visible.filter(road__contains=text)
    door = None
    if not qs.exists():
        m = _DOOR.match(text)
        if m is None:
            return []
        door = m.group("building")
        qs = visible.filter(road__contains=m.group("road"), building__in=[door, f"{door}号", f"{door}号楼",
                                                                                  f"{door}栋", f"{door}幢"])
    if region:
        qs = qs.filter(region__code__startswith=region)
    rows = list(qs.values("region_id", "road", "building")
                .annotate(lng=Avg("lng"), lat=Avg("lat"), grid_code=Min("grid__code"), n=Count("id"))
                .order_by("road", "building")[:ADDRESSES])
    communities = Region.objects.in_bulk({r["region_id"] for r in rows})
    grids = {g.code: g for g in Grid.objects.filter(code__in={r["grid_code"] for r in rows if r["grid_code"]})}
    out = []
    for r in rows:
        community = communities.get(r["region_id"])
        grid = grids.get(r["grid_code"])
        building = r["building"]
        name = r["road"] + ((f"{building}号" if building.isdigit() else building) if building else "")
        point = (r["lng"], r["lat"]) if r["lng"] is not None and r["lat"] is not None else None
        where = grid.code if grid else (community.code if community else "")
        out.append(_place("address", name, community.name if community else "", "", community, snap, where,
                          grid=grid, point=point))
    return out

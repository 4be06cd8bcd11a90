"""Routing an event between centers: hand-down (下派) and correcting the place (更正位置); the city's area.

Two rows of the lifecycle table (``gridgov.events.workflow``) have their guards and effects here:

- ``hand_down`` — the owning city or county center passes an open case, before dispatch, to a *lower* center
  of its own subtree (a county or township center). The state stays; the receiving center gets a fresh
  acceptance deadline (``ACCEPT_LIMIT``, as at intake and on escalation) and a notification. The target must
  be compatible with the place: the case's region lies in the target, or is known only above it (a report
  without a point, placed at the city) — then the region narrows to the target, so the case is counted and
  seen there (an operator sees the cases whose region lies in their own). A case known to be in township A
  is not handed to township B: correct its place instead.
- ``relocate`` — an operator of the owning center corrects the point (lng/lat), the grid, or both (and the
  address). The case always ends in a grid: the grid given, or the one the new point lies in (a point in
  no grid needs a grid chosen with it; a point in another grid than the one chosen is refused). A grid
  given without a point keeps the old point unless that point lies in another grid, where it is wrong and
  is cleared. The region becomes the grid's community, the center follows by the intake rule
  (``services.center_for``) — except that a case escalated to a center that still covers the new place
  stays there. A case that moves to another center before dispatch is received like a hand-down (fresh
  acceptance deadline, notification); after dispatch it may not leave its center (a department is working
  on it: the department returns it first). The log row keeps the place before and after.

Both change what the case counts for in the rollups only through its row (region, grid): the engine takes
the case's share before and after, so the statistics move from the old place to the new one.

**The city's area.** A reported point in no grid and farther than ``GRIDGOV["CITY_AREA_MARGIN_M"]`` (5 km
by default) outside the convex hull of the active grids (``regions.spatial.outside_city``, shared with the disputes'
intake) is not the city's: intake refuses it with a field error on ``location`` instead of making it a city case. With no grid
at all, every point is accepted (there is no area to judge by).
"""

from __future__ import annotations

from html import escape
from itertools import groupby

from django.db.models import Q
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from gridgov.core.errors import ValidationFailed
from gridgov.events.models import Event, Status
from gridgov.regions.models import Grid, Region
from gridgov.regions.spatial import OUTSIDE_CITY, outside_city  # the city's area: regions' rule, used here too

S = Status
BEFORE_DISPATCH = (S.REPORTED, S.ACCEPTED)
CENTER_LEVELS = (Region.Level.COUNTY, Region.Level.TOWNSHIP)
GRID_CHOICES_LIMIT = 500  # more grids than this under a center: the page offers the map only


# --- hand-down ----------------------------------------------------------------------------------

def _place_fits(place: str) -> Q:
    """Centers whose area holds the place, or lies under a place known only above them."""
    return Q(code__startswith=place) | Q(code__in=[place[:n] for n in (4, 6, 9) if n <= len(place)])


def lower_centers(event: Event):
    """The centers the owning center may hand ``event`` down to, by code (counties before their townships)."""
    center = event.center
    return (Region.objects.filter(code__startswith=center.code, level__gt=center.level, level__in=CENTER_LEVELS)
            .filter(_place_fits(event.region.code)).order_by("code"))


def hand_down_guard(event: Event) -> str | None:
    if event.center.level not in (Region.Level.CITY, Region.Level.COUNTY):
        return _("乡镇(街道)中心没有下级中心可下派")
    if not lower_centers(event).exists():
        return _("没有可下派的下级中心")
    return None


def target_center(value) -> Region:
    """The region a ``center`` input names by its code; a field error when there is none."""
    key = str(value or "").strip()
    found = Region.objects.filter(code=key).first() if key else None
    if found is None:
        raise ValidationFailed(_("请选择要下派到的中心"), {"center": [_("请选择要下派到的下级中心")]})
    return found


def hand_down(event: Event, actor, params: dict, now) -> dict:
    """The effect: the case moves to the target center with a fresh acceptance deadline."""
    from gridgov.events.workflow import start_accept_stage

    target: Region = params["center"]
    center = event.center
    if not (target.code.startswith(center.code) and target.level > center.level and target.level in CENTER_LEVELS):
        raise ValidationFailed(_("只能下派到本中心所辖的下级中心"),
                               {"center": [_("只能下派到本中心所辖的下级中心（县区或乡镇街道）")]})
    if not lower_centers(event).filter(pk=target.pk).exists():
        raise ValidationFailed(_("事件发生地不在所选中心辖区内"),
                               {"center": [_("事件发生地不在所选中心辖区内；如位置有误，请先更正位置")]})
    event.center = target
    if not event.region.code.startswith(target.code):  # the place was known only above the target
        event.region = target
    start_accept_stage(event, now)
    return {"from_center": center.code, "to_center": target.code,
            "deadline": event.deadline.isoformat() if event.deadline else None}


# --- correcting the place -----------------------------------------------------------------------

def _coordinate(value, name: str, errors: dict) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):  # float(True) is 1.0: a JSON boolean is no coordinate
        errors.setdefault("location", []).append(_("%(name)s格式无效") % {"name": name})
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.setdefault("location", []).append(_("%(name)s格式无效") % {"name": name})
        return None
    if number != number or number in (float("inf"), float("-inf")):
        errors.setdefault("location", []).append(_("%(name)s格式无效") % {"name": name})
        return None
    return number


def relocate_params(raw: dict) -> dict:
    """Check a correction's inputs (before the case is locked) and resolve the grid: ``{grid, lng, lat,
    address}`` (``lng``/``lat`` None: the point was not given). Field errors name ``location`` / ``grid`` /
    ``address``."""
    from gridgov.regions import spatial

    errors: dict[str, list[str]] = {}
    lng, lat = _coordinate(raw.get("lng"), _("经度"), errors), _coordinate(raw.get("lat"), _("纬度"), errors)
    grid_code = str(raw.get("grid") or "").strip()
    address = str(raw.get("address") or "").strip()
    if len(address) > 200:
        errors["address"] = [_("不能超过 %(n)s 个字符") % {"n": 200}]
    if not errors:
        if (lng is None) != (lat is None):
            errors["location"] = [_("经纬度需同时提供")]
        elif lng is not None and not (-180 <= lng <= 180 and -90 <= lat <= 90):
            errors["location"] = [_("经纬度超出范围")]
        elif lng is not None and outside_city(lng, lat):
            errors["location"] = [_(OUTSIDE_CITY)]
        elif lng is None and not grid_code:
            errors["location"] = [_("请在地图上选择新位置，或选择所属网格")]
    grid = None
    if grid_code and not errors:
        grid = Grid.objects.select_related("community").filter(code=grid_code, active=True).first()
        if grid is None:
            errors["grid"] = [_("未找到该网格")]
    if not errors and lng is not None:
        located = spatial.locate(lng, lat)
        if grid is not None and located is not None and located.pk != grid.pk:
            errors["grid"] = [_("所选网格与地图上的位置不一致（该位置属于%(name)s）") % {"name": located.name}]
        elif grid is None and located is None:
            errors["grid"] = [_("该位置不在任何网格内，请同时选择所属网格")]
        grid = grid or located
    if errors:
        raise ValidationFailed(_("更正内容有误，请检查"), errors)
    return {"grid": grid, "lng": lng, "lat": lat, "address": address}


def _place(event: Event) -> dict:
    return {"grid": event.grid.code if event.grid_id else None, "region": event.region.code,
            "lng": event.lng, "lat": event.lat, "address": event.address}


def _new_center(event: Event, region: Region) -> Region:
    from gridgov.events.services import center_for

    by_intake = center_for(region)
    current = event.center
    if event.escalation_count and region.code.startswith(current.code) and current.level < by_intake.level:
        return current  # escalated here: correcting the place does not undo a person's decision
    return by_intake


def relocate(event: Event, actor, params: dict, now) -> dict:
    """The effect: the new grid, region and point; the center by the intake rule (see the module docstring)."""
    from gridgov.events.workflow import start_accept_stage
    from gridgov.regions import spatial

    before = _place(event)
    grid: Grid = params["grid"]
    if params["lng"] is not None:
        event.lng, event.lat = params["lng"], params["lat"]
    elif event.lng is not None and spatial.locate_id(event.lng, event.lat) not in (None, grid.pk):
        event.lng = event.lat = None  # the old point lies in another grid: it was wrong
    if params["address"]:
        event.address = params["address"]
    event.grid, event.region = grid, grid.community
    after = _place(event)
    if after == before:
        raise ValidationFailed(_("位置与原来相同，无需更正"), {"location": [_("位置与原来相同，无需更正")]})
    data = {"before": before, "after": after}
    center = _new_center(event, grid.community)
    if center.pk != event.center_id:
        if event.status not in BEFORE_DISPATCH:
            field = "location" if params["lng"] is not None else "grid"
            raise ValidationFailed(_("事件已派遣处置，不能更正到其他中心的辖区"),
                                   {field: [_("事件已派遣处置，不能更正到其他中心的辖区；请由主办部门退回后再更正")]})
        data.update({"from_center": event.center.code, "to_center": center.code})
        event.center = center
        start_accept_stage(event, now)
        data["deadline"] = event.deadline.isoformat() if event.deadline else None
    return data


# --- the event page -----------------------------------------------------------------------------

def form_choices(event: Event, allowed, selected_grid: str | None = None) -> dict:
    """What the hand-down and correction forms offer (only for the actions the user may take).

    The correction form's grids (up to ``GRID_CHOICES_LIMIT`` under the center, grouped by community) come as
    ready ``<optgroup>`` markup: a township may have several hundred grids, and rendering them through the
    template language cost the event page more than all its queries."""
    out: dict = {"lower_centers": [], "relocate_options": "", "relocate_map_only": False}
    if "hand_down" in allowed:
        out["lower_centers"] = list(lower_centers(event).select_related("parent"))
    if "relocate" in allowed:
        rows = list(Grid.objects.filter(active=True, code__startswith=event.center.code).order_by("code")
                    .values_list("code", "name", "community_id", "community__name")[:GRID_CHOICES_LIMIT + 1])
        if len(rows) > GRID_CHOICES_LIMIT:
            out["relocate_map_only"] = True
        else:
            current = event.grid.code if event.grid_id else None
            out["relocate_options"] = grid_options(rows, current, selected_grid)
    return out


def grid_options(rows, current: str | None, selected: str | None) -> SafeString:
    """``<optgroup>``s of ``(code, name, community_id, community_name)`` rows in code order, one per community;
    the event's own grid marked (当前), the one the user chose before an error selected. Every value is
    escaped here (``html.escape``, quotes included): hundreds of options through ``format_html`` cost ms."""
    mark = escape(_("（当前）"))
    parts = []
    for (_cid, community), grids in groupby(rows, key=lambda r: (r[2], r[3])):
        parts.append(f'<optgroup label="{escape(community or "")}">')
        for code, name, _c, _n in grids:
            parts.append(f'<option value="{escape(code)}"{" selected" if code == selected else ""}>'
                         f'{escape(name)}{mark if code == current else ""}</option>')
        parts.append("</optgroup>")
    return mark_safe("".join(parts))  # noqa: S308 — every interpolated value is escaped above


def describe_place(place: dict, names: dict) -> str:
    """One line for a before/after place of the log: grid, region, point, address."""
    parts = []
    if place.get("grid"):
        parts.append(names.get("place:" + place["grid"], place["grid"]))
    if place.get("region") and not place.get("grid"):
        parts.append(names.get("place:" + place["region"], place["region"]))
    if place.get("lng") is not None and place.get("lat") is not None:
        parts.append(f"{place['lng']:.6f}, {place['lat']:.6f}")
    if place.get("address"):
        parts.append(place["address"])
    return " · ".join(parts) or "—"


def place_names(entries) -> dict:
    """Names of the grids and regions the correction rows of a timeline name, by ``"place:" + code``."""
    codes = {p.get(k) for e in entries for side in ("before", "after") for k in ("grid", "region")
             if isinstance(p := (e.data or {}).get(side), dict) and p.get(k)}
    if not codes:
        return {}
    names = {"place:" + r.code: r.name for r in Region.objects.filter(code__in=codes)}
    names.update({"place:" + g.code: g.name for g in Grid.objects.filter(code__in=codes)})
    return names

"""Where regions lie on a map: each grid's centre and each region's outline, from the grids' boundaries
(regions carry no polygons of their own).  The statistics map (``gridgov.stats.shapes``, which re-exports this
module), the regions API's community outlines and the map pickers all read the same per-process snapshot.

A region's outline is the union of its children's (its grids' at the bottom), built bottom-up once per
process and kept while the grids stay the same (:func:`gridgov.regions.spatial.current_stamp`: the grids'
version row, bumped by database triggers on every write); what goes to the browser is simplified to the scale of the region. A region
without a single grid with a boundary has no outline and no centre (the page shows it as a tile instead).
"""

from __future__ import annotations

import bisect
import json
import logging
import threading

import shapely
from django.db.models import TextField
from django.db.models.functions import Cast
from shapely.geometry import mapping, shape

from gridgov.regions.models import CODE_LENGTHS, GRID_CODE_LENGTH, Grid
from gridgov.regions.spatial import StampedCache

log = logging.getLogger(__name__)

# city, county, township, community, grid: 4, 6, 9, 12, 15 (a grid code carries its regions' codes)
LENGTHS = sorted(n for n in (*CODE_LENGTHS.values(), GRID_CODE_LENGTH) if n >= 4)
GRID_LENGTH = LENGTHS[-1]
DETAIL = 300  # an outline keeps about this many steps across its extent
PLACES = 5    # coordinates to 5 decimals: about a metre
SCATTERED = 3  # a region whose grids stay in more parts than this is drawn as their concave hull
HULL_RATIO = 0.15


class _Shapes:
    def __init__(self, stamp: tuple) -> None:
        self.stamp = stamp
        self.lock = threading.RLock()
        self.geoms: dict[str, object] = {}     # code → shapely geometry (grids now, regions as asked)
        self.children: dict[str, set[str]] = {}  # region code → the codes one level down that have grids
        self.outlines: dict[str, dict | None] = {}
        self.centers: dict[str, tuple[float, float] | None] = {}
        self._grid_tree: tuple[list[str], shapely.STRtree] | None = None
        self._grid_codes: list[str] | None = None
        # the boundaries as JSON text, parsed in one vectorised call (a third of the time of a dict per grid)
        rows = list(Grid.objects.filter(active=True, boundary__isnull=False)
                    .annotate(text=Cast("boundary", TextField())).values_list("code", "text"))
        try:
            geoms = shapely.from_geojson([text for _code, text in rows], on_invalid="ignore")
        except Exception:  # malformed JSON text: parse one by one below
            geoms = [None] * len(rows)
        for (code, text), geom in zip(rows, geoms, strict=True):
            if len(code) != GRID_LENGTH:
                continue
            try:
                if geom is None:
                    geom = shape(json.loads(text))
                if not geom.is_valid:
                    geom = shapely.make_valid(geom)
            except Exception:  # a bad boundary typed into the admin must not break the map
                log.warning("grid %s has an unreadable boundary; left off the maps", code)
                continue
            if geom.is_empty:
                continue
            self.geoms[code] = geom
            for short, long in zip(LENGTHS, LENGTHS[1:], strict=False):
                self.children.setdefault(code[:short], set()).add(code[:long])
        sizes = sorted(g.area for g in self.geoms.values())
        # 0.6 of a typical grid's width: gaps up to about a grid wide close (grids drawn apart, a road
        # between them); larger holes stay
        self.gap = 0.6 * sizes[len(sizes) // 2] ** 0.5 if sizes else 0.0

    def geom(self, code: str):
        if code in self.geoms:
            return self.geoms[code]
        if len(code) >= GRID_LENGTH:
            return None
        parts = [g for g in (self.geom(c) for c in sorted(self.children.get(code, ()))) if g is not None]
        geom = None
        if parts:
            try:
                geom = shapely.union_all(parts)
                if geom.geom_type == "MultiPolygon" and self.gap:
                    # close the slivers between grids drawn apart (a morphological closing): one region,
                    # one area on the map rather than a sieve of its grids
                    geom = geom.buffer(self.gap, join_style="mitre").buffer(-self.gap, join_style="mitre")
                if geom.geom_type == "MultiPolygon" and len(geom.geoms) > SCATTERED:
                    # still scattered (grids far apart): the concave hull around them
                    geom = shapely.concave_hull(geom, ratio=HULL_RATIO)
            except Exception:  # a topology error in a union: the hull still shows where the region is
                geom = shapely.convex_hull(shapely.GeometryCollection(parts))
        self.geoms[code] = geom
        return geom

    def outline(self, code: str) -> dict | None:
        """The GeoJSON geometry of a grid or a region (its grids' union, simplified), or None."""
        with self.lock:
            return self._outline(code)

    def center(self, code: str) -> tuple[float, float] | None:
        """``(lng, lat)`` of a grid's or a region's centre (inside it), or None."""
        with self.lock:
            return self._center(code)

    def grids_under(self, prefix: str) -> list[str]:
        """Codes of the grids on the map under the region ``prefix``, in code order."""
        with self.lock:
            if self._grid_codes is None:
                self._grid_codes = sorted(c for c in self.geoms if len(c) == GRID_LENGTH)
            codes = self._grid_codes
        lo = bisect.bisect_left(codes, prefix)
        return codes[lo:bisect.bisect_left(codes, prefix + "\uffff", lo)]

    def grids_in(self, west: float, south: float, east: float, north: float) -> list[str]:
        """Codes of the grids whose boundary meets the box (in code order)."""
        with self.lock:
            if self._grid_tree is None:
                codes = sorted(c for c in self.geoms if len(c) == GRID_LENGTH)
                self._grid_tree = (codes, shapely.STRtree([self.geoms[c] for c in codes]))
            codes, tree = self._grid_tree
        if not codes:
            return []
        hits = tree.query(shapely.box(west, south, east, north), predicate="intersects")
        return [codes[i] for i in sorted(hits)]

    def _outline(self, code: str) -> dict | None:
        if code not in self.outlines:
            geom = self.geom(code)
            out = None
            if geom is not None:
                minx, miny, maxx, maxy = geom.bounds
                tolerance = max(maxx - minx, maxy - miny) / DETAIL if len(code) < GRID_LENGTH else 0
                simple = geom.simplify(tolerance, preserve_topology=True) if tolerance else geom
                out = _rounded(mapping(simple))
            self.outlines[code] = out
        return self.outlines[code]

    def _center(self, code: str) -> tuple[float, float] | None:
        if code not in self.centers:
            geom = self.geom(code)
            c = None
            if geom is not None:
                p = geom.centroid
                if p.is_empty or not geom.buffer(0).contains(p):
                    p = geom.representative_point()
                c = (round(p.x, PLACES), round(p.y, PLACES))
            self.centers[code] = c
        return self.centers[code]


def _rounded(obj):
    if isinstance(obj, float):
        return round(obj, PLACES)
    if isinstance(obj, (list, tuple)):
        return [_rounded(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return obj


_current = StampedCache(_Shapes)


def current() -> _Shapes:
    """This process's shapes (one stamp read), rebuilt when the grids changed. Ask it for many codes:
    ``snap = current(); [snap.center(c) for c in codes]``."""
    return _current.get()


def invalidate() -> None:
    _current.invalidate()


# --- the map layer of places (communities and grids with their names) --------------------------------

COMMUNITY_LENGTH = LENGTHS[-2]  # 12
MAX_FEATURES = 3000
# the largest view (degrees) the outlines answer, and the largest with grids: signed-in staff's, and a
# visitor's smaller ones — a citizen's picker needs the streets around one place, not a county's outlines in
# one half-megabyte answer (GET /regions/outlines refuses a wider box with a 422; the map pages are told)
MAX_BBOX_SPAN = 1.0  # ~100 km: a city's part, never a province
GRID_BBOX_SPAN = 0.25  # ~25 km; communities alone above it
PUBLIC_MAX_BBOX_SPAN = 0.25
PUBLIC_GRID_BBOX_SPAN = 0.1
SPAN_SLACK = 1e-3  # a map's box rounded to 4 decimals may pass a limit by a hair


def outline_spans(user) -> tuple[float, float]:
    """(largest view, largest view with grids) in degrees for ``user``: staff's, or a visitor's smaller ones."""
    if getattr(user, "is_authenticated", False):
        return MAX_BBOX_SPAN, GRID_BBOX_SPAN
    return PUBLIC_MAX_BBOX_SPAN, PUBLIC_GRID_BBOX_SPAN


def _feature(kind: str, code: str, name: str, geometry: dict, label) -> dict:
    return {"type": "Feature", "geometry": geometry,
            "properties": {"kind": kind, "code": code, "name": name, "label": list(label) if label else None}}


def place_features(*, township: str = "", bbox: tuple[float, float, float, float] | None = None,
                   with_grids: bool = True, limit: int | None = None) -> tuple[list[dict], bool]:
    """The communities (their grids' union, simplified) and, when asked, the grids of a township or of a box,
    each with its name and a label point inside it: ``(features, truncated)``.  Communities come first; a
    community or grid without a boundary has no feature.  Names and outlines only: division and grid names
    are public (公示), nothing about people or staff is here."""
    from gridgov.regions.models import Region
    from gridgov.regions.services import community_short_name

    limit = MAX_FEATURES if limit is None else limit
    snap = current()
    if township:
        grid_codes = sorted(c for c in snap.geoms if len(c) == GRID_LENGTH and c.startswith(township))
    elif bbox is not None:
        grid_codes = snap.grids_in(*bbox)
    else:
        return [], False
    community_codes = sorted({c[:COMMUNITY_LENGTH] for c in grid_codes})
    truncated = False
    if len(community_codes) > limit:
        community_codes, truncated = community_codes[:limit], True
    room = limit - len(community_codes)
    if not with_grids:
        grid_codes = []
    elif len(grid_codes) > room:
        grid_codes, truncated = grid_codes[:room], True
    names = dict(Region.objects.filter(code__in=community_codes).values_list("code", "name"))
    grid_names = dict(Grid.objects.filter(code__in=grid_codes).values_list("code", "name")) if grid_codes else {}
    features = []
    for code in community_codes:
        outline = snap.outline(code)
        if outline is not None:
            feature = _feature("community", code, names.get(code, code), outline, snap.center(code))
            feature["properties"]["short"] = community_short_name(names.get(code, code))  # what the map writes
            features.append(feature)
    for code in grid_codes:
        outline = snap.outline(code)
        if outline is not None:
            features.append(_feature("grid", code, grid_names.get(code, code), outline, snap.center(code)))
    return features, truncated

"""Where the statistics' regions lie on a map: each grid's centre and each region's outline, from the grids'
boundaries (regions carry no polygons of their own).

A region's outline is the union of its children's (its grids' at the bottom), built bottom-up once per
process and kept while the grids stay the same (:func:`gridgov.regions.spatial.current_stamp`: the number of
grids and their latest change); what goes to the browser is simplified to the scale of the region. A region
without a single grid with a boundary has no outline and no centre (the page shows it as a tile instead).
"""

from __future__ import annotations

import json
import logging
import threading

import shapely
from django.db.models import TextField
from django.db.models.functions import Cast
from shapely.geometry import mapping, shape

from gridgov.cases.tally import LEVEL_LENGTHS
from gridgov.regions.models import Grid
from gridgov.regions.spatial import current_stamp

log = logging.getLogger(__name__)

LENGTHS = sorted(LEVEL_LENGTHS.values())  # 4, 6, 9, 12, 15
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
                log.warning("grid %s has an unreadable boundary; left off the statistics map", code)
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


_lock = threading.Lock()
_current: _Shapes | None = None


def current() -> _Shapes:
    """This process's shapes (one stamp read), rebuilt when the grids changed. Ask it for many codes:
    ``snap = current(); [snap.center(c) for c in codes]``."""
    global _current
    stamp = current_stamp()
    cur = _current
    if cur is not None and cur.stamp == stamp:
        return cur
    with _lock:
        if _current is None or _current.stamp != stamp:
            _current = _Shapes(stamp)
        return _current


def invalidate() -> None:
    global _current
    with _lock:
        _current = None

"""Which grid is this point in?  ``locate(lng, lat)``, backed by a shapely STRtree.

The rule for points on edges and in holes
-----------------------------------------
* A grid holds the points inside it **and on its boundary** (``covers``, not
  ``contains``): a point on the outer edge or on a vertex belongs to the grid.
* A point covered by several grids — on an edge or vertex they share, or in an
  area where grids overlap — goes to the grid with the **smallest code**.  The
  answer never depends on load order or on which process answers.
* A hole is not part of its grid: a point strictly inside a hole is not in the
  grid that has the hole; it is in the grid that fills the hole, if any, and
  otherwise in no grid.  (The hole's own edge is boundary of the outer grid, so
  the two rules above apply there.)
* A point in no active grid gives ``None``.  Inactive grids and grids without a
  boundary are never returned.

The city's area
---------------
``distance_outside_m(lng, lat)`` says how far a point lies outside the area the
active grids span — their convex hull, so the gaps between grids and the land
between two gridded towns are inside — in metres along the great circle to the
hull's nearest point (0 inside; ``None`` when there are no grids, and so no area
to judge by).  ``outside_city(lng, lat)`` says whether that is farther than the
margin (``GRIDGOV["CITY_AREA_MARGIN_M"]``): every intake (events, disputes) and
the correction of a case's place refuse such a point with ``OUTSIDE_CITY``.

The cache
---------
The tree is built once per process and reused while a cheap stamp read from
the database on every lookup — the number of grids and the latest
``updated_at`` — stays the same.  Any process that adds, deletes, moves,
activates or deactivates a grid through ``save()``, ``bulk_create()``,
``delete()``, the services or the admin changes the stamp, and the next
``locate`` in every process rebuilds.  Writes with ``QuerySet.update()`` or
``bulk_update()`` must set ``updated_at`` themselves (the services do).
``invalidate()`` drops this process's tree at once.  The cache is a cache:
nothing depends on it being warm.

Limits: servers' clocks are assumed roughly in step (an edit stamped earlier
than the newest ``updated_at`` would go unseen until the next change); on
PostgreSQL ``COUNT(*)`` reads the whole table, fine for a city's grids — at
province scale swap the stamp for a version row bumped by the writers.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext_noop
from shapely.geometry import shape

from gridgov.regions.models import Grid

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GridIndex:
    stamp: tuple
    tree: shapely.STRtree
    geometries: np.ndarray  # prepared, in code order
    ids: np.ndarray  # Grid pk at the same position
    hull: object = None  # the convex hull of every grid (None: no grids)

    def find(self, lng: float, lat: float) -> int | None:
        """The pk of the grid holding the point, by the rule above."""
        if not len(self.ids):
            return None
        point = shapely.Point(lng, lat)
        candidates = self.tree.query(point)  # bounding boxes only
        if not len(candidates):
            return None
        hits = candidates[shapely.covers(self.geometries[candidates], point)]
        if not len(hits):
            return None
        return int(self.ids[hits.min()])  # positions follow code order: smallest code wins


class StampedCache:
    """One object per process, built by ``build(stamp)`` and kept while the grids stay the same
    (:func:`current_stamp`); the grid index here and the outlines (regions/outlines.py) are kept this way."""

    def __init__(self, build) -> None:
        self.build = build
        self.lock = threading.Lock()
        self.value = None

    def get(self):
        stamp = current_stamp()
        value = self.value
        if value is not None and value.stamp == stamp:
            return value
        with self.lock:
            if self.value is None or self.value.stamp != stamp:
                self.value = self.build(stamp)
            return self.value

    def invalidate(self) -> None:
        with self.lock:
            self.value = None


def current_stamp() -> tuple:
    """``(number of grids, latest updated_at)`` in one round trip.

    Two scalar subqueries rather than one ``SELECT COUNT(*), MAX(...)``: apart,
    each is answered from an index (``grid_updated_at_idx``) without reading
    the table, so the check costs microseconds on every lookup.
    """
    table = connection.ops.quote_name(Grid._meta.db_table)
    column = connection.ops.quote_name(Grid._meta.get_field("updated_at").column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT COUNT(*) FROM {table}), (SELECT MAX({column}) FROM {table})")
        return tuple(cursor.fetchone())


def build_index(stamp: tuple | None = None) -> GridIndex:
    stamp = current_stamp() if stamp is None else stamp
    geometries, ids = [], []
    rows = (
        Grid.objects.filter(active=True, boundary__isnull=False).order_by("code").values_list("id", "code", "boundary")
    )
    for pk, code, boundary in rows.iterator(chunk_size=2000):
        try:
            geometry = shape(boundary)
        except Exception:  # a bad boundary typed into the admin must not break every lookup
            log.warning("grid %s has an unreadable boundary; left out of the spatial index", code)
            continue
        if geometry.is_empty:
            continue
        if not geometry.is_valid:  # imports and the admin refuse these; repair rather than answer wrongly
            log.warning("grid %s has an invalid boundary; repaired for the spatial index", code)
            geometry = shapely.make_valid(geometry)
        geometries.append(geometry)
        ids.append(pk)
    array = np.array(geometries, dtype=object)
    shapely.prepare(array)
    hull = shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(array))) if geometries else None
    if hull is not None:
        shapely.prepare(hull)
    return GridIndex(stamp=stamp, tree=shapely.STRtree(array), geometries=array, ids=np.array(ids, dtype=np.int64),
                     hull=hull)


_index = StampedCache(build_index)


def grid_index() -> GridIndex:
    """This process's index, rebuilt first if the grids changed since it was built."""
    return _index.get()


def invalidate() -> None:
    """Forget this process's index; the next lookup rebuilds it."""
    _index.invalidate()


def _check_point(lng: float, lat: float) -> None:
    if not (
        isinstance(lng, int | float) and isinstance(lat, int | float) and math.isfinite(lng) and math.isfinite(lat)
    ):
        raise ValueError("lng and lat must be finite numbers")
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise ValueError("lng must be in [-180, 180] and lat in [-90, 90]")


def locate_id(lng: float, lat: float) -> int | None:
    _check_point(lng, lat)
    return grid_index().find(float(lng), float(lat))


def locate(lng: float, lat: float) -> Grid | None:
    """The active grid holding WGS-84 point (lng, lat), or ``None`` (rule in the module docstring)."""
    pk = locate_id(lng, lat)
    if pk is None:
        return None
    # the grid may have been removed since the index was read; then the point is in no grid
    return Grid.objects.select_related("community").filter(pk=pk, active=True).first()


EARTH_RADIUS_M = 6_371_008.8


def _great_circle_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def distance_outside_m(lng: float, lat: float) -> float | None:
    """Metres from (lng, lat) to the area the active grids span (their convex hull): 0 inside or on its edge,
    ``None`` when there is no grid (rule in the module docstring)."""
    _check_point(lng, lat)
    hull = grid_index().hull
    if hull is None or hull.is_empty:
        return None
    point = shapely.Point(float(lng), float(lat))
    if hull.covers(point):
        return 0.0
    nearest = shapely.shortest_line(point, hull).coords[-1]
    return _great_circle_m(float(lng), float(lat), nearest[0], nearest[1])


OUTSIDE_CITY = gettext_noop("该位置不在本市范围内：请重新选择位置，或清空经纬度只填写地址")


def outside_city(lng: float, lat: float) -> bool:
    """True when the point lies farther than the margin outside the area the city's grids span (False for a
    bad coordinate: the caller reports that itself)."""
    try:
        distance = distance_outside_m(lng, lat)
    except ValueError:
        return False
    return distance is not None and distance > settings.GRIDGOV["CITY_AREA_MARGIN_M"]

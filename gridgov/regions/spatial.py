"""Which grid is this point in?  ``locate_id(lng, lat)`` / ``locate`` / ``locate_many``, backed by a shapely STRtree
and a raster of precomputed answers (``gridgov.regions.gridindex``).

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

The cache and its freshness
---------------------------
The index (``gridgov.regions.gridindex``: an STRtree plus a raster of precomputed answers) is built once per
process and kept while the grids' **version stamp** stays the same.  The stamp is one row,
``regions_gridversion`` (``version``, ``salt``), bumped by database triggers on every INSERT, UPDATE and
DELETE of the grid table (TRUNCATE too on PostgreSQL) — so ``save()``, ``QuerySet.update()``,
``bulk_update()``, raw SQL, the admin and other programs all count; nothing has to remember to touch
``updated_at``.

A process reads the stamp at most once per ``GRIDGOV["GRID_STAMP_TTL_S"]`` (1 s by default); between reads
a lookup costs no query at all.  **Staleness bound: a grid change committed at time t is used by every
process's lookups from t + TTL on** (plus the rebuild of the tree, milliseconds; for more than
``RASTER_INLINE_MAX_GRIDS`` grids the raster follows in a background thread — seconds at 20,000 grids —
and until it is there lookups take the exact way, with the same answers).  In the process that made the change it is seen at once: ``save()`` and ``delete()`` of a grid
(signals) and the grid services forget the stamp, so the next lookup reads it again;
``invalidate_all()`` drops the stamp and every cached object (this index and the map outlines,
``gridgov.regions.outlines``) — the tests call it around each test.  A bump rolled back with its
transaction leaves a salt no later commit repeats, so an index built from uncommitted grids is never
mistaken for a committed one.  The cache is a cache: nothing depends on it being warm.

Lookups
-------
``locate_id(lng, lat)`` gives the grid's pk without a query (the hot path: 0 queries within the TTL);
``locate(lng, lat)`` loads the Grid row with its community, for callers that need the object;
``locate_many(lngs, lats)`` answers arrays of points at once (the bulk API, ``POST
/api/v1/grids/lookup/bulk``), with exactly the same answers as ``locate_id`` point by point.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time

import numpy as np
import shapely
from django.conf import settings
from django.db import connection, transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_noop
from shapely.geometry import shape

from gridgov.regions import gridindex
from gridgov.regions.gridindex import NO_GRID, GridIndex  # noqa: F401  (NO_GRID: locate_many's "none")
from gridgov.regions.models import Grid, GridVersion

log = logging.getLogger(__name__)

_caches: list[StampedCache] = []
# Up to this many grids the raster is built with the tree (well under a second); above it, in the background
# (about 3–4 s for 20,000 grids on this project's machine: no request should wait for it).
RASTER_INLINE_MAX_GRIDS = 2_000


class StampedCache:
    """One object per process, built by ``build(stamp)`` and kept while the grids' version stamp stays the same
    (:func:`current_stamp`); the grid index here and the outlines (regions/outlines.py) are kept this way."""

    def __init__(self, build) -> None:
        self.build = build
        self.lock = threading.Lock()
        self.value = None
        _caches.append(self)

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


# (stamp, monotonic time until which it is trusted); replaced as a whole, so threads never see half of it
_memo: tuple[tuple | None, float] = (None, -1.0)


def read_stamp() -> tuple | None:
    """``(version, salt)`` of the grids, read from the database now (None: no version row, e.g. after a flush
    and before any grid was written; the triggers recreate it)."""
    table = connection.ops.quote_name(GridVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version, salt FROM {table} WHERE id = 1")
        row = cursor.fetchone()
    return tuple(row) if row else None


def current_stamp() -> tuple | None:
    """The grids' version stamp, read from the database at most once per ``GRID_STAMP_TTL_S``."""
    global _memo
    stamp, until = _memo
    now = time.monotonic()
    if now < until:
        return stamp
    stamp = read_stamp()
    _memo = (stamp, now + float(settings.GRIDGOV.get("GRID_STAMP_TTL_S", 1.0)))
    return stamp


def forget_stamp() -> None:
    """Read the stamp again at the next lookup (this process changed grids)."""
    global _memo
    _memo = (None, -1.0)


def build_index(stamp: tuple | None = None) -> GridIndex:
    stamp = read_stamp() if stamp is None else stamp  # read before the grids: never older than its stamp
    geometries, ids = [], []
    # the boundaries as JSON text, parsed in one vectorised call
    rows = list(Grid.objects.filter(active=True, boundary__isnull=False).order_by("code")
                .annotate(text=Cast("boundary", TextField())).values_list("id", "code", "text"))
    try:
        parsed = shapely.from_geojson([text for _pk, _code, text in rows], on_invalid="ignore")
    except Exception:  # malformed JSON text somewhere: parse one by one below
        parsed = [None] * len(rows)
    for (pk, code, text), geometry in zip(rows, parsed, strict=True):
        try:
            if geometry is None:
                geometry = shape(json.loads(text))
        except Exception:  # a bad boundary typed into the admin must not break every lookup
            log.warning("grid %s has an unreadable boundary; left out of the spatial index", code)
            continue
        if geometry is None or geometry.is_empty:
            continue
        if not geometry.is_valid:  # imports and the admin refuse these; repair rather than answer wrongly
            log.warning("grid %s has an invalid boundary; repaired for the spatial index", code)
            geometry = shapely.make_valid(geometry)
        geometries.append(geometry)
        ids.append(pk)
    if len(geometries) <= RASTER_INLINE_MAX_GRIDS:
        return gridindex.build(geometries, ids, stamp)
    # a city's grids: the tree now (a few milliseconds), the raster in a thread of its own; until it is
    # there every lookup takes the exact way, with the same answers
    index = gridindex.build(geometries, ids, stamp, raster=False)
    threading.Thread(target=_add_raster, args=(index,), name="grid-raster", daemon=True).start()
    return index


def _add_raster(index: GridIndex) -> None:
    try:
        full = gridindex.with_raster(index)
    except Exception:  # the exact way keeps answering; the next rebuild tries again
        log.exception("the grid raster could not be built; lookups stay on the exact path")
        return
    with _index.lock:
        if _index.value is index:  # not replaced by a newer build meanwhile
            _index.value = full


def raster_ready(timeout: float = 120.0) -> bool:
    """Wait until this process's index has its raster (benchmarks measure the warm path); False on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        index = grid_index()
        if index.raster is not None or not index.id_list:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


_index = StampedCache(build_index)


def grid_index() -> GridIndex:
    """This process's index, rebuilt first if the grids changed since it was built."""
    return _index.get()


def invalidate() -> None:
    """Forget this process's index and stamp; the next lookup reads the stamp and rebuilds."""
    forget_stamp()
    _index.invalidate()


def invalidate_all() -> None:
    """Forget the stamp and every stamped cache of this process (the index, the map outlines)."""
    forget_stamp()
    for cache in _caches:
        cache.invalidate()


@receiver(post_save, sender=Grid, dispatch_uid="spatial-grid-saved")
@receiver(post_delete, sender=Grid, dispatch_uid="spatial-grid-deleted")
def _grid_changed(sender, **kwargs) -> None:
    # now, for this transaction's own lookups, and after the commit (a lookup in between may have re-read
    # the old stamp from another connection's point of view)
    forget_stamp()
    transaction.on_commit(forget_stamp)


def _check_point(lng: float, lat: float) -> None:
    if not (
        isinstance(lng, int | float) and isinstance(lat, int | float) and math.isfinite(lng) and math.isfinite(lat)
    ):
        raise ValueError("lng and lat must be finite numbers")
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise ValueError("lng must be in [-180, 180] and lat in [-90, 90]")


def locate_id(lng: float, lat: float) -> int | None:
    """The pk of the active grid holding WGS-84 point (lng, lat), or ``None``; no query while the stamp is
    fresh (rule in the module docstring)."""
    _check_point(lng, lat)
    return _index.get().find(float(lng), float(lat))


def locate(lng: float, lat: float) -> Grid | None:
    """The active grid holding WGS-84 point (lng, lat) with its community, or ``None`` (one query when found)."""
    pk = locate_id(lng, lat)
    if pk is None:
        return None
    # the grid may have been removed since the index was read; then the point is in no grid
    return Grid.objects.select_related("community").filter(pk=pk, active=True).first()


def locate_many(lngs, lats) -> np.ndarray:
    """Grid pks for arrays of WGS-84 points, in order; ``NO_GRID`` (-1) for a point in no grid.  The same
    answers as :func:`locate_id` one at a time.  ``ValueError`` for a non-finite or out-of-range point."""
    xs = np.asarray(lngs, dtype=np.float64).ravel()
    ys = np.asarray(lats, dtype=np.float64).ravel()
    if len(xs) != len(ys):
        raise ValueError("lngs and lats must have the same length")
    bad = ~(np.isfinite(xs) & np.isfinite(ys) & (np.abs(xs) <= 180) & (np.abs(ys) <= 90))
    if bad.any():
        raise ValueError(f"point {int(np.argmax(bad))}: lng must be in [-180, 180] and lat in [-90, 90]")
    return _index.get().find_many(xs, ys)


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

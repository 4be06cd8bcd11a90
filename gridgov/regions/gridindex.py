"""The point → grid index: grids' geometries in an STRtree plus a raster of precomputed answers.

Pure geometry (no database); ``gridgov.regions.spatial`` builds it from the grid table, keeps it per process
and states the rule (covers; smallest code wins; holes).  Positions in ``geometries`` follow code order, so
"smallest code" is "smallest position".

The raster
----------
The grids' extent is cut into square cells (about ``CELLS_PER_GRID`` cells a grid, at most ``MAX_CELLS``).
A cell that no grid's linework (outer rings, holes, stray lines or points of a repaired geometry) comes
near — within ``EPS`` degrees, so a cell index computed in floating point is never wrong by a rounding — lies
in one face of the grids' arrangement: every point in it is covered by the same grids.  Its answer (a
position, or "no grid") is computed once, from one point of the cell, with the same rule as any lookup.  The
remaining cells are "mixed": a point there is answered exactly, by the STRtree and ``covers`` on the
prepared geometries.  Most points fall in answered cells and cost a few arithmetic operations and one array
read; the answer is the same either way (``gridgov/regions/tests/test_locate_many.py`` checks it against a
brute-force ``covers`` over random points, edges, vertices and holes).

Building is vectorised: linework segmentised to half a cell, each piece marks the cells its box touches;
the unmarked cells of a column are labelled a run at a time with one bulk STRtree query.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field, replace

import numpy as np
import shapely

CELLS_PER_GRID = 128
MAX_CELLS = 4_000_000  # int32 cells: 16 MB at most
EPS = 1e-9  # degrees (0.1 mm): far above the rounding of a cell index, far below any grid's size
EMPTY = -1  # no grid covers any point of the cell
MIXED = -2  # some linework passes near: answer each point exactly
NO_GRID = -1  # locate_many's answer for a point in no grid
_BIG = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Raster:
    x0: float
    y0: float
    inv: float  # cells per degree
    nx: int
    ny: int
    cells: array  # flat, index ix * ny + iy: a position, EMPTY or MIXED

    def cell_of(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Flat cell index of each point, -1 outside the raster (vectorised ``GridIndex.find``)."""
        fx = (xs - self.x0) * self.inv
        fy = (ys - self.y0) * self.inv
        inside = (fx >= 0) & (fx < self.nx) & (fy >= 0) & (fy < self.ny)
        flat = np.full(len(xs), -1, dtype=np.int64)
        flat[inside] = fx[inside].astype(np.int64) * self.ny + fy[inside].astype(np.int64)
        return flat


@dataclass(frozen=True)
class GridIndex:
    stamp: tuple | None
    tree: shapely.STRtree
    geometries: np.ndarray  # prepared, in code order
    ids: np.ndarray  # Grid pk at the same position (int64)
    hull: object = None  # the convex hull of every grid (None: no grids)
    raster: Raster | None = None
    id_list: list = field(default_factory=list)  # ids as Python ints (a scalar read without numpy's cost)

    def exact(self, lng: float, lat: float) -> int | None:
        """The position of the grid holding the point, by the STRtree and ``covers`` (no raster)."""
        point = shapely.Point(lng, lat)
        candidates = self.tree.query(point)  # bounding boxes only
        if not len(candidates):
            return None
        hits = candidates[shapely.covers(self.geometries[candidates], point)]
        return int(hits.min()) if len(hits) else None  # smallest position = smallest code

    def find(self, lng: float, lat: float) -> int | None:
        """The pk of the grid holding the point, or None."""
        r = self.raster
        if r is None:  # no grids, or the raster is still being built: the exact way
            position = self.exact(lng, lat) if self.id_list else None
            return None if position is None else self.id_list[position]
        fx = (lng - r.x0) * r.inv
        fy = (lat - r.y0) * r.inv
        if not (0 <= fx < r.nx and 0 <= fy < r.ny):
            return None  # outside every grid's bounds
        cell = r.cells[int(fx) * r.ny + int(fy)]
        if cell >= 0:
            return self.id_list[cell]
        if cell == EMPTY:
            return None
        position = self.exact(lng, lat)
        return None if position is None else self.id_list[position]

    def find_many(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Grid pks for arrays of lng and lat (finite floats), ``NO_GRID`` where none: the same answers as
        ``find`` point by point."""
        n = len(xs)
        out = np.full(n, NO_GRID, dtype=np.int64)
        r = self.raster
        if not n or not self.id_list:
            return out
        if r is None:  # the raster is still being built: every point the exact way
            positions = positions_covering(self.tree, shapely.points(xs, ys))
            hit = positions != _BIG
            out[hit] = self.ids[positions[hit]]
            return out
        flat = r.cell_of(xs, ys)
        cells = np.full(n, EMPTY, dtype=np.int64)
        inside = flat >= 0
        cells[inside] = np.frombuffer(r.cells, dtype=np.int32)[flat[inside]]
        answered = cells >= 0
        out[answered] = self.ids[cells[answered]]
        mixed = np.nonzero(cells == MIXED)[0]
        if len(mixed):
            positions = positions_covering(self.tree, shapely.points(xs[mixed], ys[mixed]))
            hit = positions != _BIG
            out[mixed[hit]] = self.ids[positions[hit]]
        return out


def positions_covering(tree: shapely.STRtree, points: np.ndarray) -> np.ndarray:
    """For each point, the smallest position of a tree geometry covering it (``_BIG``: none)."""
    pairs = tree.query(points, predicate="covered_by")  # point covered_by geometry == geometry covers point
    best = np.full(len(points), _BIG, dtype=np.int64)
    np.minimum.at(best, pairs[0], pairs[1])
    return best


def build(geometries: list, ids: list[int], stamp: tuple | None, *, raster: bool = True) -> GridIndex:
    """An index over valid, non-empty ``geometries`` (already in code order) with their pks; without its
    raster when ``raster`` is false (every lookup then goes the exact way; :func:`with_raster` adds it)."""
    array_ = np.array(geometries, dtype=object)
    shapely.prepare(array_)
    tree = shapely.STRtree(array_)
    hull = None
    if geometries:
        coords = shapely.get_coordinates(array_)
        # a line through every vertex has the same convex hull as the points, and is one geometry to make
        # (a multipoint of 20,000 grids' vertices took a second to build)
        hull = shapely.convex_hull(shapely.linestrings(coords) if len(coords) > 1 else shapely.multipoints(coords))
        shapely.prepare(hull)
    return GridIndex(stamp=stamp, tree=tree, geometries=array_, ids=np.array(ids, dtype=np.int64), hull=hull,
                     raster=build_raster(tree, array_) if geometries and raster else None,
                     id_list=[int(i) for i in ids])


def with_raster(index: GridIndex) -> GridIndex:
    """The same index with its raster built (the slow part of a build: seconds at 20,000 grids)."""
    if index.raster is not None or not index.id_list:
        return index
    return replace(index, raster=build_raster(index.tree, index.geometries))


def _linework(geometries: np.ndarray) -> np.ndarray:
    """Every ring, line and point of the geometries (a repaired boundary may carry lines and points)."""
    parts = shapely.get_parts(geometries)
    kinds = shapely.get_type_id(parts)
    polygons = parts[kinds == 3]
    others = parts[kinds != 3]
    return np.concatenate([shapely.get_rings(polygons), others]) if len(others) else shapely.get_rings(polygons)


def build_raster(tree: shapely.STRtree, geometries: np.ndarray, cells_per_grid: int = CELLS_PER_GRID,
                 max_cells: int = MAX_CELLS) -> Raster:
    x_min, y_min, x_max, y_max = (float(v) for v in shapely.total_bounds(geometries))
    width, height = x_max - x_min, y_max - y_min
    target = max(1, min(max_cells, len(geometries) * cells_per_grid))
    size = math.sqrt(width * height / target) if width * height > 0 else max(width, height, 1e-6)
    size = max(size, 1e-6, width / 2000, height / 2000)  # never thinner than a tenth of a metre; bounded shape
    while (int(width / size) + 2) * (int(height / size) + 2) > max_cells:
        size *= 1.1
    x0, y0, inv = x_min - size / 2, y_min - size / 2, 1.0 / size
    nx, ny = int(width / size) + 2, int(height / size) + 2

    # mark every cell some linework passes within EPS of
    lines = shapely.segmentize(_linework(geometries), size / 2)
    coords, which = shapely.get_coordinates(lines, return_index=True)
    same = which[:-1] == which[1:]
    a, b = coords[:-1][same], coords[1:][same]
    lo = np.concatenate([np.minimum(a, b), coords])  # the pieces' boxes, and every vertex on its own
    hi = np.concatenate([np.maximum(a, b), coords])
    lo_x = np.clip(np.floor((lo[:, 0] - EPS - x0) * inv), 0, nx - 1).astype(np.int64)
    hi_x = np.clip(np.floor((hi[:, 0] + EPS - x0) * inv), 0, nx - 1).astype(np.int64)
    lo_y = np.clip(np.floor((lo[:, 1] - EPS - y0) * inv), 0, ny - 1).astype(np.int64)
    hi_y = np.clip(np.floor((hi[:, 1] + EPS - y0) * inv), 0, ny - 1).astype(np.int64)
    mixed = np.zeros(nx * ny, dtype=bool)
    for dx in range(int((hi_x - lo_x).max()) + 1 if len(lo) else 0):
        for dy in range(int((hi_y - lo_y).max()) + 1):
            ok = (lo_x + dx <= hi_x) & (lo_y + dy <= hi_y)
            mixed[(lo_x[ok] + dx) * ny + lo_y[ok] + dy] = True

    # unmarked cells: one answer per run of them along a column, from the first cell's centre
    flat = np.arange(nx * ny, dtype=np.int64)
    iy = flat % ny
    free = ~mixed
    starts = free & ((iy == 0) | np.concatenate([[True], mixed[:-1]]))
    first = np.nonzero(starts)[0]
    centres = shapely.points(x0 + (first // ny + 0.5) * size, y0 + (first % ny + 0.5) * size)
    answers = positions_covering(tree, centres)
    answers = np.where(answers == _BIG, EMPTY, answers)
    run = np.cumsum(starts) - 1  # at a free cell: the run it belongs to
    cells = np.where(free, answers[np.clip(run, 0, None)] if len(first) else EMPTY, MIXED).astype(np.int32)
    return Raster(x0=x0, y0=y0, inv=inv, nx=nx, ny=ny, cells=array("i", cells.tobytes()))

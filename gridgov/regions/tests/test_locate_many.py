"""One at a time (``locate_id``), in bulk (``locate_many``) and by brute force agree on every point: edges,
vertices, holes, overlaps, random points — the raster's precomputed answers never differ from ``covers``."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from gridgov.regions import gridindex
from gridgov.regions.models import Grid, Region
from gridgov.regions.spatial import NO_GRID, locate_id, locate_many
from gridgov.testing import square

HOLE = [[116.004, 36.404], [116.004, 36.406], [116.006, 36.406], [116.006, 36.404], [116.004, 36.404]]


def brute_force(points) -> list[int | None]:
    """The rule read literally: the smallest code among the active grids whose boundary covers the point
    (every grid tried, unprepared shapes, no index)."""
    grids = [(g.pk, shape(g.boundary)) for g in Grid.objects.filter(active=True, boundary__isnull=False)
             .order_by("code")]
    answers = []
    for x, y in points:
        point = shapely.Point(x, y)
        answers.append(next((pk for pk, geometry in grids if geometry.covers(point)), None))
    return answers


@pytest.fixture
def tangled(city):
    """The test city plus a hole in a1 filled by a school grid, a grid overlapping a1 and a2, a triangle
    sharing a2's vertex and a two-part grid."""
    Grid.objects.filter(pk=city.grid_a1.pk).update(boundary=square(116.00, 36.40, holes=[HOLE]))
    Grid.objects.create(code="371502001001009", name="学校", community=city.community_a,
                        boundary={"type": "Polygon", "coordinates": [[[116.0045, 36.4045], [116.0045, 36.4055],
                                                                       [116.0055, 36.4055], [116.0055, 36.4045],
                                                                       [116.0045, 36.4045]]]})
    Grid.objects.create(code="371502001001000", name="重叠", community=city.community_a,
                        boundary=square(116.008, 36.402, size=0.004))
    Grid.objects.create(code="371502001001007", name="三角", community=city.community_a,
                        boundary={"type": "Polygon", "coordinates": [[[116.02, 36.41], [116.03, 36.41],
                                                                       [116.02, 36.42], [116.02, 36.41]]]})
    two = square(116.30, 36.30)
    Grid.objects.create(code="371502002001008", name="两块", community=Region.objects.get(code=city.community_b.code),
                        boundary={"type": "MultiPolygon", "coordinates": [two["coordinates"],
                                                                          square(116.40, 36.30)["coordinates"]]})
    return city


def special_points() -> list[tuple[float, float]]:
    """Every vertex and edge midpoint of the fixture's grids, the holes' corners and edges, and points a hair
    inside and outside them."""
    points = []
    for grid in Grid.objects.filter(boundary__isnull=False):
        coords = shapely.get_coordinates(shape(grid.boundary))
        for (x1, y1), (x2, y2) in zip(coords[:-1], coords[1:], strict=True):
            points += [(x1, y1), ((x1 + x2) / 2, (y1 + y2) / 2)]
    for x, y in list(points):
        points += [(x + dx, y + dy) for dx in (-1e-7, 1e-7) for dy in (-1e-7, 1e-7)]
    return points


def test_every_vertex_edge_and_hole_point_agrees_with_brute_force(tangled):
    points = special_points()
    expected = brute_force(points)

    assert [locate_id(x, y) for x, y in points] == expected
    bulk = locate_many([x for x, _y in points], [y for _x, y in points])
    assert [None if pk == NO_GRID else int(pk) for pk in bulk] == expected


def test_random_points_agree_with_brute_force_one_at_a_time_and_in_bulk(tangled):
    rng = np.random.default_rng(13)
    xs = np.concatenate([rng.uniform(115.99, 116.04, 1500), rng.uniform(116.29, 116.42, 500)])
    ys = np.concatenate([rng.uniform(36.39, 36.43, 1500), rng.uniform(36.29, 36.32, 500)])
    # and points snapped to a 0.0005° lattice: on the grids' edges and vertices far more often than chance
    xs = np.concatenate([xs, np.round(xs[:600] * 2000) / 2000])
    ys = np.concatenate([ys, np.round(ys[:600] * 2000) / 2000])
    expected = brute_force(zip(xs.tolist(), ys.tolist(), strict=True))

    assert [locate_id(x, y) for x, y in zip(xs.tolist(), ys.tolist(), strict=True)] == expected
    assert [None if pk == NO_GRID else int(pk) for pk in locate_many(xs, ys)] == expected


def test_the_raster_answers_most_points_without_geometry_and_marks_the_edges_mixed():
    boxes = [shapely.box(116 + i * 0.01, 36, 116.01 + i * 0.01, 36.01) for i in range(50)]
    index = gridindex.build(boxes, list(range(1, 51)), stamp=None)
    cells = np.frombuffer(index.raster.cells, dtype=np.int32)

    assert (cells >= 0).mean() > 0.5
    assert (cells == gridindex.MIXED).any()
    # the shared edge x = 116.01 lies in a mixed cell; the point on it goes to the smaller position (pk 1)
    flat = index.raster.cell_of(np.array([116.01]), np.array([36.005]))[0]
    assert cells[flat] == gridindex.MIXED
    assert index.find(116.01, 36.005) == 1


def test_locate_many_keeps_the_order_and_answers_points_outside_every_grid(city):
    ids = locate_many([116.105, 0.0, 116.005, 116.015], [36.405, 0.0, 36.405, 36.405])

    assert ids.tolist() == [city.grid_b1.pk, NO_GRID, city.grid_a1.pk, city.grid_a2.pk]


def test_locate_many_with_no_grids_answers_no_grid(db):
    assert locate_many([116.0, 117.0], [36.0, 37.0]).tolist() == [NO_GRID, NO_GRID]


@pytest.mark.parametrize(("lngs", "lats"), [([181.0], [36.0]), ([116.0], [float("nan")]), ([116.0, 1.0], [36.0])])
def test_locate_many_refuses_bad_points(db, lngs, lats):
    with pytest.raises(ValueError):
        locate_many(lngs, lats)


def test_a_large_city_answers_at_once_and_the_same_before_and_after_its_raster(city, settings, monkeypatch):
    """Above RASTER_INLINE_MAX_GRIDS the first lookup does not wait for the raster: the index comes without
    it, every lookup takes the exact way, and the raster arrives from its thread with the same answers."""
    import threading

    import numpy as np

    from gridgov.regions import gridindex, spatial

    monkeypatch.setattr(spatial, "RASTER_INLINE_MAX_GRIDS", 0)
    started = threading.Event()
    release = threading.Event()
    real = gridindex.with_raster

    def slow(index):
        started.set()
        release.wait(10)
        return real(index)

    monkeypatch.setattr(gridindex, "with_raster", slow)
    spatial.invalidate_all()
    bare = spatial.grid_index()
    assert started.wait(5) and bare.raster is None and bare.id_list
    rng = np.random.default_rng(7)
    x0, y0, x1, y1 = (float(v) for v in __import__("shapely").total_bounds(bare.geometries))
    xs, ys = rng.uniform(x0 - 0.01, x1 + 0.01, 400), rng.uniform(y0 - 0.01, y1 + 0.01, 400)
    before = [spatial.locate_id(x, y) for x, y in zip(xs, ys, strict=True)]
    before_many = spatial.locate_many(xs, ys)
    release.set()
    assert spatial.raster_ready(10)
    assert spatial.grid_index().raster is not None
    assert [spatial.locate_id(x, y) for x, y in zip(xs, ys, strict=True)] == before
    assert list(spatial.locate_many(xs, ys)) == list(before_many)
    assert any(v is not None for v in before) and any(v is None for v in before)

from __future__ import annotations

from io import StringIO

import numpy as np
import pytest
import shapely
from django.core.management import call_command
from shapely.geometry import shape

from gridgov.core.errors import ValidationFailed
from gridgov.regions.models import Grid, Region
from gridgov.regions.services import (
    DEMO_EXTENT,
    community_short_name,
    demo_layout,
    generate_demo_grids,
    import_divisions,
)
from gridgov.regions.spatial import locate
from gridgov.regions.tests.helpers import write_divisions
from gridgov.regions.tests.test_import_divisions import DEMO_DIR


@pytest.fixture
def small_city(db, tmp_path):
    import_divisions(write_divisions(tmp_path), "3715")


@pytest.fixture
def liaocheng(db):
    import_divisions(DEMO_DIR, "3715")


def geometries(qs=None):
    grids = list((qs or Grid.objects.all()).order_by("code"))
    return grids, np.array([shape(g.boundary) for g in grids], dtype=object)


def overlapping_pairs(geoms) -> list[tuple[int, int]]:
    """Pairs of distinct geometries whose interiors share some area."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    areas = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    return [(int(a), int(b)) for a, b, area in zip(left, right, areas, strict=True) if area > 1e-12]


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("古城社区居委会", "古城社区"),
        ("光岳社区居民委员会", "光岳社区"),
        ("王庄村委会", "王庄村"),
        ("安洲新村村民委员", "安洲新村"),
        ("五里后村委", "五里后村"),
        ("大学城新村", "大学城新村"),
    ],
)
def test_community_short_names_drop_the_committee_suffix(name, short):
    assert community_short_name(name) == short


def test_it_creates_one_grid_per_community_plus_one_dedicated_school(small_city):
    counts = generate_demo_grids("3715")

    assert counts == {"created": 5, "skipped": 0, "communities": 4}
    general = Grid.objects.filter(kind=Grid.Kind.GENERAL)
    assert sorted(general.values_list("code", flat=True)) == [
        "371502001001001",
        "371502001002001",
        "371502002001001",
        "371503001001001",
    ]
    first = Grid.objects.get(code="371502001001001")
    assert first.name == "古城社区第一网格"
    assert first.community.code == "371502001001"
    assert 300 <= first.households <= 500
    school = Grid.objects.get(kind=Grid.Kind.DEDICATED)
    assert (school.code, school.name, school.dedicated_type) == ("371502001001901", "古城社区学校专属网格", "学校")


def test_the_school_sits_in_a_hole_of_its_community_grid(small_city):
    generate_demo_grids("3715")
    school = Grid.objects.get(kind=Grid.Kind.DEDICATED)
    host = Grid.objects.get(code="371502001001001")
    centre = shape(school.boundary).centroid

    assert len(host.boundary["coordinates"]) == 2  # shell + hole
    assert locate(centre.x, centre.y) == school
    corner = host.boundary["coordinates"][0][0]
    assert locate(corner[0] + 1e-6, corner[1] + 1e-6) == host


def test_two_per_community_gives_first_and_second_grids(small_city):
    counts = generate_demo_grids("3715", per_community=2)

    assert counts["created"] == 9
    assert Grid.objects.get(code="371503001001002").name == "王庄村第二网格"


def test_a_rerun_skips_existing_codes_and_never_overlaps(small_city):
    generate_demo_grids("3715", per_community=1)
    before = dict(Grid.objects.values_list("code", "updated_at"))

    assert generate_demo_grids("3715", per_community=1) == {"created": 0, "skipped": 5, "communities": 4}
    assert generate_demo_grids("3715", per_community=2)["created"] == 4
    assert {code: stamp for code, stamp in Grid.objects.values_list("code", "updated_at") if code in before} == before
    _, geoms = geometries()
    assert overlapping_pairs(geoms) == []


def test_per_community_must_be_one_or_two(small_city):
    with pytest.raises(ValidationFailed):
        generate_demo_grids("3715", per_community=3)


def test_a_city_without_communities_is_refused(db):
    with pytest.raises(ValidationFailed, match="请先导入行政区划"):
        generate_demo_grids("3715")


def test_layout_cells_tile_the_extent_without_overlap():
    codes = [f"3715{c:02d}{t:03d}{v:03d}" for c in range(1, 4) for t in range(1, 6) for v in range(1, 8)]

    cells = demo_layout(codes)

    boxes = np.array([shapely.box(*cells[code]) for code in codes], dtype=object)
    assert overlapping_pairs(boxes) == []
    x0, y0, x1, y1 = shapely.total_bounds(boxes)
    assert DEMO_EXTENT[0] <= x0 and x1 <= DEMO_EXTENT[2] and DEMO_EXTENT[1] <= y0 and y1 <= DEMO_EXTENT[3]


def test_the_whole_city_gets_valid_non_overlapping_grids_grouped_by_township(liaocheng):
    counts = generate_demo_grids("3715", per_community=2)

    assert counts == {"created": 2 * 2408 + 1, "skipped": 0, "communities": 2408}
    grids, geoms = geometries()
    assert all(shapely.is_valid(geoms))
    assert overlapping_pairs(geoms) == []
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    assert (115.5, 36.0) <= (x0, y0) and (x1, y1) <= (116.5, 37.0)
    # neighbours in the tree are neighbours on the map: townships' envelopes do not overlap
    townships = {}
    for grid, geom in zip(grids, geoms, strict=True):
        townships.setdefault(grid.code[:9], []).append(geom)
    envelopes = np.array([shapely.union_all(parts).envelope for parts in townships.values()], dtype=object)
    assert len(envelopes) == Region.objects.filter(level=Region.Level.TOWNSHIP).count() == 136
    assert overlapping_pairs(envelopes) == []
    # every grid is found at a point inside it
    for grid, geom in list(zip(grids, geoms, strict=True))[::97]:
        point = geom.representative_point()
        assert locate(point.x, point.y) == grid


def test_the_command_reports_counts(small_city):
    out = StringIO()
    call_command("generate_demo_grids", "3715", "--per-community", "2", stdout=out)

    assert "新建 9" in out.getvalue()

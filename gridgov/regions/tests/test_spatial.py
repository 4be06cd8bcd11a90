"""Point-in-grid lookup.  The city fixture: grid a1 = lng 116.00–116.01, a2 = 116.01–116.02
(sharing a1's east edge), b1 = 116.10–116.11, all at lat 36.40–36.41."""

from __future__ import annotations

import pytest

from gridgov.regions import spatial
from gridgov.regions.models import Grid
from gridgov.regions.spatial import grid_index, locate
from gridgov.testing import square

HOLE = [[116.004, 36.404], [116.004, 36.406], [116.006, 36.406], [116.006, 36.404], [116.004, 36.404]]


def test_a_point_inside_a_grid_finds_that_grid(city):
    assert locate(116.005, 36.405) == city.grid_a1
    assert locate(116.015, 36.405) == city.grid_a2
    assert locate(116.105, 36.405) == city.grid_b1


def test_the_grid_comes_with_its_community(city, django_assert_num_queries):
    grid_index()
    with django_assert_num_queries(1):  # the grid row; the stamp was read within its TTL
        grid = locate(116.005, 36.405)
        assert grid.community.name == "古城社区居委会"


def test_a_point_on_an_outer_edge_or_vertex_belongs_to_the_grid(city):
    assert locate(116.00, 36.405) == city.grid_a1  # west edge
    assert locate(116.005, 36.40) == city.grid_a1  # south edge
    assert locate(116.00, 36.40) == city.grid_a1  # south-west vertex
    assert locate(116.02, 36.41) == city.grid_a2  # north-east vertex


def test_a_point_on_a_shared_edge_goes_to_the_smallest_code(city):
    assert city.grid_a1.code < city.grid_a2.code
    assert locate(116.01, 36.405) == city.grid_a1


def test_a_point_on_a_shared_vertex_goes_to_the_smallest_code(city):
    assert locate(116.01, 36.41) == city.grid_a1
    assert locate(116.01, 36.40) == city.grid_a1


def test_the_smallest_code_wins_whatever_the_order_the_grids_were_created_in(city):
    # a later grid with a smaller code, overlapping a2 entirely
    early = Grid.objects.create(
        code="371502001001000", name="零号", community=city.community_a, boundary=square(116.01, 36.40)
    )

    assert locate(116.015, 36.405) == early
    assert locate(116.01, 36.405) == early  # on a1's edge too: 000 < 001


def test_a_point_in_a_hole_is_not_in_the_grid_with_the_hole(city):
    city.grid_a1.boundary = square(116.00, 36.40, holes=[HOLE])
    city.grid_a1.save()

    assert locate(116.005, 36.405) is None
    assert locate(116.002, 36.402) == city.grid_a1  # outside the hole, inside the shell


def test_a_point_in_a_hole_filled_by_another_grid_finds_the_filler(city):
    city.grid_a1.boundary = square(116.00, 36.40, holes=[HOLE])
    city.grid_a1.save()
    school = Grid.objects.create(
        code="371502001001901",
        name="学校专属网格",
        kind=Grid.Kind.DEDICATED,
        community=city.community_a,
        boundary={"type": "Polygon", "coordinates": [HOLE[::-1]]},
    )

    assert locate(116.005, 36.405) == school
    # the hole's edge belongs to both; a1 has the smaller code
    assert locate(116.004, 36.405) == city.grid_a1


def test_a_multipolygon_grid_is_found_in_every_part(city):
    part = square(116.30, 36.30)["coordinates"]
    other = square(116.40, 36.30)["coordinates"]
    grid = Grid.objects.create(
        code="371502002001002",
        name="两片网格",
        community=city.community_b,
        boundary={"type": "MultiPolygon", "coordinates": [part, other]},
    )

    assert locate(116.305, 36.305) == grid
    assert locate(116.405, 36.305) == grid
    assert locate(116.35, 36.305) is None


def test_a_point_outside_every_grid_is_none(city):
    assert locate(116.05, 36.405) is None
    assert locate(0, 0) is None


def test_no_grids_at_all_is_none(db):
    assert locate(116.0, 36.4) is None


def test_inactive_grids_and_grids_without_boundary_are_never_found(city):
    Grid.objects.create(code="371502002001005", name="无边界", community=city.community_b, boundary=None)
    city.grid_b1.active = False
    city.grid_b1.save()

    assert locate(116.105, 36.405) is None


def test_the_index_is_reused_while_nothing_changes(city):
    assert grid_index() is grid_index()


def test_a_grid_added_elsewhere_is_seen_without_invalidate(city):
    """Another process adds a grid: no invalidate() reaches us, the stamp does."""
    assert locate(116.205, 36.405) is None
    added = Grid.objects.create(
        code="371502002001002", name="新网格", community=city.community_b, boundary=square(116.20, 36.40)
    )

    assert locate(116.205, 36.405) == added


def test_a_grid_moved_elsewhere_is_seen_without_invalidate(city):
    assert locate(116.105, 36.405) == city.grid_b1
    city.grid_b1.boundary = square(116.50, 36.50)
    city.grid_b1.save()

    assert locate(116.105, 36.405) is None
    assert locate(116.505, 36.505) == city.grid_b1


def test_a_grid_deactivated_or_deleted_elsewhere_is_seen_without_invalidate(city):
    assert locate(116.105, 36.405) == city.grid_b1
    city.grid_b1.active = False
    city.grid_b1.save()
    assert locate(116.105, 36.405) is None

    assert locate(116.015, 36.405) == city.grid_a2
    city.grid_a2.delete()
    assert locate(116.015, 36.405) is None


def test_invalidate_forces_a_rebuild(city):
    first = grid_index()
    spatial.invalidate()

    assert grid_index() is not first


def test_an_unreadable_boundary_is_left_out_instead_of_breaking_lookups(city, caplog):
    Grid.objects.filter(pk=city.grid_a2.pk).update(boundary={"type": "Polygon", "coordinates": "garbage"})
    spatial.invalidate()

    assert locate(116.005, 36.405) == city.grid_a1
    assert "unreadable boundary" in caplog.text


@pytest.mark.parametrize(("lng", "lat"), [(181, 36), (-181, 36), (116, 91), (116, -90.5), (float("nan"), 36)])
def test_out_of_range_coordinates_are_refused(db, lng, lat):
    with pytest.raises(ValueError):
        locate(lng, lat)

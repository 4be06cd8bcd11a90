"""The city's area for intake: how far a point lies outside the convex hull of the active grids."""

import pytest

from gridgov.regions import spatial
from gridgov.regions.models import Grid


def test_a_point_in_a_grid_or_between_grids_is_inside(city):
    assert spatial.distance_outside_m(116.005, 36.405) == 0
    assert spatial.distance_outside_m(116.05, 36.405) == 0  # between township A's grids and B's
    assert spatial.distance_outside_m(116.11, 36.41) == 0  # a corner of the hull


def test_the_distance_outside_is_measured_in_metres_to_the_nearest_edge(city):
    north = spatial.distance_outside_m(116.05, 36.42)  # 0.01° of latitude north of the top edge
    assert 1100 < north < 1125
    east = spatial.distance_outside_m(116.12, 36.405)  # 0.01° of longitude east, at lat 36.4
    assert 890 < east < 900
    assert spatial.distance_outside_m(116.40, 39.90) > 300_000


def test_inactive_grids_do_not_count_and_no_grid_means_no_area(city):
    Grid.objects.filter(code__startswith="371502002").update(active=False, updated_at=city.grid_a1.updated_at)
    spatial.invalidate()
    assert spatial.distance_outside_m(116.105, 36.405) > 7000
    Grid.objects.update(active=False)
    spatial.invalidate()
    assert spatial.distance_outside_m(116.005, 36.405) is None


def test_a_bad_coordinate_is_refused(city):
    with pytest.raises(ValueError):
        spatial.distance_outside_m(float("nan"), 36.4)
    with pytest.raises(ValueError):
        spatial.distance_outside_m(200, 36.4)

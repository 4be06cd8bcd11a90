"""The engine over real rules and in a race: one open warning per condition, whatever happens."""

from datetime import timedelta

from gridgov.warnings import engine
from gridgov.warnings.engine import run_rules, upsert
from gridgov.warnings.models import Warning
from gridgov.warnings.tests.conftest import LATER, T0, signal


def test_a_rule_that_keeps_firing_updates_its_warning_and_a_new_case_joins_it(city, report):
    for _i in range(3):
        report()
    run_rules(LATER, only=["repeat_place"])
    w = Warning.objects.get()
    assert w.rule == "repeat_place" and w.level == "yellow" and w.cases.count() == 3
    e = report(now=LATER)
    run_rules(LATER + timedelta(hours=1), only=["repeat_place"])
    w = Warning.objects.get()
    assert w.times_seen == 2 and w.numbers["count"] == 4 and w.cases.filter(case_id=e.pk).exists()
    assert w.center == city.township_a and w.code == "371502001001001"


def test_a_signal_for_an_unknown_place_or_level_is_skipped_not_fatal(city):
    counts = upsert([signal(code="999999999"), signal(key="k2", level="purple"), signal(key="k3")], now=T0)
    assert counts == {"opened": 1, "updated": 0, "raised": 0, "skipped": 2, "quiet": 0}


def test_a_rival_sweep_opening_the_same_warning_first_makes_this_one_update_it(city, monkeypatch):
    original = engine.Places.region
    rival = {}

    def racing_region(self, code):
        if not rival:  # between this sweep's read of the open warnings and its insert
            rival["n"] = None
            rival["n"] = upsert([signal()], now=T0)
        return original(self, code)

    monkeypatch.setattr(engine.Places, "region", racing_region)
    counts = upsert([signal(numbers={"observed": 12})], now=LATER)
    assert rival["n"]["opened"] == 1 and counts["opened"] == 0 and counts["updated"] == 1
    w = Warning.objects.get()
    assert w.times_seen == 2 and w.numbers == {"observed": 12}


def test_a_region_code_signal_is_owned_by_that_regions_center(city):
    upsert([signal(code="371502", key="county-wide", point=None)], now=T0)
    w = Warning.objects.get()
    assert w.region == city.county and w.center == city.county


def test_a_signal_without_a_point_is_shown_at_its_places_centre_on_the_map(city):
    """A grid's or a region's condition (overdue visits, a petition surge) has no point of its own: the board's
    map shows it at the centre of the grid or region (inside its outline)."""
    from shapely import Point

    from gridgov.regions import outlines

    upsert([signal(key="grid", point=None), signal(code="371502", key="county", point=None)], now=T0)
    at = {w.key: (w.lng, w.lat) for w in Warning.objects.all()}
    assert at["grid"] == outlines.current().center(city.grid_a1.code) and at["grid"][0] is not None
    assert outlines.current().geom(city.grid_a1.code).contains(Point(*at["grid"]))
    assert at["county"] == outlines.current().center("371502") and at["county"][0] is not None


def test_a_long_key_is_cut_the_same_way_every_time(city):
    long_key = "repeat_place:" + "x" * 300
    upsert([signal(key=long_key)], now=T0)
    assert upsert([signal(key=long_key)], now=LATER)["updated"] == 1
    assert Warning.objects.get().key == long_key[:200]


def test_the_task_runs_the_rules(city):
    from gridgov.warnings.tasks import warning_sweep_task

    result = warning_sweep_task.enqueue()
    assert set(result.return_value) >= {"repeat_place", "care_gap"}

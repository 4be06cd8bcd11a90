"""The hotspot detector on fixed series, and the hotspot rule on events in the database."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest

import gridgov.warnings.rules_hotspot  # noqa: F401  (registers the rule)
from gridgov.cases.warnrules import spec
from gridgov.events.models import Event
from gridgov.events.tests.conftest import MONDAY_0900, cats, report  # noqa: F401
from gridgov.warnings import hotspot

DAYS = 63


def flat(rate: int = 2) -> np.ndarray:
    return np.full(DAYS, rate)


# --- the tail -------------------------------------------------------------------------------------------------

def test_poisson_tail_matches_the_sum_of_its_terms():
    for o, mean in [(5, 1.0), (14, 3.2), (3, 5.0), (42, 14.0)]:
        direct = 1 - sum(math.exp(-mean) * mean ** k / math.factorial(k) for k in range(o))
        assert hotspot.upper_tail(o, mean) == pytest.approx(direct, rel=1e-9)


def test_negative_binomial_tail_of_size_one_is_geometric():
    # size 1, mean 2: P(X >= k) = (2/3)^k
    for k in (1, 3, 10, 40):
        assert hotspot.upper_tail(k, 2.0, 1.0) == pytest.approx((2 / 3) ** k, rel=1e-9)


def test_tail_keeps_tiny_p_values_and_never_leaves_zero_to_one():
    assert 0 < hotspot.upper_tail(60, 2.0) < 1e-40
    assert hotspot.upper_tail(0, 3.0) == 1.0
    assert 0.0 <= hotspot.upper_tail(800, 700.0, 50.0) <= 1.0


# --- the detector -------------------------------------------------------------------------------------------

def test_fires_on_a_spike_in_the_last_week_with_the_numbers_behind_it():
    x = flat(2)
    x[-7:] = 8  # 56 in a week that should hold about 14
    r = hotspot.detect(x, tests=30)
    assert r.fired and r.observed == 56
    assert r.expected == pytest.approx((112 + hotspot.PRIOR_COUNT) / 8)
    assert r.ratio == pytest.approx(56 / r.expected)
    assert r.p_value < 1e-10 and r.test == "poisson"
    assert r.level == "orange"  # ratio ≈ 4: orange needs ≥ 3, red ≥ 5


def test_a_sudden_cluster_fires_on_the_short_window():
    x = flat(1)
    x[-2:] = [9, 8]
    r = hotspot.detect(x, tests=30)
    assert r.fired and r.window_days == 3


def test_does_not_fire_on_a_flat_series():
    assert not hotspot.detect(flat(3), tests=1).fired
    assert not hotspot.detect(flat(0), tests=1).fired


def test_does_not_fire_on_a_weekend_only_rhythm():
    # a market place: 10 reports every Saturday and Sunday, none on weekdays — week after week the same
    x = np.array([10 if (d % 7) in (5, 6) else 0 for d in range(DAYS + 14)])
    for end in range(DAYS, DAYS + 15):  # judged on every day of two weeks
        assert not hotspot.detect(x[:end], tests=30).fired
    # and with the city's weekday profile given, on every weekday of the week
    profile = hotspot.weekday_profile(np.tile(x[:7], 9), last_weekday=6)
    for shift in range(7):
        y = np.roll(x[:DAYS], shift)
        assert not hotspot.detect(y, tests=30, profile=profile, last_weekday=(6 - shift) % 7).fired


def test_does_not_fire_on_small_counts_however_unusual():
    x = np.zeros(DAYS, dtype=int)
    x[-3:] = [1, 2, 1]  # 4 events where there were none: below the guard of 5
    r = hotspot.detect(x, tests=1)
    assert r.p_value < 0.001 and not r.fired


def test_overdispersion_makes_the_test_more_careful():
    x = flat(2)
    x[-7:] = 4
    poisson = hotspot.detect(x, tests=1)
    negbin = hotspot.detect(x, tests=1, overdispersion=0.1)
    assert negbin.test == "negbin" and negbin.p_value > poisson.p_value


def test_overdispersion_estimate_is_near_zero_for_poisson_and_positive_for_mixed_counts():
    rng = np.random.default_rng(7)
    poisson = rng.poisson(10.0, size=(400, 8))
    mixed = rng.poisson(10.0 * rng.gamma(4.0, 1 / 4.0, size=(400, 8)))
    assert hotspot.overdispersion(poisson) < 0.01
    assert 0.15 < hotspot.overdispersion(mixed) < 0.4  # NB2 c = 1/4


def test_scan_answers_as_detect_and_leaves_the_quiet_rows_out():
    rng = np.random.default_rng(3)
    counts = rng.poisson(2.0, size=(50, DAYS))
    counts[7, -7:] += 6
    fired = hotspot.scan(counts, [0] * 50, last_weekday=0, tests=1)
    assert list(fired) == [7]
    assert fired[7].observed == counts[7, -7:].sum()


def test_a_bad_window_is_refused():
    with pytest.raises(ValueError):
        hotspot.detect(flat(2)[:20])


# --- the rule over the database -----------------------------------------------------------------------------

A1 = (116.005, 36.405)  # grid 371502001001001
A2 = (116.015, 36.405)  # grid 371502001001002
B1 = (116.105, 36.405)  # grid 371502002001001


@pytest.fixture
def background(report):  # noqa: F811
    """Nine weeks of one 0301 report a day in each of the three grids, and one 0302 every other day in A1."""
    start = MONDAY_0900 - timedelta(days=DAYS - 1)
    for d in range(DAYS - 1):
        day = start + timedelta(days=d)
        for lng, lat in (A1, A2, B1):
            report(lng=lng, lat=lat, now=day)
        if d % 2 == 0:
            report(lng=A1[0], lat=A1[1], category="0302", now=day)
    return start


def run(now):
    s = spec("hotspot")
    return list(s.fn(now, s.defaults()))


@pytest.mark.django_db
def test_rule_is_silent_on_the_background(city, background, report):  # noqa: F811
    for lng, lat in (A1, A2, B1):
        report(lng=lng, lat=lat, now=MONDAY_0900)
    assert run(MONDAY_0900 + timedelta(hours=1)) == []


@pytest.mark.django_db
def test_rule_fires_on_planted_events_in_one_grid_and_says_it_once(city, background, report):  # noqa: F811
    for lng, lat in (A1, A2, B1):
        report(lng=lng, lat=lat, now=MONDAY_0900)
    planted = [report(lng=A1[0], lat=A1[1], now=MONDAY_0900 - timedelta(minutes=10 + 20 * d))
               for d in range(12)]
    signals = run(MONDAY_0900 + timedelta(hours=1))
    assert [s.code for s in signals] == ["371502001001001"], [s.explanation for s in signals]
    s = signals[0]
    assert s.rule == "hotspot" and s.key == "hotspot:event:371502001001001:0301"
    assert s.level in ("blue", "yellow", "orange", "red")
    assert s.numbers["observed"] >= 12 + 3 and s.numbers["category"] == "0301"
    assert s.numbers["expected"] < s.numbers["observed"] / 2
    assert {pk for _kind, pk in s.cases} >= {e.pk for e in planted}
    assert all(kind == "event" for kind, _pk in s.cases) and len(s.cases) <= 50
    assert s.explanation.startswith(f"近{s.numbers['window_days']}天该网格「")
    assert "应约" in s.explanation and "p" in s.explanation
    assert s.point is not None


@pytest.mark.django_db
def test_rule_counts_neither_rejected_nor_merged_events(city, background, report):  # noqa: F811
    planted = [report(lng=A1[0], lat=A1[1], now=MONDAY_0900 - timedelta(minutes=10 + 20 * d)) for d in range(12)]
    assert run(MONDAY_0900 + timedelta(hours=1)) != []
    Event.objects.filter(pk__in=[e.pk for e in planted[:6]]).update(status="rejected")
    Event.objects.filter(pk__in=[e.pk for e in planted[6:]]).update(status="merged")
    assert run(MONDAY_0900 + timedelta(hours=1)) == []


@pytest.mark.django_db
def test_an_excess_spread_over_two_grids_is_the_communitys_and_said_once(city, background, report):  # noqa: F811
    # 8 more in each grid of 古城社区 this morning: not enough for either grid, plain for the community;
    # the township (古楼街道) holds nothing beyond that community's excess, so it stays silent
    for lng, lat in (A1, A2, B1):
        report(lng=lng, lat=lat, now=MONDAY_0900)
    for d in range(8):
        for lng, lat in (A1, A2):
            report(lng=lng, lat=lat, now=MONDAY_0900 - timedelta(minutes=10 + 20 * d))
    signals = run(MONDAY_0900 + timedelta(hours=1))
    assert [s.code for s in signals] == ["371502001001"], [s.explanation for s in signals]
    assert signals[0].explanation.startswith(f"近{signals[0].numbers['window_days']}天该村(社区)「")
    assert len(signals[0].cases) >= 16

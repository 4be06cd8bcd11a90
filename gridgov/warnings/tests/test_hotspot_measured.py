"""A guard on what docs/performance.md reports of the hotspot rule: the development cities of
bench/warnings_eval.py (seeds 1–3, the ones the detector was tuned on — so this guards against a regression,
it does not prove the behaviour; the sealed cities of test_hotspot_sealed.py do that), at a smaller size so
that it runs in seconds: 200 places × 10 categories, 120 evaluation days a city.

The bars are what a city can act on, the same as the sealed test's where they overlap:
- a place whose reports of one kind triple (at two or more a day) is noticed within a week at least 8 times in
  10 — a week is the cadence of a township's 研判 meeting; quintupling within a week 9 times in 10;
- a burst of 15 reports over a day or two where there were almost none is noticed within 3 days 8 times in 10;
- at least 3 of 4 alarms on a planted city are real (a board where most warnings are noise is not read);
- on a quiet city at most one false alarm per 10,000 place-category-days: for the 聊城 demo's ~2,400
  communities and ~30 categories that is about 7 a day before de-duplication — the most a city center can
  assess and dismiss.
"""

from __future__ import annotations

import importlib.util
from argparse import Namespace
from pathlib import Path

import pytest

EVAL = Path(__file__).resolve().parents[3] / "bench" / "warnings_eval.py"


@pytest.fixture(scope="module")
def measured():
    spec = importlib.util.spec_from_file_location("warnings_eval", EVAL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = Namespace(seeds=[1, 2, 3], places=200, categories=10, days=120, shape=6.0)
    return module.evaluate(args, {})


def _recall(delays: list, within: int) -> float:
    return sum(1 for d in delays if d is not None and d < within) / len(delays)


def test_a_tripling_and_a_quintupling_at_two_a_day_are_noticed_within_a_week(measured):
    assert _recall(measured["classes"]["jump x3 >=2/d"], 7) >= 0.8
    assert _recall(measured["classes"]["jump x5 >=2/d"], 7) >= 0.9


def test_a_burst_where_there_was_almost_nothing_is_noticed_within_three_days(measured):
    assert _recall(measured["classes"]["surge +15 <0.5/d"], 3) >= 0.8
    assert _recall(measured["classes"]["surge +30 <0.5/d"], 3) >= 0.8


def test_most_alarms_are_real_and_a_quiet_city_stays_nearly_silent(measured):
    assert measured["true"] / (measured["true"] + measured["false"]) >= 0.75
    place_category_days = measured["series"] * measured["quiet_city_days"]
    assert measured["quiet_onsets"] / place_category_days <= 1e-4
    # the measurement is not empty: the quiet cities were scanned, and the planted ones raised alarms
    assert place_category_days == 2000 * 360 and measured["true"] > 100

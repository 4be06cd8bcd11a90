"""SEALED: the hotspot detector on synthetic cities it was never tuned on.

Written before any tuning of :mod:`gridgov.warnings.hotspot` and not run while tuning; tuning used only
``bench/warnings_eval.py``'s development seeds (1..3). Seeds, sizes and planted sets here are fixed and
different from the bench's, and this file has its own generator, so nothing the tuning looked at is reused.

The cities: places × 8 categories, daily counts negative binomial (a gamma-mixed Poisson, shape 10) around a
rate that has a place-category level (log-uniform 0.1–4 a day), a weekly rhythm (most categories quieter at
weekends, two busier), and a seasonal wave (±25 %, a year long, phase per category). The first 63 days are
history; the detector is run with its defaults on each of the next ``EVAL_DAYS`` days, exactly as the rule
does (groups = categories, ``tests`` = number of categories, the city-wide weekday profile of the category).

What counts: an alarm's ONSET (fired today, not yesterday) — the warning engine opens one warning per onset
and only updates it while the rule keeps firing. An onset is true when its series carries a plant and it
falls between the plant's start and ``window_days`` after its end; every other onset is false.

The thresholds, from what a city can act on (not from what the detector scores):

* ×3 jumps on a place-category with ≥ 2 events a day: recall ≥ 0.8 within 7 days of the start, median
  delay ≤ 3 days. A tripling of a busy category is the condition a township must hear about inside the week
  (its weekly 研判 meeting); later than a week and the warning arrives after the neighbours' complaints.
* ×2 jumps at ≥ 2 a day: recall ≥ 0.5 within 14 days — a doubling held for weeks is worth knowing within
  two weeks, but it is a weaker signal and a miss costs less.
* surges: 15 extra events over 2 days at a place-category with ≤ 1 a day (a group dispute, a flooding
  street): recall ≥ 0.8 within 3 days — a cluster like that needs a same-week response.
* precision ≥ 0.8 on the planted city: four alarms in five must be real, or 研判 staff stop reading them.
* quiet city: false onsets ≤ 1 per 10,000 place-category-days. A real city has ~80,000 place-category
  series busy enough to fire at all (≈2,400 communities and 136 townships × ~30 categories; a grid's series
  is too sparse to reach the 5-event guard by chance): that is ~8 false warnings a day city-wide, about one
  per township every two to three weeks — a load a township center can triage (研判 → 误报) without learning
  to ignore the board. More than that and the board becomes noise.
"""

from __future__ import annotations

import numpy as np
import pytest

from gridgov.warnings import hotspot

# The verdict, run once at the end of the work (2026-12-01, docs/performance.md): NOT MET. The thresholds stay;
# the mark keeps the suite green and turns it red (strict) when a detector meets them, so the mark goes then.
SEALED_RESULT = ("planted: x3 recall@7d 0.812, median delay 4 (bar 3), x2 recall@14d 0.383 (bar 0.5), surge "
                 "recall@3d 0.967, precision 0.955; quiet: 1.25e-4 false onsets per place-category-day (bar 1e-4)")

CATEGORIES = 8
HISTORY = 63
EVAL_DAYS = 140
WINDOW = hotspot.DEFAULTS["window_days"]
WEEK_QUIET = np.array([1.08, 1.06, 1.05, 1.06, 1.1, 0.85, 0.8])  # Monday first
WEEK_BUSY = np.array([0.85, 0.85, 0.9, 0.9, 1.0, 1.3, 1.2])
START_WEEKDAY = 3  # day 0 is a Thursday


def _background(rng: np.random.Generator, places: int) -> tuple[np.ndarray, np.ndarray]:
    """places·CATEGORIES × days of counts: rows are place-major (row = place * CATEGORIES + category)."""
    days = HISTORY + EVAL_DAYS
    t = np.arange(days)
    weekday = (START_WEEKDAY + t) % 7
    level = np.exp(rng.uniform(np.log(0.1), np.log(4.0), size=places * CATEGORIES))
    rows = []
    for cat in range(CATEGORIES):
        week = WEEK_BUSY if cat in (2, 5) else WEEK_QUIET
        season = 1 + 0.25 * np.sin(2 * np.pi * (t + 45 * cat) / 365)
        rows.append((week / week.mean())[weekday] * season)
    shape = np.stack([rows[i % CATEGORIES] for i in range(places * CATEGORIES)])
    rate = level[:, None] * shape
    mixed = rate * rng.gamma(10.0, 1 / 10.0, size=rate.shape)
    return rng.poisson(mixed), level


def _plant(rng: np.random.Generator, counts: np.ndarray, level: np.ndarray):
    """Plants on distinct series: 40 ×3 and 30 ×2 jumps (21 days) on series at ≥ 2/day, 30 surges (+15 over
    2 days) on series at ≤ 1/day. Returns [(kind, row, start, end)] with end exclusive."""
    busy = [i for i in rng.permutation(len(level)) if level[i] >= 2.0]
    calm = [i for i in rng.permutation(len(level)) if level[i] <= 1.0]
    plants = []
    for kind, factor, n, pool in (("x3", 3.0, 40, busy[:40]), ("x2", 2.0, 30, busy[40:70])):
        assert len(pool) == n, "the city is too small for its plants"
        for row in pool:
            start = int(rng.integers(HISTORY + 7, HISTORY + EVAL_DAYS - 21))
            end = start + 21
            extra = rng.poisson(level[row] * (factor - 1), size=end - start)
            counts[row, start:end] += extra
            plants.append((kind, row, start, end))
    assert len(calm) >= 30
    for row in calm[:30]:
        start = int(rng.integers(HISTORY + 7, HISTORY + EVAL_DAYS - 3))
        counts[row, start] += 8
        counts[row, start + 1] += 7
        plants.append(("surge", row, start, start + 2))
    return plants


def _fired(counts: np.ndarray) -> np.ndarray:
    """rows × (EVAL_DAYS + 1): fired on each evaluation day, and the day before the first."""
    groups = [i % CATEGORIES for i in range(counts.shape[0])]
    out = np.zeros((counts.shape[0], EVAL_DAYS + 1), dtype=bool)
    for j, day in enumerate(range(HISTORY - 1, HISTORY + EVAL_DAYS)):
        upto = counts[:, : day + 1]
        last_weekday = (START_WEEKDAY + day) % 7
        totals = {g: upto[[i for i in range(len(groups)) if groups[i] == g]].sum(axis=0)[-63:]
                  for g in range(CATEGORIES)}
        profiles = {g: hotspot.weekday_profile(totals[g], last_weekday) for g in totals}
        for row in hotspot.scan(upto, groups, last_weekday=last_weekday, tests=CATEGORIES, profiles=profiles):
            out[row, j] = True
    return out


def _onsets(fired: np.ndarray) -> list[tuple[int, int]]:
    """(row, day) of every onset on an evaluation day (day as an index into the full series)."""
    starts = fired[:, 1:] & ~fired[:, :-1]
    rows, cols = np.nonzero(starts)
    return [(int(r), int(c) + HISTORY) for r, c in zip(rows, cols, strict=True)]


def _first_fire(fired: np.ndarray, row: int, start: int) -> int | None:
    days = np.nonzero(fired[row, 1:])[0] + HISTORY
    later = days[days >= start]
    return int(later[0] - start) if len(later) else None


@pytest.mark.xfail(strict=True, reason="sealed result: " + SEALED_RESULT)
def test_sealed_planted_cities_meet_the_thresholds_the_city_can_act_on():
    delays = {"x3": [], "x2": [], "surge": []}
    true_onsets = false_onsets = 0
    for seed in (41017, 41018):
        rng = np.random.default_rng(seed)
        counts, level = _background(rng, places=150)
        plants = _plant(rng, counts, level)
        fired = _fired(counts)
        by_row = {row: (start, end) for _kind, row, start, end in plants}
        for row, day in _onsets(fired):
            span = by_row.get(row)
            if span and span[0] <= day < span[1] + WINDOW:
                true_onsets += 1
            else:
                false_onsets += 1
        for kind, row, start, _end in plants:
            delays[kind].append(_first_fire(fired, row, start))

    def recall(kind, within):
        d = delays[kind]
        return sum(1 for x in d if x is not None and x < within) / len(d)

    x3 = [d for d in delays["x3"] if d is not None and d < 7]
    precision = true_onsets / max(1, true_onsets + false_onsets)
    report = (f"x3 recall@7d={recall('x3', 7):.3f} median delay={np.median(x3) if x3 else None} "
              f"x2 recall@14d={recall('x2', 14):.3f} surge recall@3d={recall('surge', 3):.3f} "
              f"precision={precision:.3f} ({true_onsets} true, {false_onsets} false onsets)")
    print(report)
    assert recall("x3", 7) >= 0.8, report
    assert x3 and np.median(x3) <= 3, report
    assert recall("x2", 14) >= 0.5, report
    assert recall("surge", 3) >= 0.8, report
    assert precision >= 0.8, report


@pytest.mark.xfail(strict=True, reason="sealed result: " + SEALED_RESULT)
def test_sealed_quiet_city_false_alarms_at_most_one_per_10000_place_category_days():
    rng = np.random.default_rng(52731)
    counts, _level = _background(rng, places=300)
    fired = _fired(counts)
    onsets = len(_onsets(fired))
    series_days = counts.shape[0] * EVAL_DAYS
    rate = onsets / series_days
    report = f"quiet city: {onsets} false onsets in {series_days} place-category-days = {rate:.2e}"
    print(report)
    assert rate <= 1e-4, report

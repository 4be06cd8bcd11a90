"""The hotspot detector (热点): does a place's last week of one category exceed its own recent baseline?

A pure function of daily counts — no database, no Django — so the same code runs inside the warning rule
(:mod:`gridgov.warnings.rules_hotspot`), in the tests and in the synthetic-city measurement
(``bench/warnings_eval.py``).

The question, for one place (a grid, community or township) and one category, on day ``today``:

* **window**: the last ``window_days`` days (default 7, ending today) — ``observed`` = their count;
* **baseline**: the ``baseline_days`` days before the window (default 56 = 8 weeks: long enough to know a
  place's rate, short enough to follow the seasons) — ``B`` = their count;
* **weekly rhythm**: a day's expected share follows the category's CITY-WIDE weekday profile (weekends are
  quieter for most categories, busier for some) scaled to the place: ``expected = (B + a0) · w / b`` with
  ``w``/``b`` the summed profile weights of the window's and the baseline's days. A per-place weekday
  profile was rejected: a grid sees a category a few times a week, so its own Monday mean is noise. With a
  7-day window and a baseline of whole weeks the profile cancels (``w / b = 7 / 56`` whatever it is), which
  is the point of those defaults: a weekend-only place is compared week with week.
  ``a0 = 0.5`` is a weak prior count: a place with no history gets a small, non-zero expectation.
* **test**: the upper tail ``P(X >= observed)`` of the count the baseline predicts for the window,
  a negative binomial with mean ``expected`` and ``1/size = c·(1 + 1/k) + 1/(a0 + B)``:

  - ``1/(a0 + B)``: the baseline is a sample, not the truth — a rate learnt from 8 events is uncertain,
    one learnt from 800 is not (the Poisson-gamma predictive: exact for Poisson counts with a rate known
    only through the baseline);
  - ``c``: extra-Poisson variation of a window's count (NB2: ``Var = mu + c·mu²``) — real counts are
    overdispersed (a cluster of reports about one incident, a busy market week). ``c`` is estimated per
    category (and per kind of place) from ALL places' baseline block sums by :func:`overdispersion`, pooled
    because one place's 8 blocks say little; ``c/k`` (k = number of baseline blocks) is the extra
    uncertainty this variation puts on the learnt rate.

  With ``c = 0`` the test is reported as ``poisson`` (泊松检验), otherwise ``negbin`` (负二项检验).
* **guards**: no alarm below ``min_count`` observed (5: two or three reports are not a hotspot, whatever
  the p-value) or below ``min_ratio`` times the expectation (1.5: a township's 560 against 500 may be
  "significant" but is nothing to act on).
* **false alarms city-wide**: the p-value is compared with ``alpha / tests`` (Bonferroni). The rule passes
  ``tests`` = the number of categories tested at a place, so ``alpha`` (default 0.001) is the chance that a
  given place raises a false alarm on any category on a given day. Places whose counts cannot reach the
  guard cost nothing, so the city-wide false alarms are bounded by ``alpha`` × the places with real
  activity (a few thousand communities and townships): a few a day at most, and the measured rate on a
  quiet city is far lower (docs/performance.md) because an alarm lasts days and is counted once.
* **level** (蓝 / 黄 / 橙 / 红): with ``t = alpha / tests`` and ``step`` (default 100): blue when fired;
  yellow when ``p < t/step`` and ratio ≥ ``yellow_ratio`` (2); orange when ``p < t/step²`` and ratio ≥
  ``orange_ratio`` (3); red when ``p < t/step³`` and ratio ≥ ``red_ratio`` (5). Both must hold: a big ratio
  on small numbers is not red, nor a tiny p on a small ratio.

No CUSUM/EWMA: a slow build-up shows here once a week's count passes the baseline by the test; a
slower drift is absorbed by the moving baseline on purpose (the seasons).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

PRIOR_COUNT = 0.5  # a0: the weak prior count added to the baseline
MAX_OVERDISPERSION = 2.0  # c is clamped to [0, this]: beyond it a count says nothing
TAIL_EPS = 1e-17
TAIL_MAX_TERMS = 200_000

DEFAULTS = {
    "window_days": 7,
    "baseline_days": 56,
    "alpha": 0.001,
    "min_count": 5,
    "min_ratio": 1.5,
    "step": 100.0,
    "yellow_ratio": 2.0,
    "orange_ratio": 3.0,
    "red_ratio": 5.0,
}


@dataclass(frozen=True)
class Result:
    """The test of one series on its last day."""

    observed: int
    expected: float
    p_value: float
    ratio: float
    test: str  # "poisson" or "negbin"
    fired: bool
    level: str | None  # blue/yellow/orange/red when fired
    threshold: float  # the p-value an alarm needs (alpha / tests)
    baseline_count: int
    window_days: int
    baseline_days: int


# --- distribution tails -------------------------------------------------------------------------------------

def _log_pmf(x: int, mean: float, size: float | None) -> float:
    """log P(X = x) for a Poisson (``size`` None) or a negative binomial of this mean and size."""
    if size is None:
        return -mean + x * math.log(mean) - math.lgamma(x + 1)
    p = size / (size + mean)
    return (math.lgamma(x + size) - math.lgamma(size) - math.lgamma(x + 1)
            + size * math.log(p) + x * math.log1p(-p))


def upper_tail(observed: int, mean: float, size: float | None = None) -> float:
    """``P(X >= observed)`` for X Poisson(mean) (``size`` None or infinite) or negative binomial (mean, size).

    Summed in log space from the observed count outward: upward (the tail itself) when the observed count is
    above the mean, so a p-value of 1e-40 keeps its digits; otherwise one minus the sum below it, downward
    from ``observed - 1``. Consecutive terms are built from their ratio, so no term is ever exponentiated on
    its own below the largest one."""
    if observed <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if size is not None and (math.isinf(size) or size > 1e12):
        size = None
    q = None if size is None else mean / (size + mean)  # the NB "failure" probability

    def ratio_up(x: int) -> float:  # pmf(x + 1) / pmf(x)
        return mean / (x + 1) if size is None else (x + size) / (x + 1) * q

    if observed > mean:
        total, term, x = 1.0, 1.0, observed
        for _ in range(TAIL_MAX_TERMS):
            r = ratio_up(x)
            term *= r
            x += 1
            total += term
            if r < 1 and term < total * TAIL_EPS:
                break
        return min(1.0, math.exp(_log_pmf(observed, mean, size) + math.log(total)))
    # the lower part, x = observed-1 down to 0, relative to pmf(observed - 1)
    top = observed - 1
    total, term = 1.0, 1.0
    for x in range(top, 0, -1):
        term /= ratio_up(x - 1)
        total += term
        if term < total * TAIL_EPS:
            break
    lower = math.exp(_log_pmf(top, mean, size) + math.log(total))
    return min(1.0, max(0.0, 1.0 - lower))


# --- what the rule estimates city-wide ----------------------------------------------------------------------

def weekday_profile(totals: Sequence[float], last_weekday: int) -> np.ndarray:
    """Relative weight of each weekday (Monday = 0), mean 1, from a city-wide daily series ``totals`` (oldest
    first) whose last day is a ``last_weekday``. Flat when there is too little to tell (under 7 events a
    weekday on average)."""
    t = np.asarray(totals, dtype=float)
    days = np.arange(len(t))
    weekday = (last_weekday - (len(t) - 1 - days)) % 7
    sums = np.bincount(weekday, weights=t, minlength=7)
    n = np.bincount(weekday, minlength=7)
    if t.sum() < 7 * 7 or (n == 0).any():
        return np.ones(7)
    means = sums / n
    if means.mean() <= 0:
        return np.ones(7)
    # a weekday with nothing at all keeps a small weight: an event on it is not impossible
    means = np.maximum(means, 0.05 * means.mean())
    return means / means.mean()


def block_sums(counts: np.ndarray, window_days: int, baseline_days: int) -> np.ndarray:
    """The baseline of every row of ``counts`` (rows × days, ending today) cut into window-long blocks,
    newest block last: rows × (baseline_days // window_days)."""
    k = baseline_days // window_days
    end = counts.shape[1] - window_days
    base = counts[:, end - k * window_days:end]
    return base.reshape(counts.shape[0], k, window_days).sum(axis=2)


def overdispersion(blocks: np.ndarray) -> float:
    """The pooled NB2 coefficient ``c`` (``Var = mu + c·mu²``) of window-long counts, from rows of baseline
    block sums of the places of one category (method of moments: sum over rows of (sample variance − mean)
    over sum of mean²), clamped to [0, MAX_OVERDISPERSION]. Rows with a zero mean carry no information.
    Drift inside the baseline (the seasons) shows as a little extra variance: the test gets a little more
    careful, never less."""
    b = np.asarray(blocks, dtype=float)
    if b.ndim != 2 or b.shape[1] < 2:
        return 0.0
    m = b.mean(axis=1)
    keep = m > 0
    if not keep.any():
        return 0.0
    v = b[keep].var(axis=1, ddof=1)
    m = m[keep]
    c = float((v - m).sum() / (m * m).sum())
    return min(MAX_OVERDISPERSION, max(0.0, c))


# --- the test -----------------------------------------------------------------------------------------------

def _exposures(n_days: int, window_days: int, baseline_days: int, profile, last_weekday) -> tuple[float, float]:
    if profile is None:
        return float(window_days), float(baseline_days)
    prof = np.asarray(profile, dtype=float)
    ago = np.arange(window_days + baseline_days)[::-1]  # days before today, oldest first
    weights = prof[(last_weekday - ago) % 7]
    return float(weights[baseline_days:].sum()), float(weights[:baseline_days].sum())


def level_for(p_value: float, ratio: float, threshold: float, params: dict) -> str:
    step = params["step"]
    if p_value < threshold / step ** 3 and ratio >= params["red_ratio"]:
        return "red"
    if p_value < threshold / step ** 2 and ratio >= params["orange_ratio"]:
        return "orange"
    if p_value < threshold / step and ratio >= params["yellow_ratio"]:
        return "yellow"
    return "blue"


def detect(counts: Sequence[int], *, tests: int = 1, overdispersion: float = 0.0, profile=None,
           last_weekday: int | None = None, **params) -> Result:
    """Test one place-category series ``counts`` (daily, oldest first, ending today; at least
    ``window_days + baseline_days`` long — only those last days are used).

    ``tests``: the Bonferroni count (the categories tested at the place); ``overdispersion``: ``c`` from
    :func:`overdispersion`; ``profile``: a weekday profile (:func:`weekday_profile`) with the weekday of the
    last day, or None for flat. ``params``: any of :data:`DEFAULTS`."""
    p = {**DEFAULTS, **params}
    wd, bd = int(p["window_days"]), int(p["baseline_days"])
    if wd < 1 or bd < wd:
        raise ValueError("window_days must be at least 1 and baseline_days at least window_days")
    x = np.asarray(counts)
    if len(x) < wd + bd:
        raise ValueError(f"need {wd + bd} days of counts, got {len(x)}")
    if profile is not None and last_weekday is None:
        raise ValueError("a weekday profile needs the weekday of the last day")
    x = x[-(wd + bd):]
    observed = int(x[bd:].sum())
    base = int(x[:bd].sum())
    w, b = _exposures(len(x), wd, bd, profile, last_weekday)
    expected = (base + PRIOR_COUNT) * w / b
    c = max(0.0, float(overdispersion))
    blocks = max(1, bd // wd)
    inv_size = c * (1 + 1 / blocks) + 1 / (base + PRIOR_COUNT)
    p_value = upper_tail(observed, expected, 1 / inv_size)
    ratio = observed / expected
    threshold = p["alpha"] / max(1, tests)
    fired = observed >= p["min_count"] and ratio >= p["min_ratio"] and p_value < threshold
    return Result(
        observed=observed, expected=expected, p_value=p_value, ratio=ratio,
        test="negbin" if c > 0 else "poisson", fired=fired,
        level=level_for(p_value, ratio, threshold, p) if fired else None, threshold=threshold,
        baseline_count=base, window_days=wd, baseline_days=bd,
    )


def scan(counts: np.ndarray, groups: Sequence[Hashable], *, last_weekday: int, tests: int,
         profiles: dict | None = None, **params) -> dict[int, Result]:
    """Test every row of ``counts`` (places × days, ending today) on its last day; the rows that FIRED,
    by row index.

    ``groups``: one key per row — the rows that share an overdispersion estimate (a category at one kind of
    place: grids, communities and townships differ). ``profiles``: a weekday profile per group key, or
    None for flat. Only rows that pass the guards (observed ≥ ``min_count`` and ≥ ``min_ratio`` × the
    expectation) are put through :func:`detect`: the answer is the same, the rest of the city costs one
    vectorised pass."""
    p = {**DEFAULTS, **params}
    wd, bd = int(p["window_days"]), int(p["baseline_days"])
    counts = np.asarray(counts)
    if counts.ndim != 2 or counts.shape[1] < wd + bd:
        raise ValueError(f"counts must be places × at least {wd + bd} days")
    keys = list(groups)
    rows_of: dict = {}
    for i, key in enumerate(keys):
        rows_of.setdefault(key, []).append(i)
    blocks = block_sums(counts, wd, bd)
    disp = {key: overdispersion(blocks[rows]) for key, rows in rows_of.items()}
    share = np.empty(len(keys))  # w / b of each row's group
    for key, rows in rows_of.items():
        prof = profiles.get(key) if profiles else None
        w, b = _exposures(wd + bd, wd, bd, prof, last_weekday if prof is not None else None)
        share[rows] = w / b
    observed = counts[:, -wd:].sum(axis=1)
    base = counts[:, -(wd + bd):-wd].sum(axis=1)
    expected = (base + PRIOR_COUNT) * share
    # exactly the guards of detect(): the rest cannot fire
    candidates = np.nonzero((observed >= p["min_count"]) & (observed >= p["min_ratio"] * expected * (1 - 1e-9)))[0]
    fired = {}
    for i in candidates:
        key = keys[i]
        prof = profiles.get(key) if profiles else None
        r = detect(counts[i], tests=tests, overdispersion=disp[key], profile=prof,
                   last_weekday=last_weekday if prof is not None else None, **p)
        if r.fired:
            fired[int(i)] = r
    return fired

"""The hotspot detector (热点): does a place's last days of one category exceed its own recent baseline?

A pure function of daily counts — no database, no Django — so the same code runs inside the warning rule
(:mod:`gridgov.warnings.rules_hotspot`), in the tests and in the synthetic-city measurement
(``bench/warnings_eval.py``).

The question, for one place (a grid, community or township) and one category, on day ``today``:

* **windows**: the last ``window_days`` days (default 7, ending today) and, beside it, the last
  ``short_window_days`` (default 3; 0 switches it off) — the short one sees a sudden cluster two or three days
  sooner, the long one a steadier rise; ``observed`` = the window's count;
* **baseline**: the ``baseline_days`` days before the window (default 56 = 8 weeks: long enough to know a
  place's rate, short enough to follow the seasons) — ``B`` = their count;
* **expectation**: ``expected = (B + a0) · share``, ``share`` = how many events the window should hold per
  baseline event. :func:`scan` (what the rule runs) takes ``share`` from the CITY: the same category's count
  in the window over its count in the baseline across all places of the same kind, the place itself left
  out — the space-time "proportional" expectation. The weekly rhythm (weekends quieter for most categories,
  busier for some), the seasons, a holiday week: every place goes through them, so they cancel, and what is
  left is a place running ahead of its category's city-wide course. A thin group (a few places, few events)
  is held near the category's city-wide weekday profile by ``TREND_PRIOR`` pseudo-events. A per-place weekday
  profile was rejected: a grid sees a category a few times a week, so its own Monday mean is noise.
  :func:`detect` alone uses a given weekday profile (:func:`weekday_profile`), or none (flat); with a 7-day
  window and a baseline of whole weeks the profile cancels anyway (``w / b = 7 / 56``).
  ``a0 = 0.5`` is a weak prior count: a place with no history gets a small, non-zero expectation.
* **test**: the upper tail ``P(X >= observed)`` of the count the baseline predicts for the window, a
  negative binomial with mean ``expected`` and ``1/size = c·(1 + 1/k) + 1/(a0 + B)``:

  - ``1/(a0 + B)``: the baseline is a sample, not the truth — a rate learnt from 8 events is uncertain,
    one learnt from 800 is not (the Poisson-gamma predictive: exact for Poisson counts with a rate known
    only through the baseline);
  - ``c``: extra-Poisson variation of a window's count (NB2: ``Var = mu + c·mu²``) — real counts are
    overdispersed (several reports about one incident, a busy market week). ``c`` is estimated per category
    and kind of place from ALL those places' baseline block sums by :func:`overdispersion` (detrended by the
    city's course, the 1 % most dispersed rows left out), pooled because one place's 8 blocks say little;
    ``c/k`` (k = number of baseline blocks) is the extra uncertainty it puts on the learnt rate. The short
    window uses ``c · window / short`` (exact for independent days, more careful when days run together).

  With ``c = 0`` the test is reported as ``poisson`` (泊松检验), otherwise ``negbin`` (负二项检验). A
  Poisson test alone was rejected: on counts with the day-to-day spread of real reports it raised several
  times the false alarms its p-values promise (measured in ``bench/warnings_eval.py``).
* **guards**: no alarm below ``min_count`` observed (5: two or three reports are not a hotspot, whatever
  the p-value) or below ``min_ratio`` times the expectation (1.5: a township's 560 against 500 may be
  "significant" but is nothing to act on).
* **false alarms city-wide**: the p-value is compared with ``alpha / (tests · windows)`` (Bonferroni). The
  rule passes ``tests`` = the number of categories, so ``alpha`` (default 0.001) bounds the chance that a
  given place raises a false alarm on any category on a given day. Places whose counts cannot reach the
  guard cost nothing, so the city-wide false alarms are bounded by ``alpha`` × the places with real
  activity (a few thousand communities and townships); the measured rate is lower still because an alarm
  lasts days and opens one warning (docs/performance.md).
* **level** (蓝 / 黄 / 橙 / 红): with ``t`` that threshold and ``step`` (default 100): blue when fired;
  yellow when ``p < t/step`` and ratio ≥ ``yellow_ratio`` (2); orange when ``p < t/step²`` and ratio ≥
  ``orange_ratio`` (3); red when ``p < t/step³`` and ratio ≥ ``red_ratio`` (5). Both must hold: a big ratio
  on small numbers is not red, nor a tiny p on a small ratio.

No CUSUM/EWMA: the two windows catch a jump within days; a drift slower than the 8-week baseline is absorbed
by it on purpose (the seasons), and a city-wide rise of a category is not a hotspot of one place.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace

import numpy as np

PRIOR_COUNT = 0.5  # a0: the weak prior count added to the baseline
MAX_OVERDISPERSION = 2.0  # c is clamped to [0, this]: beyond it a count says nothing
TAIL_EPS = 1e-17
TRIM = 0.01  # the share of rows overdispersion() leaves out
TREND_PRIOR = 50.0  # s: pseudo-events that hold a thin group's city trend near the weekday profile
TAIL_MAX_TERMS = 200_000

DEFAULTS = {
    "window_days": 7,
    "short_window_days": 3,
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
    overdispersion: float = 0.0  # c of a window_days count, as given to detect()
    share: float = 0.0  # the expected count per baseline count of this window


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


def overdispersion(blocks: np.ndarray, detrend: bool = True) -> float:
    """The pooled NB2 coefficient ``c`` (``Var = mu + c·mu²``) of window-long counts, from rows of baseline
    block sums of the places of one category (method of moments: sum over rows of (residual variance − mean)
    over sum of mean²), clamped to [0, MAX_OVERDISPERSION]. Rows with a zero mean carry no information.

    ``detrend``: a row's expected block is its mean times the city's block shape (the rows' column sums over
    their mean), so what the whole city went through (the seasons, a holiday week) is not taken for a place's
    own variation — :func:`scan` measures the expectation against the same city trend. The rows with the
    most variance for their mean (the top ``TRIM``) are left out: that is where a hotspot sits in the
    baseline, and one such week would otherwise inflate every place's ``c``."""
    b = np.asarray(blocks, dtype=float)
    if b.ndim != 2 or b.shape[1] < 2:
        return 0.0
    m = b.mean(axis=1)
    keep = m > 0
    if not keep.any():
        return 0.0
    b, m = b[keep], m[keep]
    col = b.sum(axis=0)
    shape = col / col.mean() if detrend and col.mean() > 0 else np.ones(b.shape[1])
    v = ((b - m[:, None] * shape[None, :]) ** 2).sum(axis=1) / (b.shape[1] - 1)
    if len(m) >= 20:
        keep = v / m <= np.quantile(v / m, 1 - TRIM)
        v, m = v[keep], m[keep]
    c = float((v - m).sum() / (m * m).sum())
    return min(MAX_OVERDISPERSION, max(0.0, c))


# --- the test -----------------------------------------------------------------------------------------------

def _exposures(window_days: int, baseline_days: int, profile, last_weekday) -> tuple[float, float]:
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


def _one(x: np.ndarray, wd: int, bd: int, c: float, share: float, threshold: float, p: dict) -> Result:
    """The test of the last ``wd`` days of ``x`` against the ``bd`` days before them; ``share``: the window's
    expected count per baseline count."""
    x = x[-(wd + bd):]
    observed = int(x[bd:].sum())
    base = int(x[:bd].sum())
    expected = (base + PRIOR_COUNT) * share
    blocks = max(1, bd // wd)
    inv_size = c * (1 + 1 / blocks) + 1 / (base + PRIOR_COUNT)
    p_value = upper_tail(observed, expected, 1 / inv_size)
    ratio = observed / expected
    fired = observed >= p["min_count"] and ratio >= p["min_ratio"] and p_value < threshold
    return Result(
        observed=observed, expected=expected, p_value=p_value, ratio=ratio,
        test="negbin" if c > 0 else "poisson", fired=fired,
        level=level_for(p_value, ratio, threshold, p) if fired else None, threshold=threshold,
        baseline_count=base, window_days=wd, baseline_days=bd, share=share,
    )


def windows(params: dict) -> list[int]:
    """The windows tested: ``window_days``, and ``short_window_days`` when it is set and shorter."""
    wd, sd = int(params["window_days"]), int(params.get("short_window_days") or 0)
    return [wd, sd] if 0 < sd < wd else [wd]


def detect(counts: Sequence[int], *, tests: int = 1, overdispersion: float = 0.0, profile=None,
           last_weekday: int | None = None, shares: dict[int, float] | None = None, **params) -> Result:
    """Test one place-category series ``counts`` (daily, oldest first, ending today; at least
    ``window_days + baseline_days`` long — only those last days are used).

    ``tests``: the Bonferroni count (the categories tested at the place); ``overdispersion``: ``c`` of a
    ``window_days`` count, from :func:`overdispersion`; ``profile``: a weekday profile
    (:func:`weekday_profile`) with the weekday of the last day, or None for flat. ``params``: any of
    :data:`DEFAULTS`. ``shares``: window length → the window's expected count per baseline count, when the
    caller knows better than the profile (:func:`scan` gives the city's trend).

    Both windows are tested (each at ``alpha / (tests · windows)``); the answer is the one that fired with
    the smaller p-value relative to its threshold, else the main window's. The short window's
    overdispersion is ``c · window / short``: exact for independent days, an overstatement (a more careful
    test) when days run together, as they do."""
    p = {**DEFAULTS, **params}
    wd, bd = int(p["window_days"]), int(p["baseline_days"])
    if wd < 1 or bd < wd:
        raise ValueError("window_days must be at least 1 and baseline_days at least window_days")
    x = np.asarray(counts)
    if len(x) < wd + bd:
        raise ValueError(f"need {wd + bd} days of counts, got {len(x)}")
    if profile is not None and last_weekday is None:
        raise ValueError("a weekday profile needs the weekday of the last day")
    spans = windows(p)
    threshold = p["alpha"] / max(1, tests) / len(spans)
    c = max(0.0, float(overdispersion))
    results = []
    for span in spans:
        if shares and span in shares:
            share = shares[span]
        else:
            w, b = _exposures(span, bd, profile, last_weekday)
            share = w / b
        results.append(_one(x, span, bd, c * wd / span, share, threshold, p))
    fired = [r for r in results if r.fired]
    best = min(fired, key=lambda r: r.p_value) if fired else results[0]
    return replace(best, overdispersion=c)


def scan(counts: np.ndarray, groups: Sequence[Hashable], *, last_weekday: int, tests: int,
         profiles: dict | None = None, **params) -> dict[int, Result]:
    """Test every row of ``counts`` (places × days, ending today) on its last day; the rows that FIRED,
    by row index.

    ``groups``: one key per row — the rows of one category at one kind of place (grids, communities and
    townships are separate groups): they share an overdispersion estimate and a city trend.

    The expectation of a row follows the CITY: ``(B + a0) · share`` with ``share`` the group's window count
    per baseline count, the row itself left out, ``(W' + s·f) / (B' + s)`` — ``f`` the weekday profile's share
    (``profiles``, flat when None) and ``s`` = ``TREND_PRIOR`` events that hold a thin group near it. So the
    weekly rhythm, the seasons and a holiday week, which every place goes through, cancel; what is left is a
    place running ahead of its category's city-wide course (the space-time "proportional" expectation). A
    surge everywhere at once is not a hotspot of one place; it shows in the city's own series.

    Only rows that pass the guards on some window (observed ≥ ``min_count`` and ≥ ``min_ratio`` × the
    expectation) are put through :func:`detect`: the answer is the same, the rest of the city costs one
    vectorised pass per window."""
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
    spans = windows(p)
    share = {span: np.empty(len(keys)) for span in spans}
    maybe = np.zeros(counts.shape[0], dtype=bool)
    for span in spans:
        observed = counts[:, -span:].sum(axis=1)
        base = counts[:, -(span + bd):-span].sum(axis=1)
        for key, rows in rows_of.items():
            prof = profiles.get(key) if profiles else None
            w, b = _exposures(span, bd, prof, last_weekday if prof is not None else None)
            city_w, city_b = observed[rows].sum(), base[rows].sum()
            share[span][rows] = ((city_w - observed[rows] + TREND_PRIOR * w / b)
                                 / (city_b - base[rows] + TREND_PRIOR))
        expected = (base + PRIOR_COUNT) * share[span]
        # exactly the guards of detect(): the rest cannot fire
        maybe |= (observed >= p["min_count"]) & (observed >= p["min_ratio"] * expected * (1 - 1e-9))
    fired = {}
    for i in np.nonzero(maybe)[0]:
        r = detect(counts[i], tests=tests, overdispersion=disp[keys[i]],
                   shares={span: float(share[span][i]) for span in spans}, **p)
        if r.fired:
            fired[int(i)] = r
    return fired

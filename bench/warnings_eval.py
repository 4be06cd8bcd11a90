"""The hotspot rule, measured: precision, recall, delay and false alarms on synthetic cities (issue 12).

    .venv/bin/python bench/warnings_eval.py                      # development seeds 1 2 3, defaults
    .venv/bin/python bench/warnings_eval.py --seeds 1 --alpha 0.01 --min-count 3
    .venv/bin/python bench/warnings_eval.py --poisson              # the same without overdispersion
    .venv/bin/python bench/warnings_eval.py --db                   # the rule once on bench/generate.py's database

``--db`` times the rule itself (the grouped query, the scan, the signals) on the database bench/generate.py
wrote (``DATABASE_URL`` or bench/out/bench.sqlite3), at its generation time, three runs.

No database: the detector (:mod:`gridgov.warnings.hotspot`) is a pure function, run here exactly as the rule
runs it (:func:`hotspot.scan` with groups = categories, ``tests`` = the number of categories, the category's
city-wide weekday profile over the last 63 days) on every day of the evaluation period.

The city (per seed): ``--places`` places × ``--categories`` categories. A place-category's level is
log-uniform between 0.05 and 6 events a day; on top of it a weekly rhythm (most categories 20–25 % quieter at
weekends, a quarter of them busier), a seasonal wave (±30 %, one year, phase per category) and day-to-day
overdispersion (the day's rate gamma-mixed with shape ``--shape``, default 6: Var = mu + mu²/6). The first 63
days are history; ``--days`` evaluation days follow.

Planted, each on its own series (the ground truth):

* **jumps**: from a start day the rate is multiplied by k ∈ {1.5, 2, 3, 5} for 14–35 days, on series of
  every level (grouped in the report by level band: < 0.5, 0.5–2, ≥ 2 a day);
* **surges**: n ∈ {8, 15, 30} extra events over 1–3 days.

A QUIET city (same generator, seed + 1000, no plants) gives the false alarms.

Scoring: an alarm ONSET is a day a series fires after a day it did not (the warning engine opens one
warning per onset and updates it while the rule keeps firing). It is true when its series carries a plant
and it falls in [start, end + window); false otherwise. Precision = true onsets / onsets. Recall within D
days = plants whose series fires on some day in [start, start + D); delay = the first such day − start.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")

from gridgov.warnings import hotspot  # noqa: E402  (pure: needs no Django set-up)

HISTORY = 63
DEV_SEEDS = (1, 2, 3)
FACTORS = (1.5, 2.0, 3.0, 5.0)
SURGES = (8, 15, 30)
START_WEEKDAY = 0  # day 0 is a Monday


def city(seed: int, places: int, categories: int, days: int, shape: float, plants: bool):
    """(counts rows × days, level per row, plants [(kind, factor_or_n, row, start, end)]); rows place-major."""
    rng = np.random.default_rng(seed)
    total = HISTORY + days
    t = np.arange(total)
    weekday = (START_WEEKDAY + t) % 7
    n = places * categories
    level = np.exp(rng.uniform(np.log(0.05), np.log(6.0), size=n))
    cat_shape = []
    for _c in range(categories):
        if rng.random() < 0.25:
            week = np.array([0.9, 0.9, 0.9, 0.95, 1.05, 1.3, 1.25])
        else:
            week = np.array([1.08, 1.05, 1.05, 1.05, 1.12, 0.85, 0.78])
        season = 1 + 0.3 * np.sin(2 * np.pi * (t + rng.integers(365)) / 365)
        cat_shape.append((week / week.mean())[weekday] * season)
    rate = level[:, None] * np.stack([cat_shape[i % categories] for i in range(n)])
    counts = rng.poisson(rate * rng.gamma(shape, 1 / shape, size=rate.shape))
    planted = []
    if plants:
        order = list(rng.permutation(n))
        n_jumps, n_surges = n // 25, n // 60
        for row in order[:n_jumps]:
            k = float(rng.choice(FACTORS))
            dur = int(rng.integers(14, 36))
            start = int(rng.integers(HISTORY + 7, HISTORY + days - 7))
            end = min(start + dur, total)
            counts[row, start:end] += rng.poisson(rate[row, start:end] * (k - 1))
            planted.append(("jump", k, int(row), start, end))
        for row in order[n_jumps:n_jumps + n_surges]:
            extra = int(rng.choice(SURGES))
            dur = int(rng.integers(1, 4))
            start = int(rng.integers(HISTORY + 7, HISTORY + days - 3))
            counts[row, start:start + dur] += np.bincount(rng.integers(dur, size=extra), minlength=dur)
            planted.append(("surge", extra, int(row), start, start + dur))
    return counts, level, planted


def fired_matrix(counts: np.ndarray, categories: int, days: int, params: dict) -> tuple[np.ndarray, float]:
    """rows × (days + 1): fired on each evaluation day (and the day before the first); seconds per day."""
    groups = np.arange(counts.shape[0]) % categories
    members = {g: np.nonzero(groups == g)[0] for g in range(categories)}
    out = np.zeros((counts.shape[0], days + 1), dtype=bool)
    began = time.perf_counter()
    for j, day in enumerate(range(HISTORY - 1, HISTORY + days)):
        upto = counts[:, : day + 1]
        wd = (START_WEEKDAY + day) % 7
        profiles = {g: hotspot.weekday_profile(upto[rows, -63:].sum(axis=0), wd) for g, rows in members.items()}
        for row in hotspot.scan(upto, groups.tolist(), last_weekday=wd, tests=categories, profiles=profiles,
                                **params):
            out[row, j] = True
    return out, (time.perf_counter() - began) / (days + 1)


def onsets(fired: np.ndarray) -> list[tuple[int, int]]:
    rows, cols = np.nonzero(fired[:, 1:] & ~fired[:, :-1])
    return [(int(r), int(c) + HISTORY) for r, c in zip(rows, cols, strict=True)]


def first_fire(fired: np.ndarray, row: int, start: int) -> int | None:
    days = np.nonzero(fired[row, 1:])[0] + HISTORY
    later = days[days >= start]
    return int(later[0] - start) if len(later) else None


def band(level: float) -> str:
    return "<0.5/d" if level < 0.5 else ("0.5-2/d" if level < 2 else ">=2/d")


def evaluate(args, params: dict) -> dict:
    window = params.get("window_days", hotspot.DEFAULTS["window_days"])
    classes = defaultdict(list)  # class -> delays (None: missed)
    true_on = false_on = 0
    quiet_on = quiet_days = 0
    per_day = []
    for seed in args.seeds:
        counts, level, planted = city(seed, args.places, args.categories, args.days, args.shape, plants=True)
        fired, secs = fired_matrix(counts, args.categories, args.days, params)
        per_day.append(secs)
        spans = {row: (start, end) for _k, _f, row, start, end in planted}
        for row, day in onsets(fired):
            span = spans.get(row)
            if span and span[0] <= day < span[1] + window:
                true_on += 1
            else:
                false_on += 1
        for kind, what, row, start, _end in planted:
            name = f"jump x{what:g} {band(level[row])}" if kind == "jump" else f"surge +{what} {band(level[row])}"
            classes[name].append(first_fire(fired, row, start))
        q_counts, _lv, _p = city(seed + 1000, args.places, args.categories, args.days, args.shape, plants=False)
        q_fired, _s = fired_matrix(q_counts, args.categories, args.days, params)
        quiet_on += len(onsets(q_fired))
        quiet_days += args.days
    series = args.places * args.categories
    return {"classes": classes, "true": true_on, "false": false_on, "quiet_onsets": quiet_on,
            "quiet_city_days": quiet_days, "series": series, "secs_per_day": float(np.median(per_day))}


def report(res: dict, args, params: dict) -> None:
    print(f"seeds {list(args.seeds)}: {args.places} places x {args.categories} categories = {res['series']} series,"
          f" {args.days} evaluation days each, overdispersion shape {args.shape}; params {params or 'defaults'}")
    print(f"{'class':<24}{'n':>5}{'recall@7d':>11}{'recall@14d':>12}{'ever':>7}{'median d':>10}{'p95 d':>8}")
    for name in sorted(res["classes"], key=lambda s: (s.split()[0], float(s.split()[1][1:]), s.split()[2])):
        d = res["classes"][name]
        hit = [x for x in d if x is not None]
        r7 = sum(1 for x in hit if x < 7) / len(d)
        r14 = sum(1 for x in hit if x < 14) / len(d)
        med = f"{np.median(hit):.0f}" if hit else "-"
        p95 = f"{np.percentile(hit, 95):.0f}" if hit else "-"
        print(f"{name:<24}{len(d):>5}{r7:>11.2f}{r14:>12.2f}{len(hit) / len(d):>7.2f}{med:>10}{p95:>8}")
    on = res["true"] + res["false"]
    print(f"planted cities: {on} onsets, {res['true']} true, {res['false']} false: precision "
          f"{res['true'] / max(1, on):.3f}")
    q_series_days = res["series"] * res["quiet_city_days"]
    print(f"quiet cities: {res['quiet_onsets']} false onsets in {q_series_days} place-category-days = "
          f"{res['quiet_onsets'] / q_series_days:.2e} per place-category-day, "
          f"{res['quiet_onsets'] / res['quiet_city_days']:.3f} per city-day ({res['series']} series)")
    print(f"scan time: {res['secs_per_day'] * 1000:.0f} ms per city-day (median over seeds)")


def time_db() -> None:
    from benchlib import database_url, read_meta, setup_django

    setup_django(database_url())
    from datetime import datetime, timedelta

    from django.db import connection

    from gridgov.cases.warnrules import spec
    from gridgov.events.models import Event
    from gridgov.warnings import rules_hotspot

    now = datetime.fromisoformat(read_meta()["as_of"])
    s = spec("hotspot")
    params = s.defaults()
    days = params["window_days"] + params["baseline_days"]
    since = now - timedelta(days=days)
    print(f"database {connection.vendor}: {Event.objects.count()} events, "
          f"{Event.objects.filter(created_at__gte=since).count()} in the last {days} days; as of {now}")
    for _ in range(3):
        t0 = time.perf_counter()
        counts = rules_hotspot.daily_counts(since, now)
        t1 = time.perf_counter()
        signals = list(s.fn(now, params))
        t2 = time.perf_counter()
        levels = {lv: sum(1 for x in signals if x.level == lv) for lv in ("blue", "yellow", "orange", "red")}
        kinds = {n: sum(1 for x in signals if len(x.code) == n) for n in (15, 12, 9)}
        print(f"grouped query: {t1 - t0:.2f} s ({len(counts)} place-category-day rows); whole rule: {t2 - t1:.2f} s;"
              f" {len(signals)} signals, by level {levels}, by place length {kinds}")
    for x in signals[:3]:
        print(" ", x.title, "|", x.explanation)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=list(DEV_SEEDS))
    ap.add_argument("--places", type=int, default=400)
    ap.add_argument("--categories", type=int, default=10)
    ap.add_argument("--days", type=int, default=180)
    ap.add_argument("--shape", type=float, default=6.0)
    ap.add_argument("--poisson", action="store_true",
                    help="the comparison: overdispersion taken as 0 (a plain Poisson test with baseline uncertainty)")
    for key, value in hotspot.DEFAULTS.items():
        ap.add_argument("--" + key.replace("_", "-"), type=type(value), default=None)
    ap.add_argument("--db", action="store_true", help="time the rule on bench/generate.py's database instead")
    args = ap.parse_args(argv)
    if args.db:
        time_db()
        return
    params = {k: getattr(args, k) for k in hotspot.DEFAULTS if getattr(args, k) is not None}
    if args.poisson:
        hotspot.overdispersion = lambda blocks, detrend=True: 0.0
    report(evaluate(args, params), args, params)


if __name__ == "__main__":
    main()

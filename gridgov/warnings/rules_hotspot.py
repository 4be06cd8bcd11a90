"""The hotspot rule (热点): a grid, community or township whose events of one category in the last days run
ahead of its own baseline, by the statistical test of :mod:`gridgov.warnings.hotspot` (docs/warnings.md,
"热点 (hotspot)").

The database is read set-based: ONE grouped query gives the daily count of events per (place, category, day)
over the window and the baseline; communities and townships are the grids' (and grid-less events' regions')
counts rolled up by the code prefix (region codes are a materialized path: township 9 digits, community 12,
grid 15). The detector scans the whole city in one vectorised pass. Then three small queries for what fired
only: the window's cases, the places' names, the category names.

What counts: every event reported in the period (``created_at``, local days), except 不予受理 (rejected:
not a real matter) and 已合并 (merged: a duplicate of a case that is counted). An event without a grid counts
for its community and township.

Nested places: a community's excess that lies in grids already flagged for the same category is said once,
by the grids. The community is tested again without those grids' counts (same expectation share and
overdispersion); it is reported only if the rest of it still exceeds — then its own warning says something
the grids' do not. A township likewise, without its reported communities and the reported grids outside them.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import numpy as np
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.warnrules import Param, Signal, rule
from gridgov.events.models import Category, Event, Status
from gridgov.regions.models import Grid, Region
from gridgov.warnings import hotspot

KEY = "hotspot"
LEVEL_LENGTHS = (15, 12, 9)  # grid, community, township
MAX_CASES = 50
PROFILE_DAYS = 63
NOT_COUNTED = (Status.REJECTED, Status.MERGED)

PARAMS = (
    Param("window_days", gettext_lazy("观察窗口（天）"), 7, int, 3, 28, gettext_lazy("近几天的事件数与基线比较")),
    Param("short_window_days", gettext_lazy("短窗口（天）"), 3, int, 0, 6,
          gettext_lazy("同时检验的短窗口，发现突发聚集更快；0为不用")),
    Param("baseline_days", gettext_lazy("基线（天）"), 56, int, 28, 182,
          gettext_lazy("窗口之前用作基线的天数，宜为7的倍数")),
    Param("alpha", gettext_lazy("显著性水平"), 0.001, float, 1e-6, 0.05,
          gettext_lazy("每个地方每天各类别合计的误报概率上限（按类别数做Bonferroni校正）")),
    Param("min_count", gettext_lazy("最少件数"), 5, int, 2, 100, gettext_lazy("窗口内少于此数不预警")),
    Param("min_ratio", gettext_lazy("最低倍数"), 1.5, float, 1.0, 10.0, gettext_lazy("实际数低于期望数的此倍数不预警")),
    Param("step", gettext_lazy("升级倍率"), 100.0, float, 2.0, 10000.0,
          gettext_lazy("每升一级，p值须再小于上一级门槛的此分之一")),
    Param("yellow_ratio", gettext_lazy("黄色倍数"), 2.0, float, 1.0, 50.0),
    Param("orange_ratio", gettext_lazy("橙色倍数"), 3.0, float, 1.0, 50.0),
    Param("red_ratio", gettext_lazy("红色倍数"), 5.0, float, 1.0, 100.0),
)

PLACE_KIND = {15: gettext_lazy("网格"), 12: gettext_lazy("村(社区)"), 9: gettext_lazy("乡镇(街道)")}
TEST_NAME = {"poisson": gettext_lazy("泊松检验"), "negbin": gettext_lazy("负二项检验")}


def _detector_params(params: dict) -> dict:
    p = {k: params[k] for k in hotspot.DEFAULTS if k in params}
    p["window_days"] = max(1, int(p.get("window_days", 7)))
    # the baseline must hold at least two windows, or there is nothing to learn a rate from
    p["baseline_days"] = max(int(p.get("baseline_days", 56)), 2 * p["window_days"])
    return p


def daily_counts(start: datetime, end: datetime):
    """``{(place code, category id, local day): n}`` — ONE grouped query; the place is the grid, or the
    event's region when it has no grid."""
    rows = (Event.objects.filter(created_at__gte=start, created_at__lte=end).exclude(status__in=NOT_COUNTED)
            .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
            .values("grid__code", "region__code", "category_id", "day").annotate(n=Count("id")).order_by())
    return {(r["grid__code"] or r["region__code"], r["category_id"], r["day"]): r["n"] for r in rows}


def format_p(p: float) -> str:
    return "p<0.0001" if p < 1e-4 else f"p={p:.4f}"


def explain(length: int, category_name: str, r: hotspot.Result) -> str:
    weeks = r.baseline_days // 7 if r.baseline_days % 7 == 0 else 0
    base = _("前%(n)d周") % {"n": weeks} if weeks else _("前%(n)d天") % {"n": r.baseline_days}
    return _("近%(w)d天该%(kind)s「%(cat)s」事件%(o)d件，按其%(base)s的水平（随全市同类事件的星期和季节走势调整）"
             "应约%(e).1f件，为%(ratio).1f倍，%(test)s %(p)s") % {
        "w": r.window_days, "kind": PLACE_KIND[length], "cat": category_name, "o": r.observed, "base": base,
        "e": r.expected, "ratio": r.ratio, "test": TEST_NAME[r.test], "p": format_p(r.p_value)}


@rule(KEY, label=gettext_lazy("热点"), params=PARAMS, description=gettext_lazy(
    "网格、村(社区)或乡镇(街道)某类事件近几天的件数显著超过其自身基线（前8周，按全市同类事件走势调整），"
    "负二项（或泊松）上尾检验，按类别数校正误报"))
def hotspot_rule(now: datetime, params: dict):
    p = _detector_params(params)
    wd, bd = p["window_days"], p["baseline_days"]
    n_days = wd + bd
    today = timezone.localdate(now)
    first = today - timedelta(days=n_days - 1)
    tz = timezone.get_current_timezone()
    counts = daily_counts(timezone.make_aware(datetime.combine(first, time.min), tz), now)
    if not counts:
        return

    # the matrix: one row per (level, place, category); grids' and regions' counts rolled up by prefix
    index: dict[tuple[int, str, int], int] = {}
    cells: list[tuple[int, int, int]] = []
    for (code, cat, day), n in counts.items():
        if not code or day is None:
            continue
        col = (day - first).days
        if not 0 <= col < n_days:
            continue
        for length in LEVEL_LENGTHS:
            if len(code) >= length:
                row = index.setdefault((length, code[:length], cat), len(index))
                cells.append((row, col, n))
    if not index:
        return
    matrix = np.zeros((len(index), n_days), dtype=np.int64)
    rows, cols, ns = (np.array(v) for v in zip(*cells, strict=True))
    np.add.at(matrix, (rows, cols), ns)
    keys = list(index)  # row → (length, code, category)
    groups = [(length, cat) for length, _code, cat in keys]

    members: dict = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    profiles = {g: hotspot.weekday_profile(matrix[rows, -PROFILE_DAYS:].sum(axis=0), today.weekday())
                for g, rows in members.items()}
    tests = max(1, Category.objects.filter(parent__isnull=False, active=True).count())
    fired = hotspot.scan(matrix, groups, last_weekday=today.weekday(), tests=tests,
                         profiles=profiles, **p)
    if not fired:
        return
    emitted = _nested(matrix, keys, fired, tests, p)
    yield from _signals(now, today, keys, emitted, p)


def _nested(matrix, keys, fired, tests, p) -> dict[int, hotspot.Result]:
    """The fired rows to report: every grid; a community or township only when what is left of it, without
    its already-reported lower places, still fires."""
    emitted: dict[int, hotspot.Result] = {}
    by_level = {length: [i for i in fired if keys[i][0] == length] for length in LEVEL_LENGTHS}
    for i in by_level[15]:
        emitted[i] = fired[i]
    for length in (12, 9):
        for i in by_level[length]:
            _l, code, cat = keys[i]
            below = [j for j in emitted if keys[j][2] == cat and keys[j][1].startswith(code)]
            # keep only the outermost reported places below (a reported community stands for its grids)
            outer = [j for j in below if not any(k != j and keys[j][1].startswith(keys[k][1]) for k in below)]
            if not outer:
                emitted[i] = fired[i]
                continue
            rest = matrix[i] - matrix[outer].sum(axis=0)
            r = fired[i]
            # the place's own expectation share and overdispersion; the other window's share scaled by length
            share = {w: r.share * w / r.window_days for w in hotspot.windows({**hotspot.DEFAULTS, **p})}
            again = hotspot.detect(rest, tests=tests, overdispersion=r.overdispersion, shares=share, **p)
            if again.fired:
                emitted[i] = fired[i]
    return emitted


def _signals(now, today, keys, emitted, p):
    cats = {c.pk: c for c in Category.objects.filter(pk__in={keys[i][2] for i in emitted})}
    codes = {keys[i][1] for i in emitted}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    names.update(Grid.objects.filter(code__in=codes).values_list("code", "name"))
    longest = max(hotspot.windows({**hotspot.DEFAULTS, **p}))
    since = timezone.make_aware(datetime.combine(today - timedelta(days=longest - 1), time.min),
                                timezone.get_current_timezone())
    recent = list(Event.objects.filter(created_at__gte=since, created_at__lte=now, category_id__in=cats)
                  .exclude(status__in=NOT_COUNTED).order_by("-created_at", "-id")
                  .values_list("id", "grid__code", "region__code", "category_id", "created_at"))
    centres = _centres(codes)
    for i, r in sorted(emitted.items(), key=lambda item: keys[item[0]]):
        length, code, cat = keys[i]
        category = cats[cat]
        window_start = today - timedelta(days=r.window_days - 1)
        cases = [("event", eid) for eid, grid, region, c, at in recent
                 if c == cat and (grid or region or "").startswith(code)
                 and timezone.localtime(at).date() >= window_start][:MAX_CASES]
        place = names.get(code, code)
        yield Signal(
            rule=KEY, key=f"hotspot:event:{code}:{category.code}", level=r.level, code=code,
            title=_("%(place)s「%(cat)s」事件异常增多") % {"place": place, "cat": category.name},
            explanation=explain(length, category.name, r),
            numbers={"observed": r.observed, "expected": round(r.expected, 2), "p_value": r.p_value,
                     "ratio": round(r.ratio, 2), "test": r.test, "window_days": r.window_days,
                     "baseline_days": r.baseline_days, "baseline_count": r.baseline_count,
                     "category": category.code, "category_name": category.name, "place_kind": str(PLACE_KIND[length])},
            cases=cases, point=centres.get(code),
        )


def _centres(codes) -> dict[str, tuple[float, float]]:
    """Map points of the places that fired, from the per-process outline snapshot (built once a process, kept
    while the grids stay the same); none when it cannot be had."""
    try:
        from gridgov.regions import outlines

        snap = outlines.current()
        return {c: pt for c in codes if (pt := snap.center(c)) is not None}
    except Exception:  # a map point is a nicety: never lose a warning for it
        return {}

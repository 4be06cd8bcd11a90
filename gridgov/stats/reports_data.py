"""What a report (通报) reads, read once for many reports.

A :class:`ReportSource` answers the counts of every node of a level under a prefix for a period (one GROUP BY
over the rollups, :func:`gridgov.stats.queries.counts_by`) and keeps the answer: the scheduled run builds every
city's, county's and township's report from one source, so each level's counts are read once for the whole
run, not once per region. A single report reads through a source whose prefix is its own region.

What a report reads per region on top (each a small, indexed query): the category mix
(:func:`gridgov.stats.queries.mix`) and the most overdue open events (:func:`gridgov.stats.queries.open_feed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.tally import level_of
from gridgov.regions.models import Region
from gridgov.stats import queries
from gridgov.stats.kpis import Counts, kpis_of
from gridgov.stats.queries import Node, Period

OVERDUE_ROWS = 50      # the most overdue open events a report lists
TOP_CATEGORIES = 10    # the categories a report lists
TITLE_CHARS = 16       # an overdue event's title, cut to fit the PDF's table


class ReportSource:
    """Cached reads for the reports of the regions under ``prefix`` ("" for all), judged at ``now``."""

    def __init__(self, prefix: str = "", now: datetime | None = None):
        self.prefix = prefix
        self.now = now or timezone.now()
        self._counts: dict = {}
        self._open: dict = {}
        self._children: dict[str, list[Node]] | None = None
        self._categories: dict[str, str] | None = None
        self._indices: dict = {}

    def counts_at(self, kind: str, level: int, p: Period) -> dict[str, Counts]:
        key = (kind, level, p)
        if key not in self._counts:
            self._counts[key] = queries.counts_by(kind, level, self.prefix, p, self.now)
        return self._counts[key]

    def counts(self, kind: str, code: str, p: Period) -> Counts:
        return self.counts_at(kind, level_of(code), p).get(code, Counts())

    def open_now(self, kind: str, code: str) -> dict[str, int]:
        level = level_of(code)
        key = (kind, level)
        if key not in self._open:
            self._open[key] = queries.open_now(kind, level, self.prefix, self.now)
        return self._open[key].get(code, {"open": 0, "overdue": 0, "near_due": 0, "backlog": 0})

    def safety_indices(self, level: int, p: Period) -> dict[str, dict]:
        """The 平安指数 of every node of ``level`` (gridgov.stats.evaluation.region_indices), read once."""
        from gridgov.stats import evaluation

        key = (level, p)
        if key not in self._indices:
            self._indices[key] = evaluation.region_indices(level, self.prefix, p, self.now)
        return self._indices[key]

    def children(self, n: Node) -> list[Node]:
        """The child regions of a city, county or township (one query for every region under the prefix)."""
        if self._children is None:
            rows = (Region.objects.filter(code__startswith=self.prefix, level__gte=Region.Level.COUNTY,
                                          level__lte=Region.Level.COMMUNITY)
                    .order_by("code").values_list("code", "name", "level", "parent__code"))
            self._children = {}
            for code, name, level, parent in rows:
                self._children.setdefault(parent, []).append(Node(code, name, level))
        return self._children.get(n.code, [])

    def category_names(self) -> dict[str, str]:
        """Event category code → "group / leaf" (one query)."""
        if self._categories is None:
            from gridgov.events.models import Category

            self._categories = {
                code: f"{parent} / {name}" if parent else name
                for code, name, parent in Category.objects.values_list("code", "name", "parent__name")
            }
        return self._categories


# --- ranking of the child regions ---------------------------------------------------------------------


def _rank_key(k: dict):
    return (k["on_time_close_rate"], k["close_rate"] or 0)


def ranks(kpis_by_code: dict[str, dict]) -> dict[str, int | None]:
    """Competition ranking (1, 2, 2, 4) by 按期结案率, then 结案率, higher first. A region without 应结案数 in
    the period (no rate) gets no rank."""
    ranked = sorted((code for code, k in kpis_by_code.items() if k.get("on_time_close_rate") is not None),
                    key=lambda c: _rank_key(kpis_by_code[c]), reverse=True)
    out: dict[str, int | None] = dict.fromkeys(kpis_by_code)
    previous, place = None, 0
    for i, code in enumerate(ranked, start=1):
        key = _rank_key(kpis_by_code[code])
        if key != previous:
            place, previous = i, key
        out[code] = place
    return out


@dataclass
class RankRow:
    node: Node
    counts: Counts
    kpis: dict
    rank: int | None
    previous_rank: int | None
    previous_kpis: dict
    safety_index: float | None = None

    @property
    def movement(self) -> str:
        """The change of rank against the previous period: ↑2, ↓1, 持平; — when either has no rank."""
        if self.rank is None or self.previous_rank is None:
            return "—"
        delta = self.previous_rank - self.rank
        if delta > 0:
            return f"↑{delta}"
        if delta < 0:
            return f"↓{-delta}"
        return _("持平")


def ranking(source: ReportSource, n: Node, p: Period) -> list[RankRow]:
    """The child regions of ``n`` with their counts and KPIs in ``p``, ranked, and their rank in the previous
    period: ranked first (by rank, then code), those without a rank after them in code order."""
    kids = source.children(n)
    if not kids:
        return []
    level, prev = kids[0].level, p.previous()
    current = source.counts_at("event", level, p)
    before = source.counts_at("event", level, prev)
    now_kpis = {c.code: kpis_of(current.get(c.code, Counts())) for c in kids}
    prev_kpis = {c.code: kpis_of(before.get(c.code, Counts())) for c in kids}
    now_ranks, prev_ranks = ranks(now_kpis), ranks(prev_kpis)
    indices = source.safety_indices(level, p)
    rows = [RankRow(c, current.get(c.code, Counts()), now_kpis[c.code], now_ranks[c.code], prev_ranks[c.code],
                    prev_kpis[c.code], (indices.get(c.code) or {}).get("index")) for c in kids]
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.node.code))
    return rows


# --- categories and overdue events --------------------------------------------------------------------


def top_categories(source: ReportSource, code: str, p: Period, limit: int = TOP_CATEGORIES) -> tuple[list, int]:
    """The categories with the most events reported in ``p`` (largest first) and the period's total."""
    rows = queries.mix("event", code, p, "category")
    total = sum(r["reported"] for r in rows)
    names = source.category_names()
    return [{"key": r["key"], "name": names.get(r["key"], r["key"] or _("未分类")), "reported": r["reported"],
             "share": r["reported"] / total if total else None} for r in rows[:limit]], total


def top_sources(code: str, p: Period) -> list[dict]:
    from gridgov.events.models import Source

    rows = queries.mix("event", code, p, "source")
    total = sum(r["reported"] for r in rows)
    labels = dict(Source.choices)
    return [{"name": str(labels.get(r["key"], r["key"])), "reported": r["reported"],
             "share": r["reported"] / total if total else None} for r in rows]


def overdue_events(source: ReportSource, code: str, limit: int = OVERDUE_ROWS) -> list[dict]:
    """The open events of ``code`` whose current deadline has passed, the most overdue first."""
    from gridgov.events.models import Event

    feed = queries.open_feed("event", code, "overdue", limit, source.now)
    events = Event.objects.filter(pk__in=[case_id for case_id, _d in feed]).select_related(
        "category", "category__parent", "region", "grid")
    by_id = {e.pk: e for e in events}
    names = source.category_names()
    rows = []
    for case_id, deadline in feed:
        e = by_id.get(case_id)
        if e is None:  # closed since the feed was read
            continue
        rows.append({
            "number": e.number,
            "title": _short(e.title or e.description, TITLE_CHARS),
            "category": names.get(e.category.code, e.category.name),
            "place": e.grid.name if e.grid_id else e.region.name,
            "status": e.get_status_display(),
            "deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M"),
            "late": late_text(source.now - deadline),
        })
    return rows


def _short(text: str, n: int = 30) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def late_text(delta) -> str:
    """How long past the deadline: 3天5小时, 5小时, 不足1小时."""
    hours = int(delta.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    if days:
        return _("%(d)d天%(h)d小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d小时") % {"h": hours}
    return _("不足1小时")

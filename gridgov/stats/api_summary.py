"""``/api/v1/stats/summary``, ``/map``, ``/trend``, ``/mix`` and ``/feed``: what the command center shows.

Every answer is for one node (a region or a grid, :func:`gridgov.stats.queries.node`: outside the user's scope
or unknown, 404) and, but the feed, one period (``period=day|week|month|year`` and ``value``; a bad one is a
400 naming the field). Every number comes with the link to the event worklist that lists exactly the cases
it counts (:func:`worklist_link`; the worklist's ``measure`` filter mirrors the rollups' rules).

The map gives one row per child (counts, KPIs, open now, the chosen measure's value, the child's outline and
centre: :mod:`gridgov.stats.shapes`) and ``heat``: the period's reported cases summed per grid (per community
for a city), placed at the grid's centre — a few thousand points at most, never the cases themselves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Query, Router, Schema
from pydantic import BaseModel, Field

from gridgov.accounts.auth import api_auth
from gridgov.cases.engine import lifecycles
from gridgov.cases.models import OpenCase, Tally
from gridgov.cases.tally import LEVEL_LENGTHS, under
from gridgov.core.api_types import Error
from gridgov.core.errors import ValidationFailed
from gridgov.stats import queries, shapes
from gridgov.stats.kpis import KPI_BY_KEY, Counts, kpis_of, percent, with_derived
from gridgov.stats.queries import Node, Period

try:  # 平安指数 (gridgov.stats.evaluation): on the map when the evaluation module provides it
    from gridgov.stats.evaluation import safety_index_by_child
except ImportError:  # pragma: no cover - the map works without it
    safety_index_by_child = None

log = logging.getLogger(__name__)
router = Router(auth=api_auth)
ERRORS = {400: Error, 401: Error, 404: Error, 422: Error}
MIN_YEAR, MAX_YEAR = 1900, 2200
FEED_KIND = "event"


class BadQuery(ValidationFailed):
    """A query value the API cannot use: 400 with the field named."""

    status = 400


# --- inputs -----------------------------------------------------------------------------------

class NodeParams(Schema):
    kind: str = Field("event", description="案件类型：event / dispute / petition")
    code: str = Field("", description="区划或网格代码；不填为本人管辖范围")


class PeriodParams(NodeParams):
    period: str = Field("month", description="统计周期：day / week / month / year")
    value: str = Field("", description="周期值：2026-11（月）、2026（年）、2026-11-23（日，或该日所在周）")


class MapParams(PeriodParams):
    measure: str = Field("reported", description="着色指标：reported / open / overdue / on_time_close_rate …")


class MixParams(PeriodParams):
    by: str = Field("category", description="分组：category（分类）或 source（来源）")


class FeedParams(NodeParams):
    limit: int = Field(8, ge=1, le=50, description="每类条数")


def _kind(kind: str) -> str:
    if kind not in {lc.kind for lc in lifecycles()}:
        raise BadQuery(_("未知的案件类型"), {"kind": [_("未知的案件类型")]})
    return kind


def _period(kind: str, value: str) -> Period:
    try:
        p = queries.period(kind, value or None)
    except ValidationFailed as exc:
        raise BadQuery(exc.message, {"period" if kind not in ("day", "week", "month", "year") else "value":
                                     list(exc.fields.get("period", [exc.message]))}) from None
    if not (MIN_YEAR <= p.start.year and p.end.year <= MAX_YEAR):
        raise BadQuery(_("统计周期超出范围"), {"value": [_("年份须在 %(a)d–%(b)d 之间") % {"a": MIN_YEAR, "b": MAX_YEAR}]})
    return p


def resolve(user, kind: str, code: str, period: str | None = None, value: str = "") -> tuple[Node, Period | None]:
    """The node (scope first: 404) and the period (400) a request asks for."""
    n = queries.node(user, code or None)
    _kind(kind)
    return n, (_period(period, value) if period is not None else None)


# --- links to the worklist --------------------------------------------------------------------

OPEN_LINKS = {"open": {"measure": "open"}, "overdue": {"sla_state": "overdue"},
              "near_due": {"sla_state": "near_due"}, "normal": {"sla_state": "normal"}}
LINKED_COUNTS = ("reported", "valid", "dispatched", "closed", "closed_on_time", "closed_late", "due", "reworked",
                 "extended", "returned", "rated", "satisfied", "resolved_grid", "resolved_township", "resolved_county",
                 "resolved_city", "resolved_local", "resolved_any", "open")


def worklist_link(kind: str, code: str, p: Period | None, **filters: str) -> str | None:
    """The event worklist filtered to the cases of ``code`` (a region's subtree or one grid) reported in
    ``p`` and matching ``filters`` (``measure``, ``sla_state``, ``category``, ``source``)."""
    if kind != "event":
        return None
    return _Links(p).link(code, **filters)


class _Links:
    """Builds many worklist links for one period: the path is reversed and the period's and each filter
    set's query string encoded once, so a map of a few thousand links costs string joins, not reverses."""

    def __init__(self, p: Period | None) -> None:
        self.base = reverse("events:list")
        self.period = (urlencode({"reported_from": p.start.isoformat(), "reported_to": p.end.isoformat()})
                       if p is not None else "")
        self.tails: dict[tuple, str] = {}

    def link(self, code: str, **filters: str) -> str:
        key = tuple(sorted(filters.items()))
        tail = self.tails.get(key)
        if tail is None:
            tail = self.tails[key] = urlencode({k: v for k, v in filters.items() if v})
        field = "grid" if len(code) == LEVEL_LENGTHS[6] else "region"
        where = f"{field}={code}" if code.isdigit() else urlencode({field: code})
        return "&".join(x for x in (f"{self.base}?{where}", self.period, tail) if x)


def count_links(kind: str, code: str, p: Period, links: _Links | None = None) -> dict[str, str]:
    if kind != "event":
        return {}
    links = links or _Links(p)
    return {m: links.link(code, measure="" if m == "reported" else m) for m in LINKED_COUNTS}


def open_links(kind: str, code: str, now: datetime | None = None, links: _Links | None = None) -> dict[str, str]:
    if kind != "event":
        return {}
    links = links or _Links(None)
    out = {k: links.link(code, **f) for k, f in OPEN_LINKS.items()}
    cutoff = timezone.localdate(now or timezone.now()) - timedelta(days=queries.BACKLOG_DAYS)
    out["backlog"] = links.link(code, measure="open", reported_to=(cutoff - timedelta(days=1)).isoformat())
    return out


# --- outputs ----------------------------------------------------------------------------------

class NodeOut(Schema):
    code: str
    name: str
    level: int
    level_name: str


class PeriodOut(Schema):
    kind: str
    value: str
    label: str
    start: date
    end: date
    moment: datetime
    previous: str
    next: str | None


class OpenNowOut(Schema):
    open: int = 0
    overdue: int = 0
    near_due: int = 0
    backlog: int = 0


class KpiOut(Schema):
    key: str
    label: str
    formula: str
    value: float | None
    percent: str
    numerator: str
    denominator: str
    numerator_count: int
    denominator_count: int
    higher_is_better: bool
    numerator_link: str | None
    denominator_link: str | None


class SummaryOut(Schema):
    kind: str
    node: NodeOut
    path: list[NodeOut]
    children_level_name: str | None
    period: PeriodOut
    counts: dict[str, int]
    kpis: list[KpiOut]
    open_now: OpenNowOut
    links: dict[str, str]
    open_links: dict[str, str]


def node_out(n: Node) -> dict:
    return {"code": n.code, "name": n.name, "level": n.level, "level_name": n.level_name}


def _next(p: Period) -> str | None:
    if p.end >= timezone.localdate():
        return None
    nxt = p.end + timedelta(days=1)
    return {"month": nxt.strftime("%Y-%m"), "year": str(nxt.year)}.get(p.kind, nxt.isoformat())


def period_out(p: Period) -> dict:
    return {"kind": p.kind, "value": p.param, "label": p.label, "start": p.start, "end": p.end,
            "moment": p.moment(), "previous": p.previous().param if p.start.year > MIN_YEAR else p.param,
            "next": _next(p)}


def counts_dict(c: Counts) -> dict[str, int]:
    d = c.as_dict()
    derived = with_derived(c)
    d.update(resolved_local=derived["resolved_local"], resolved_any=derived["resolved_any"],
             closed_late=c["closed"] - c["closed_on_time"])
    return d


def kpi_rows(kind: str, code: str, p: Period, c: Counts) -> list[dict]:
    values, derived, links = kpis_of(c, kind), with_derived(c), count_links(kind, code, p)
    out = []
    for key, value in values.items():
        k = KPI_BY_KEY[key]
        out.append({"key": key, "label": str(k.label), "formula": str(k.formula), "value": value,
                    "percent": percent(value), "numerator": k.numerator, "denominator": k.denominator,
                    "numerator_count": derived[k.numerator], "denominator_count": derived[k.denominator],
                    "higher_is_better": k.higher_is_better, "numerator_link": links.get(k.numerator),
                    "denominator_link": links.get(k.denominator)})
    return out


def _open_now(kind: str, n: Node) -> dict[str, int]:
    return queries.open_now(kind, n.level, n.code).get(n.code, {})


def summary_data(user, kind: str, n: Node, p: Period) -> dict:
    """The summary of ``n`` for ``p`` (scope checked by the caller: :func:`resolve`)."""
    c = queries.counts(kind, n.code, p)
    child_level = n.child_level
    return {
        "kind": kind, "node": node_out(n), "path": [node_out(x) for x in queries.path_of(user, n)],
        "children_level_name": str(queries.LEVEL_NAMES[child_level]) if child_level else None,
        "period": period_out(p), "counts": counts_dict(c), "kpis": kpi_rows(kind, n.code, p, c),
        "open_now": _open_now(kind, n), "links": count_links(kind, n.code, p),
        "open_links": open_links(kind, n.code),
    }


@router.get("/summary", response={200: SummaryOut, **ERRORS}, url_name="stats_summary",
            summary="区域统计概览 / a region's counts and KPIs for a period")
def stats_summary(request, params: Query[PeriodParams]):
    n, p = resolve(request.auth, params.kind, params.code, params.period, params.value)
    return summary_data(request.auth, params.kind, n, p)


# --- the map ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MapMeasure:
    key: str
    label: str
    unit: str  # count, rate, index
    higher_is_better: bool = True
    link: str = ""  # which of a row's links opens the cases behind the value

    def value(self, row: dict) -> float | None:
        if self.unit == "rate":
            return row["kpis"].get(self.key)
        if self.key == "safety_index":
            return (row.get("safety") or {}).get("index")
        if self.key in ("open", "overdue", "near_due"):
            return row["open_now"].get(self.key, 0)
        return row["counts"].get(self.key, 0)

    def display(self, value: float | None) -> str:
        if value is None:
            return "—"
        if self.unit == "rate":
            return percent(value)
        if self.unit == "index":
            return f"{value:.2f}"
        return str(int(value))


MEASURES: list[MapMeasure] = [
    MapMeasure("reported", gettext_lazy("案件数"), "count", link="reported"),
    MapMeasure("open", gettext_lazy("在办"), "count", higher_is_better=False, link="open"),
    MapMeasure("overdue", gettext_lazy("超期"), "count", higher_is_better=False, link="overdue"),
    MapMeasure("on_time_close_rate", gettext_lazy("按期结案率"), "rate", link="closed_on_time"),
    MapMeasure("close_rate", gettext_lazy("结案率"), "rate", link="closed"),
    MapMeasure("satisfaction_rate", gettext_lazy("满意率"), "rate", link="satisfied"),
]
if safety_index_by_child is not None:
    MEASURES.append(MapMeasure("safety_index", gettext_lazy("平安指数"), "index", link="reported"))
MEASURE_BY_KEY = {m.key: m for m in MEASURES}


class MeasureOut(Schema):
    key: str
    label: str
    unit: str
    higher_is_better: bool


class MapRow(Schema):
    code: str
    name: str
    level: int
    counts: dict[str, int]
    kpis: dict[str, float | None]
    open_now: OpenNowOut
    value: float | None
    display: str
    link: str | None
    links: dict[str, str]
    open_links: dict[str, str]
    safety: dict | None = None
    outline: dict | None
    center: list[float] | None


class HeatPoint(BaseModel):
    """A plain pydantic model (not a ninja ``Schema``): a city's map carries a point per community, and
    ``Schema`` wraps every one in an attribute getter on validation."""

    code: str
    lng: float
    lat: float
    count: int
    link: str | None


class MapOut(Schema):
    kind: str
    node: NodeOut
    path: list[NodeOut]
    period: PeriodOut
    measure: str
    measures: list[MeasureOut]
    rows: list[MapRow]
    heat: list[HeatPoint]
    heat_level_name: str
    outline: dict | None
    center: list[float] | None


def _measure(key: str) -> MapMeasure:
    if key not in MEASURE_BY_KEY:
        raise BadQuery(_("着色指标无效"), {"measure": [_("可选：%(keys)s") % {"keys": "、".join(MEASURE_BY_KEY)}]})
    return MEASURE_BY_KEY[key]


def _safety(kind: str, n: Node, p: Period) -> dict[str, dict]:
    try:
        return safety_index_by_child(kind, n.code, p) or {}
    except Exception:  # the index is an extra layer: the map stays up without it
        log.exception("safety_index_by_child failed for %s", n.code)
        return {}


def heat_points(kind: str, n: Node, p: Period, snap) -> tuple[list[dict], int]:
    """The period's reported cases summed per grid (per community under a city) at its centre."""
    level = 5 if n.level <= 2 else 6
    qs = Tally.objects.filter(kind=kind, level=level, day__gte=p.start, day__lte=p.end)
    key = "code"
    if n.level <= 2:
        # the whole city: every community is in range, so read the period's days first from the partial index
        # of the communities (cases.Tally.Meta) — a planner uses a partial index only for a literal
        # ``level = 5``. SQLite, without statistics, would rather walk a place index (in the order of its
        # GROUP BY) through each community's every day: for it the place is an expression, which no index
        # answers or orders (PostgreSQL's statistics choose right, and the expression would spoil its estimate)
        qs = qs.filter(ExpressionWrapper(RawSQL(f"{Tally._meta.db_table}.level = 5", ()), BooleanField()))
        if connection.vendor == "sqlite":
            key = "place"
            qs = qs.annotate(place=Concat("code", Value(""))).filter(under(n.code, "place"))
        else:
            qs = qs.filter(under(n.code))
    else:
        # only the grids on the map can be drawn: probe the place index once for each (queries.places_q)
        qs = qs.filter(queries.places_q(n.code, snap.grids_under(n.code)))
    rows = sorted((r[key], r["n"]) for r in qs.values(key).annotate(n=Sum("reported")).order_by())
    links = _Links(p) if kind == "event" else None
    out = []
    for code, count in rows:
        c = snap.center(code) if count else None
        if c is not None:
            out.append({"code": code, "lng": c[0], "lat": c[1], "count": count,
                        "link": links.link(code) if links else None})
    return out, level


def map_data(user, kind: str, n: Node, p: Period, measure: MapMeasure) -> dict:
    snap = shapes.current()
    kids = queries.children(n)
    level = n.child_level
    by, now_by = queries.counts_and_open_now(kind, level, n.code, p, [k.code for k in kids]) if level else ({}, {})
    safety = _safety(kind, n, p) if measure.key == "safety_index" and kids else {}
    rows = []
    period_links, now_links = _Links(p), _Links(None)
    for k in kids:
        c = by.get(k.code, Counts())
        row = {"code": k.code, "name": k.name, "level": k.level, "counts": counts_dict(c),
               "kpis": kpis_of(c, kind), "open_now": now_by.get(k.code, {}), "safety": safety.get(k.code),
               "links": count_links(kind, k.code, p, period_links),
               "open_links": open_links(kind, k.code, links=now_links),
               "outline": snap.outline(k.code), "center": list(snap.center(k.code) or []) or None}
        row["value"] = measure.value(row)
        row["display"] = measure.display(row["value"])
        row["link"] = row["links"].get(measure.link) or row["open_links"].get(measure.link)
        rows.append(row)
    heat, heat_level = heat_points(kind, n, p, snap)
    return {"kind": kind, "node": node_out(n), "path": [node_out(x) for x in queries.path_of(user, n)],
            "period": period_out(p), "measure": measure.key,
            "measures": [{"key": m.key, "label": str(m.label), "unit": m.unit,
                          "higher_is_better": m.higher_is_better} for m in MEASURES],
            "rows": rows, "heat": heat, "heat_level_name": str(queries.LEVEL_NAMES[heat_level]),
            "outline": snap.outline(n.code), "center": list(snap.center(n.code) or []) or None}


@router.get("/map", response={200: MapOut, **ERRORS}, url_name="stats_map",
            summary="地图聚合 / the children of a region on the map, and the heat of reported cases")
def stats_map(request, params: Query[MapParams]):
    n, p = resolve(request.auth, params.kind, params.code, params.period, params.value)
    # written as JSON directly: a city's map carries a heat point per community (2,408 in 聊城), and checking
    # every one against the schema cost a third of the request; the schema above documents it, and
    # test_the_map_answer_matches_its_schema holds the two together
    return JsonResponse(map_data(request.auth, params.kind, n, p, _measure(params.measure)),
                        encoder=DjangoJSONEncoder)


# --- trend and mix ----------------------------------------------------------------------------

TREND_SERIES = ("reported", "valid", "closed", "closed_on_time")


class TrendPoint(Schema):
    at: str
    reported: int
    valid: int
    closed: int
    closed_on_time: int
    links: dict[str, str]


class TrendOut(Schema):
    kind: str
    node: NodeOut
    period: PeriodOut
    points: list[TrendPoint]


def _slice(at: str, p: Period) -> Period:
    """The day (or, in a year, the month) a trend point stands for."""
    if len(at) == 7:
        return queries.period("month", at)
    d = date.fromisoformat(at)
    return Period("day", d, d)


@router.get("/trend", response={200: TrendOut, **ERRORS}, url_name="stats_trend",
            summary="趋势 / reported, taken up and closed by day (by month for a year)")
def stats_trend(request, params: Query[PeriodParams]):
    n, p = resolve(request.auth, params.kind, params.code, params.period, params.value)
    points = []
    for row in queries.trend(params.kind, n.code, p):
        part = _slice(row["at"], p)
        links = {s: worklist_link(params.kind, n.code, part, measure="" if s == "reported" else s)
                 for s in TREND_SERIES} if params.kind == "event" else {}
        points.append({**row, "links": links})
    return {"kind": params.kind, "node": node_out(n), "period": period_out(p), "points": points}


class MixRow(Schema):
    key: str
    name: str
    reported: int
    closed: int | None = None
    link: str | None


class MixOut(Schema):
    kind: str
    node: NodeOut
    period: PeriodOut
    by: str
    rows: list[MixRow]
    others: int


MIX_TOP = 10


def _names(kind: str, by: str, keys: list[str]) -> dict[str, str]:
    if kind != "event":
        return {}
    from gridgov.events.models import Category, Source

    if by == "source":
        return {k: str(v) for k, v in Source.choices}
    return dict(Category.objects.filter(code__in=keys).values_list("code", "name"))


@router.get("/mix", response={200: MixOut, **ERRORS}, url_name="stats_mix",
            summary="构成 / cases of the period by category or by source, largest first")
def stats_mix(request, params: Query[MixParams]):
    n, p = resolve(request.auth, params.kind, params.code, params.period, params.value)
    if params.by not in ("category", "source"):
        raise BadQuery(_("分组方式无效"), {"by": [_("只能按 category 或 source 分组")]})
    rows = queries.mix(params.kind, n.code, p, params.by)
    top = rows[:MIX_TOP] if params.by == "category" else rows
    names = _names(params.kind, params.by, [str(r["key"]) for r in top])
    out = [{"key": str(r["key"]), "name": names.get(str(r["key"])) or str(r["key"]) or _("未填"),
            "reported": r["reported"], "closed": r.get("closed"),
            "link": worklist_link(params.kind, n.code, p, **{params.by: str(r["key"])})} for r in top]
    return {"kind": params.kind, "node": node_out(n), "period": period_out(p), "by": params.by, "rows": out,
            "others": sum(r["reported"] for r in rows[len(top):])}


# --- the live feed ----------------------------------------------------------------------------

class FeedItem(Schema):
    number: str
    title: str
    category: str
    place: str
    state: str
    state_label: str
    reported_at: datetime
    deadline: datetime | None
    link: str


class FeedOut(Schema):
    node: NodeOut
    generated_at: datetime
    open_now: OpenNowOut
    open_links: dict[str, str]
    new: list[FeedItem]
    overdue: list[FeedItem]
    near_due: list[FeedItem]


FEED_STATES = {"new": gettext_lazy("新上报"), "overdue": gettext_lazy("已超期"), "near_due": gettext_lazy("即将超期")}


def feed_data(n: Node, limit: int, now: datetime | None = None) -> dict:
    from gridgov.events.models import Event

    now = now or timezone.now()
    base = OpenCase.objects.filter(under(n.code), kind=FEED_KIND)
    ids = {
        "new": list(base.order_by("-case_id").values_list("case_id", flat=True)[:limit]),
        "overdue": [i for i, _d in queries.open_feed(FEED_KIND, n.code, "overdue", limit, now)],
        "near_due": [i for i, _d in queries.open_feed(FEED_KIND, n.code, "near_due", limit, now)],
    }
    wanted = {i for v in ids.values() for i in v}
    events = {e.pk: e for e in Event.objects.filter(pk__in=wanted).select_related("category", "region", "grid")}
    out = {"node": node_out(n), "generated_at": now, "open_now": _open_now(FEED_KIND, n),
           "open_links": open_links(FEED_KIND, n.code, now)}
    for state, pks in ids.items():
        out[state] = [{"number": e.number, "title": e.title or e.category.name, "category": e.category.name,
                       "place": e.grid.name if e.grid_id else e.region.name, "state": state,
                       "state_label": str(FEED_STATES[state]), "reported_at": e.created_at,
                       "deadline": e.deadline, "link": reverse("events:detail", args=[e.number])}
                      for e in (events.get(pk) for pk in pks) if e is not None]
    return out


@router.get("/feed", response={200: FeedOut, **ERRORS}, url_name="stats_feed",
            summary="动态 / the newest open events, the overdue and the nearly due")
def stats_feed(request, params: Query[FeedParams]):
    n, _p = resolve(request.auth, params.kind, params.code)
    if params.kind != FEED_KIND:
        raise BadQuery(_("动态只包含事件"), {"kind": [_("动态只包含事件（event）")]})
    return feed_data(n, params.limit)

"""Evaluation (考核): the 平安指数 and 星级 of regions and grids, the departments' 综合指标值, and ranking.

Every figure is read set-based: one GROUP BY per kind of case for all the nodes being ranked (over the
kernel's rollups, :func:`gridgov.stats.queries.counts_by`), one for the petitions' backlog, one for the key
persons — never a query per region, department or person. Formulas and default weights: docs/evaluation.md,
section "考核 (evaluation)"; the weights in force: :mod:`gridgov.stats.eval_config`.

An index or score is the weighted mean of its components' scores (each in [0, 1]) × 100, rounded half up
to two places; a component without a denominator is left out (the others' weights count for the whole);
with no component at all there is no index (None: unranked, no stars). Ranks are "1224": equal values
share a rank and the next rank skips. Changes compare with the period before (:meth:`Period.previous`):
``rank_change`` = previous rank − rank (positive: moved up), ``index_change`` = index − previous index.

Grid workers are in :mod:`gridgov.stats.eval_workers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases.engine import lifecycle
from gridgov.cases.models import DEPT_MEASURES, DeptTally
from gridgov.cases.tally import LEVEL_LENGTHS, level_of
from gridgov.core.errors import ValidationFailed
from gridgov.regions.models import Grid
from gridgov.stats import eval_config
from gridgov.stats.eval_keypersons import control_by_node
from gridgov.stats.kpis import Counts
from gridgov.stats.queries import BACKLOG_DAYS, Node, Period, children, counts_by

# --- shared: components, the weighted index, ranks, stars ---------------------------------------------


@dataclass
class Component:
    """One indicator of an index: ``numerator / denominator`` (None without a denominator) and its score
    in [0, 1] (the rate, or 1 − rate for an indicator where less is better; capped at 1)."""

    key: str
    numerator: float
    denominator: float
    lower_is_better: bool = False
    value: float | None = None  # the rate itself (or, for a count against a target, the ratio)

    def __post_init__(self) -> None:
        if self.value is None and self.denominator:
            self.value = self.numerator / self.denominator

    @property
    def score(self) -> float | None:
        if self.value is None:
            return None
        v = min(max(self.value, 0.0), 1.0)
        return 1.0 - v if self.lower_is_better else v

    def as_dict(self) -> dict:
        return {"numerator": self.numerator, "denominator": self.denominator,
                "value": None if self.value is None else round(self.value, 6),
                "score": None if self.score is None else round(self.score, 6)}


def round2(x: float) -> float:
    return float(Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def weighted_index(components: list[Component], weights: dict[str, float]) -> float | None:
    """Σ weight × score ÷ Σ weight over the components that have a score, × 100, two places."""
    used = [(weights.get(c.key, 0.0), c.score) for c in components if c.score is not None]
    total = sum(w for w, _s in used)
    if total <= 0:
        return None
    return round2(100 * sum(w * s for w, s in used) / total)


def assign_ranks(rows: list[dict], value: str = "index", rank: str = "rank") -> None:
    """Rank ``rows`` in place by ``row[value]`` (higher first; None: unranked) — equal values share a rank."""
    ranked = sorted((r for r in rows if r.get(value) is not None), key=lambda r: -r[value])
    previous, position = None, 0
    for i, r in enumerate(ranked, 1):
        if r[value] != previous:
            position, previous = i, r[value]
        r[rank] = position
    for r in rows:
        r.setdefault(rank, None)


def stars_of(index: float | None, thresholds: list[float]) -> int | None:
    """One star, plus one for each threshold the index reaches (four thresholds: one to five stars)."""
    if index is None:
        return None
    return 1 + sum(1 for t in thresholds if index >= t)


def with_changes(rows: list[dict], previous: dict[str, dict], key: str, value: str) -> None:
    """Add the previous period's value and rank and the changes to each row (matched by ``row[key]``)."""
    for r in rows:
        p = previous.get(r[key]) or {}
        r["previous_" + value] = p.get(value)
        r["previous_rank"] = p.get("rank")
        r[value + "_change"] = (round2(r[value] - p[value]) if r[value] is not None and p.get(value) is not None
                                else None)
        r["rank_change"] = (p["rank"] - r["rank"] if r["rank"] is not None and p.get("rank") is not None else None)


def period_dict(p: Period) -> dict:
    return {"kind": p.kind, "value": p.param, "label": str(p.label), "start": p.start.isoformat(),
            "end": p.end.isoformat()}


# --- regions and grids: 平安指数 -------------------------------------------------------------------------

REGION_COMPONENTS = {
    "on_time_close_rate": _("按期结案率"),
    "in_grid_rate": _("小事不出格率"),
    "dispute_resolution_rate": _("矛盾纠纷化解率"),
    "reply_rate": _("七日内回复率"),
    "backlog_free_rate": _("信访积案控制率"),
    "control_rate": _("动态掌控率"),
}


def _on_day(p: Period, now: datetime | None):
    """The day a period's "as of" figures (key persons, backlog) are judged on: its last day, or today."""
    return min(p.end, timezone.localdate(now or timezone.now()))


def petition_backlog(level: int, prefix: str, moment: datetime) -> dict[str, tuple[int, int]]:
    """``{node: (积案, open)}``: the petitions open at ``moment`` and those of them registered more than
    BACKLOG_DAYS before it. "Open at the moment": registered before it and open now, or closed after it
    (one GROUP BY on the petitions, which are few; a petition finished without a closing time after the
    moment — transferred out, not accepted — is not counted)."""
    lc = lifecycle("petition")
    model = lc.model
    live = lc.live_statuses if lc.live_statuses is not None else lc.open_statuses
    at = lc.reported_at_field
    has_grid = any(f.name == "grid" for f in model._meta.get_fields())
    place = Coalesce("grid__code", "region__code") if has_grid else F("region__code")
    n = LEVEL_LENGTHS[level]
    rows = (model.objects.filter(lc.place_q(prefix), **{f"{at}__lt": moment})
            .filter(Q(status__in=live) | Q(closed_at__gt=moment))
            .annotate(node=Substr(place, 1, n)).order_by().values("node")
            .annotate(open=Count("pk"), backlog=Count("pk", filter=Q(
                **{f"{at}__lt": moment - timedelta(days=BACKLOG_DAYS)}))))
    return {r["node"]: (r["backlog"], r["open"]) for r in rows if len(r["node"] or "") == n}


def region_components(ev: Counts, dp: Counts, pt: Counts, backlog: tuple[int, int],
                      control: tuple[int, int]) -> list[Component]:
    return [
        Component("on_time_close_rate", ev["closed_on_time"], ev.due),
        Component("in_grid_rate", ev["resolved_grid"], ev["closed"]),
        Component("dispute_resolution_rate", dp["succeeded"], dp["valid"]),
        Component("reply_rate", pt["replied_on_time"], pt["reply_due"]),
        Component("backlog_free_rate", backlog[0], backlog[1], lower_is_better=True),
        Component("control_rate", control[0], control[1]),
    ]


def region_indices(level: int, prefix: str, p: Period, now: datetime | None = None,
                   scheme: eval_config.Scheme | None = None) -> dict[str, dict]:
    """``{code: {"index", "components"}}`` for every node of ``level`` under ``prefix`` that has figures."""
    scheme = scheme or eval_config.scheme("region")
    moment = p.moment(now)
    ev = counts_by("event", level, prefix, p, now)
    dp = counts_by("dispute", level, prefix, p, now)
    pt = counts_by("petition", level, prefix, p, now)
    bl = petition_backlog(level, prefix, moment)
    ctl = control_by_node(level, prefix, _on_day(p, now))
    out = {}
    for code in set(ev) | set(dp) | set(pt) | set(bl) | set(ctl):
        comps = region_components(ev.get(code, Counts()), dp.get(code, Counts()), pt.get(code, Counts()),
                                  bl.get(code, (0, 0)), ctl.get(code, (0, 0)))
        out[code] = {"index": weighted_index(comps, scheme.weights), "components": comps}
    return out


def _region_rows(nodes: list[Node], p: Period, level: int, prefix: str, now, scheme) -> list[dict]:
    figures = region_indices(level, prefix, p, now, scheme)
    rows = []
    for n in nodes:
        f = figures.get(n.code) or {"index": None, "components": region_components(
            Counts(), Counts(), Counts(), (0, 0), (0, 0))}
        thresholds = scheme.stars["grid" if n.level == 6 else "center"]
        rows.append({"code": n.code, "name": n.name, "level": n.level, "index": f["index"],
                     "stars": stars_of(f["index"], thresholds),
                     "components": {c.key: c.as_dict() for c in f["components"]}})
    assign_ranks(rows)
    return rows


def rank_nodes(nodes: list[Node], level: int, prefix: str, p: Period, now: datetime | None = None) -> list[dict]:
    """The 平安指数, stars, rank and change of ``nodes`` (all of ``level`` under ``prefix``), best first."""
    scheme = eval_config.scheme("region")
    rows = _region_rows(nodes, p, level, prefix, now, scheme)
    before = {r["code"]: r for r in _region_rows(nodes, p.previous(), level, prefix, now, scheme)}
    with_changes(rows, before, "code", "index")
    return _ordered(rows)


def _ordered(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["rank"] is None, r["rank"] or 0, r.get("code") or r.get("name") or ""))


def rank_children(n: Node, p: Period, now: datetime | None = None) -> list[dict]:
    """The node's child regions (or, under a community, its grids) ranked by 平安指数."""
    if n.level >= 6:
        raise ValidationFailed(_("网格没有下级区域"), {"code": [_("请选择网格以上的区划")]})
    return rank_nodes(children(n), n.level + 1, n.code, p, now)


def grid_nodes(n: Node) -> list[Node]:
    rows = Grid.objects.filter(code__startswith=n.code, active=True).order_by("code").values_list("code", "name")
    return [Node(c, name, 6) for c, name in rows]


def rank_grids(n: Node, p: Period, now: datetime | None = None) -> list[dict]:
    """Every grid under a county, township or community, ranked by 平安指数 (星级网格)."""
    if n.level < 3:
        raise ValidationFailed(_("网格排名请选择县(区)、乡镇(街道)或村(社区)"),
                               {"code": [_("请选择县(区)、乡镇(街道)或村(社区)")]})
    return rank_nodes(grid_nodes(n), 6, n.code, p, now)


def safety_index_by_child(kind_unused, node_code: str, p: Period, now: datetime | None = None) -> dict[str, dict]:
    """For the command center's map: ``{child code: {index, stars, rank, change, index_change}}`` of the
    children of ``node_code`` (scope already checked by the caller). ``kind_unused``: the index combines
    every kind of case."""
    level = level_of(node_code)
    if level >= 6:
        return {}
    nodes = children(Node(node_code, "", level))
    return {r["code"]: {"index": r["index"], "stars": r["stars"], "rank": r["rank"], "change": r["rank_change"],
                        "index_change": r["index_change"]}
            for r in rank_nodes(nodes, level + 1, node_code, p, now)}


# --- departments: 综合指标值 -------------------------------------------------------------------------

DEPARTMENT_COMPONENTS = {
    "sign_rate": _("按时签收率"),
    "handle_rate": _("按期处置率"),
    "rework_rate": _("返工率"),
    "return_rate": _("退回率"),
    "extension_rate": _("延期率"),
    "satisfaction_rate": _("满意率"),
}


def department_components(c: Counts) -> list[Component]:
    return [
        Component("sign_rate", c["signed_on_time"], c["signed"]),
        Component("handle_rate", c["handled_on_time"], c["handled"]),
        Component("rework_rate", c["reworked"], c["received"], lower_is_better=True),
        Component("return_rate", c["returned"], c["received"], lower_is_better=True),
        Component("extension_rate", c["extended"], c["received"], lower_is_better=True),
        Component("satisfaction_rate", c["satisfied"], c["rated"]),
    ]


@dataclass
class _Dept:
    code: str
    name: str
    region: str
    region_name: str
    counts: Counts = field(default_factory=Counts)


def department_counts(prefix: str, p: Period, kind: str | None = "event") -> dict[int, Counts]:
    """The department measures of ``p`` summed by department (one GROUP BY over DeptTally)."""
    qs = DeptTally.objects.filter(day__gte=p.start, day__lte=p.end, department__region__code__startswith=prefix)
    if kind:
        qs = qs.filter(kind=kind)
    rows = qs.order_by().values("department_id").annotate(**{m: Sum(m) for m in DEPT_MEASURES})
    return {r["department_id"]: Counts({m: r[m] or 0 for m in DEPT_MEASURES}) for r in rows}


def _department_rows(depts: dict, p: Period, prefix: str, kind, scheme) -> list[dict]:
    counts = department_counts(prefix, p, kind)
    rows = []
    for pk, d in depts.items():
        c = counts.get(pk, Counts())
        comps = department_components(c)
        rows.append({"id": pk, "code": d.code, "name": d.name, "region": d.region, "region_name": d.region_name,
                     "counts": {m: c[m] for m in DEPT_MEASURES},
                     "components": {x.key: x.as_dict() for x in comps},
                     "score": weighted_index(comps, scheme.weights)})
    assign_ranks(rows, "score")
    return rows


def rank_departments(n: Node, p: Period, kind: str | None = "event") -> list[dict]:
    """The active departments whose government is ``n`` or below it, ranked by 综合指标值."""
    from gridgov.accounts.models import Department

    if kind is not None and kind not in ("event", "dispute", "petition"):
        raise ValidationFailed(_("未知的案件类型"), {"kind": [_("未知的案件类型")]})
    scheme = eval_config.scheme("department")
    depts = {pk: _Dept(code, name, rcode, rname) for pk, code, name, rcode, rname in
             Department.objects.filter(active=True, region__code__startswith=n.code).order_by("code")
             .values_list("pk", "code", "name", "region__code", "region__name")}
    rows = _department_rows(depts, p, n.code, kind, scheme)
    before = {r["id"]: r for r in _department_rows(depts, p.previous(), n.code, kind, scheme)}
    with_changes(rows, before, "id", "score")
    return _ordered(rows)

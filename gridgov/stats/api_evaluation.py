"""``/api/v1/stats/rankings/{regions|grids|workers|departments}``: the evaluation (考核) rankings.

``?code=`` the region (default: the viewer's own; outside the viewer's scope or unknown: 404),
``period=day|week|month|year`` and ``value=`` (400 naming the field when bad). A ranking only ever lists
what lies under ``code``, so a township's operator ranks its own grids and workers and never another
township's (a county rank of a worker is shown only to those who see the whole county).

- ``regions``: the child regions of ``code`` (under a community: its grids) by 平安指数, with 星级, rank and
  change against the period before;
- ``grids``: every grid under a county, township or community (星级网格);
- ``workers``: the grid workers of a county, township or community;
- ``departments``: the departments whose government is ``code`` or below it, by 综合指标值 (``kind``:
  event, dispute, petition or all).

Formulas and weights: docs/evaluation.md, "## 考核 (evaluation)".
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from gridgov.accounts.auth import api_auth
from gridgov.core.api_types import Error
from gridgov.stats import eval_config, eval_workers, evaluation
from gridgov.stats.api_summary import BadQuery, resolve, worklist_link
from gridgov.stats.queries import Node, Period

router = Router(auth=api_auth)
ERRORS = {400: Error, 401: Error, 404: Error, 422: Error}


class RankParams(Schema):
    code: str = Field("", max_length=20, description="区划代码；不填为本人管辖范围")
    period: str = Field("month", description="统计周期：day / week / month / year")
    value: str = Field("", max_length=20, description="周期值：2026-11（月）、2026（年）、2026-11-23（该日所在周或该日）")


class DeptParams(RankParams):
    kind: str = Field("event", description="案件类型：event / dispute / petition / all（全部）")


class RankNodeOut(Schema):
    code: str
    name: str
    level: int
    level_name: str


class RankPeriodOut(Schema):
    kind: str
    value: str
    label: str
    start: date
    end: date


class ComponentOut(Schema):
    numerator: float
    denominator: float
    value: float | None
    score: float | None


class RegionRow(Schema):
    code: str
    name: str
    level: int
    index: float | None
    stars: int | None
    rank: int | None
    previous_index: float | None
    previous_rank: int | None
    rank_change: int | None
    index_change: float | None
    components: dict[str, ComponentOut]
    links: dict[str, str]


class DepartmentRow(Schema):
    id: int
    code: str
    name: str
    region: str
    region_name: str
    counts: dict[str, int]
    components: dict[str, ComponentOut]
    score: float | None
    rank: int | None
    previous_score: float | None
    previous_rank: int | None
    rank_change: int | None
    score_change: float | None


class WorkerRow(Schema):
    id: int
    username: str
    name: str
    region: str
    region_name: str
    township: str | None
    township_name: str
    grids: list[str]
    active_days: int
    workdays: int
    records_created: int
    records_updated: int
    records: int
    events_reported: int
    events_valid: int
    on_spot: int
    visits: int
    visits_on_time: int
    key_persons: int
    key_persons_in_hand: int
    targets: dict[str, float]
    components: dict[str, ComponentOut]
    score: float | None
    township_rank: int | None
    county_rank: int | None
    previous_score: float | None
    previous_township_rank: int | None
    previous_county_rank: int | None
    township_rank_change: int | None
    county_rank_change: int | None
    score_change: float | None


class Ranking(Schema):
    subject: str
    node: RankNodeOut
    period: RankPeriodOut
    previous: RankPeriodOut
    weights: dict[str, float]
    labels: dict[str, str]


class RegionRanking(Ranking):
    star_thresholds: list[float]
    rows: list[RegionRow]


class DepartmentRanking(Ranking):
    kind: str
    rows: list[DepartmentRow]


class WorkerRanking(Ranking):
    targets: dict[str, float]
    rows: list[WorkerRow]


def _head(subject: str, n: Node, p: Period, labels: dict) -> dict:
    scheme = eval_config.scheme(subject)
    return {"subject": subject, "node": {"code": n.code, "name": n.name, "level": n.level,
                                         "level_name": n.level_name},
            "period": evaluation.period_dict(p), "previous": evaluation.period_dict(p.previous()),
            "weights": scheme.weights, "labels": {k: str(v) for k, v in labels.items()}, "_scheme": scheme}


REGION_LINKS = {"reported": "", "closed": "closed", "closed_on_time": "closed_on_time", "due": "due",
                "resolved_grid": "resolved_grid"}


def region_links(code: str, p: Period) -> dict[str, str]:
    """The event worklist behind a row's numbers (the cases of the node reported in the period)."""
    return {k: worklist_link("event", code, p, measure=m) for k, m in REGION_LINKS.items()}


def region_ranking(user, params: RankParams, grids: bool) -> dict:
    n, p = resolve(user, "event", params.code, params.period, params.value)
    rows = evaluation.rank_grids(n, p) if grids else evaluation.rank_children(n, p)
    for r in rows:
        r["links"] = region_links(r["code"], p)
    out = _head("region", n, p, evaluation.REGION_COMPONENTS)
    scheme = out.pop("_scheme")
    level = 6 if grids or n.level == 5 else n.level + 1
    out.update(star_thresholds=scheme.stars["grid" if level == 6 else "center"], rows=rows)
    return out


def department_ranking(user, params: DeptParams) -> dict:
    if params.kind not in ("event", "dispute", "petition", "all"):
        raise BadQuery(_("未知的案件类型"), {"kind": [_("只能是 event、dispute、petition 或 all")]})
    n, p = resolve(user, "event", params.code, params.period, params.value)
    rows = evaluation.rank_departments(n, p, None if params.kind == "all" else params.kind)
    out = _head("department", n, p, evaluation.DEPARTMENT_COMPONENTS)
    out.pop("_scheme")
    out.update(kind=params.kind, rows=rows)
    return out


def worker_ranking(user, params: RankParams) -> dict:
    n, p = resolve(user, "event", params.code, params.period, params.value)
    rows = eval_workers.rank_workers(user, n, p)
    out = _head("worker", n, p, eval_workers.WORKER_COMPONENTS)
    scheme = out.pop("_scheme")
    out.update(targets=scheme.targets, rows=rows)
    return out


@router.get("/rankings/regions", summary="下级区域平安指数排名", response={200: RegionRanking, **ERRORS})
def rankings_regions(request, params: Query[RankParams]):
    """下级区域（社区下为网格）按平安指数排名：星级、名次及与上期相比的变化。"""
    return region_ranking(request.auth, params, grids=False)


@router.get("/rankings/grids", summary="网格排名（星级网格）", response={200: RegionRanking, **ERRORS})
def rankings_grids(request, params: Query[RankParams]):
    """县(区)、乡镇(街道)或村(社区)内全部网格按平安指数排名（星级网格）。"""
    return region_ranking(request.auth, params, grids=True)


@router.get("/rankings/workers", summary="网格员考核排名", response={200: WorkerRanking, **ERRORS})
def rankings_workers(request, params: Query[RankParams]):
    """网格员考核得分与乡镇内、县(区)内排名（周考核用 period=week，月考核用 period=month）。"""
    return worker_ranking(request.auth, params)


@router.get("/rankings/departments", summary="职能部门指标排名", response={200: DepartmentRanking, **ERRORS})
def rankings_departments(request, params: Query[DeptParams]):
    """职能部门综合指标值排名：按时签收率、按期处置率、返工率、退回率、延期率、满意率。"""
    return department_ranking(request.auth, params)

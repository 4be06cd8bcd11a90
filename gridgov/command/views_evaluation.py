"""The evaluation (考核) pages under /evaluation/: desk tables of the rankings in the viewer's scope.

Four tabs — 区域平安指数 (the child regions of ``code``), 星级网格, 网格员考核 and 部门考核 — over the same
functions as ``/api/v1/stats/rankings/…`` (:mod:`gridgov.stats.api_evaluation`). Operators, leaders and
administrators only; a region outside the viewer's scope is the 404 page. Each row shows its rank, the
change against the period before (▲ up, ▼ down), its stars, and its numbers linked to the event worklist
that lists the cases behind them where one exists.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from gridgov.accounts.models import User
from gridgov.core.errors import DomainError, NotFound
from gridgov.regions.models import Region
from gridgov.stats import queries
from gridgov.stats.api_evaluation import department_ranking, region_ranking, worker_ranking
from gridgov.stats.kpis import percent
from gridgov.web.views import not_found, roles_required, web_status

R = User.Role
STAFF = (R.OPERATOR, R.LEADER, R.ADMIN)
TABS = (
    ("regions", gettext_lazy("区域平安指数")),
    ("grids", gettext_lazy("星级网格")),
    ("workers", gettext_lazy("网格员考核")),
    ("departments", gettext_lazy("部门考核")),
)
PERIODS = (("week", gettext_lazy("周")), ("month", gettext_lazy("月")), ("year", gettext_lazy("年")))
DEFAULT_PERIOD = {"workers": "week"}
DEPT_KINDS = (("event", gettext_lazy("事件")), ("dispute", gettext_lazy("矛盾纠纷")),
              ("petition", gettext_lazy("信访")), ("all", gettext_lazy("全部")))
# a region row's rate → (numerator, denominator) worklist links (gridgov.stats.api_evaluation.region_links)
RATE_LINKS = {"on_time_close_rate": ("closed_on_time", "due"), "in_grid_rate": ("resolved_grid", "closed")}


def _arrow(change) -> dict:
    if change is None:
        return {"text": "—", "css": "flat", "title": _("上期无排名")}
    if change > 0:
        return {"text": f"▲{change}", "css": "up", "title": _("较上期上升%(n)d位") % {"n": change}}
    if change < 0:
        return {"text": f"▼{-change}", "css": "down", "title": _("较上期下降%(n)d位") % {"n": -change}}
    return {"text": "＝", "css": "flat", "title": _("名次不变")}


def _delta(value) -> str:
    return "—" if value is None else f"{value:+.2f}"


def _stars(n) -> str:
    return "" if n is None else "★" * n + "☆" * (5 - n)


def _cell(comp: dict, links: tuple[str | None, str | None] = (None, None)) -> dict:
    return {"pct": percent(comp["value"]), "num": f"{comp['numerator']:g}", "den": f"{comp['denominator']:g}",
            "num_link": links[0], "den_link": links[1], "none": comp["value"] is None}


def _scope_choices(root: Region) -> list[tuple[str, str]]:
    """The regions a viewer may pick: their root and two levels below it (down to communities)."""
    rows = (Region.objects.filter(code__startswith=root.code, level__gte=root.level,
                                  level__lte=min(root.level + 2, Region.Level.COMMUNITY))
            .order_by("code").values_list("code", "name", "level")[:500])
    return [(code, "\u3000" * (level - root.level) + name) for code, name, level in rows]


def _region_rows(data: dict, drill: bool) -> list[dict]:
    out = []
    for r in data["rows"]:
        comps = r["components"]
        cells = {k: _cell(c, tuple(r["links"].get(x) for x in RATE_LINKS.get(k, ("", "")))) for k, c in comps.items()}
        bl = comps["backlog_free_rate"]
        cells["backlog"] = {"num": f"{bl['numerator']:g}", "den": f"{bl['denominator']:g}",
                            "link": f"{reverse('petitions:backlog')}?{urlencode({'region': r['code']})}"
                            if len(r["code"]) < 15 else None}
        drill_link = (f"{reverse('evaluation:regions')}?{urlencode({'code': r['code'], 'period': data['period']['kind'], 'value': data['period']['value']})}"  # noqa: E501
                      if drill and r["level"] < 6 else None)
        out.append({**r, "cells": cells, "stars_text": _stars(r["stars"]), "arrow": _arrow(r["rank_change"]),
                    "delta": _delta(r["index_change"]), "index_text": "—" if r["index"] is None else f"{r['index']:.2f}",
                    "drill": drill_link})
    return out


def _dept_rows(data: dict) -> list[dict]:
    return [{**r, "cells": {k: _cell(c) for k, c in r["components"].items()}, "arrow": _arrow(r["rank_change"]),
             "delta": _delta(r["score_change"]), "score_text": "—" if r["score"] is None else f"{r['score']:.2f}"}
            for r in data["rows"]]


def _worker_rows(data: dict) -> list[dict]:
    return [{**r, "control": _cell(r["components"]["control_rate"]),
             "arrow": _arrow(r["township_rank_change"]), "county_arrow": _arrow(r["county_rank_change"]),
             "delta": _delta(r["score_change"]), "score_text": "—" if r["score"] is None else f"{r['score']:.2f}"}
            for r in data["rows"]]


def _params(request, tab: str) -> SimpleNamespace:
    get = {k: (request.GET.get(k) or "").strip()[:20] for k in ("code", "period", "value", "kind")}
    return SimpleNamespace(code=get["code"], period=get["period"] or DEFAULT_PERIOD.get(tab, "month"),
                           value=get["value"], kind=get["kind"] or "event")


def _page(request, tab: str):
    root = queries.root_of(request.user)
    if root is None:
        return not_found(request)
    params = _params(request, tab)
    ctx = {"tab": tab, "tabs": TABS, "params": params, "periods": PERIODS, "dept_kinds": DEPT_KINDS,
           "scope_choices": _scope_choices(root), "errors": {}, "data": None, "rows": []}
    status = 200
    try:
        if tab in ("regions", "grids"):
            data = region_ranking(request.user, params, grids=tab == "grids")
            ctx["rows"] = _region_rows(data, drill=tab == "regions")
        elif tab == "workers":
            data = worker_ranking(request.user, params)
            ctx["rows"] = _worker_rows(data)
            ctx["show_county"] = any(r["county_rank"] is not None for r in data["rows"])
        else:
            data = department_ranking(request.user, params)
            ctx["rows"] = _dept_rows(data)
        ctx["data"] = data
        n = queries.node(request.user, data["node"]["code"])
        if n.code not in {c for c, _name in ctx["scope_choices"]}:
            ctx["scope_choices"].append((n.code, n.name))
        ctx["path"] = queries.path_of(request.user, n)
        ctx["weights"] = [(data["labels"][k], f"{w:g}") for k, w in data["weights"].items() if k in data["labels"]]
        ctx["prev_query"] = urlencode({"code": n.code, "period": data["period"]["kind"],
                                       "value": data["previous"]["value"], "kind": params.kind})
    except NotFound:
        return not_found(request, _("区划不存在或不在您的管辖范围内"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        ctx["errors"] = exc.fields
        status = web_status(exc)
    return render(request, f"evaluation/{tab}.html", ctx, status=status)


@require_GET
@roles_required(*STAFF)
def index(request):
    query = request.GET.urlencode()
    return redirect(reverse("evaluation:regions") + (f"?{query}" if query else ""))


@require_GET
@roles_required(*STAFF)
def regions(request):
    return _page(request, "regions")


@require_GET
@roles_required(*STAFF)
def grids(request):
    return _page(request, "grids")


@require_GET
@roles_required(*STAFF)
def workers(request):
    return _page(request, "workers")


@require_GET
@roles_required(*STAFF)
def departments(request):
    return _page(request, "departments")

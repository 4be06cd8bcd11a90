"""The command center (指挥中心): one region and period at a glance — KPIs, the children on a map, the heat of
reported cases, the charts and the live feed — at a desk (``/command/``) or on a big screen
(``/command/big/`` or ``?screen=big``: 1920×1080, dark, no page chrome).

The page renders the selected region's KPIs itself (links and all, so it reads without JavaScript); the
map, the charts and the feed come from ``/api/v1/stats/…`` (``static/command/js/command.js``), which also
drills down and back with the URL (``?code=&period=&value=&measure=``) kept in step.

Who may look: whoever has a statistics root (:func:`gridgov.stats.queries.root_of`: administrators,
operators and leaders with a region); anybody else, and a region outside the root, gets the 404 page.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.stats import api_summary, queries
from gridgov.web.views import not_found

KIND = "event"
PERIOD_KINDS = [("day", gettext_lazy("日")), ("week", gettext_lazy("周")), ("month", gettext_lazy("月")),
                ("year", gettext_lazy("年"))]
# the KPI tiles: (count measure, where it comes from)
COUNT_TILES = [
    ("reported", "counts", gettext_lazy("受理")),
    ("valid", "counts", gettext_lazy("立案")),
    ("closed", "counts", gettext_lazy("结案")),
    ("due", "counts", gettext_lazy("应结案")),
    ("open", "open_now", gettext_lazy("在办")),
    ("overdue", "open_now", gettext_lazy("超期")),
    ("near_due", "open_now", gettext_lazy("即将超期")),
]
# what command.js writes on the page
TEXTS = {
    "reported": gettext_lazy("受理"), "valid": gettext_lazy("立案"), "closed": gettext_lazy("结案"),
    "closed_on_time": gettext_lazy("按期结案"), "closed_late": gettext_lazy("逾期结案"), "due": gettext_lazy("应结案"),
    "open": gettext_lazy("在办"), "normal": gettext_lazy("在办正常"), "near_due": gettext_lazy("即将超期"),
    "overdue": gettext_lazy("已超期"), "on_time_close_rate": gettext_lazy("按期结案率"), "name": gettext_lazy("名称"),
    "cases": gettext_lazy("件"), "loading": gettext_lazy("加载中…"), "failed": gettext_lazy("加载失败："),
    "no_data": gettext_lazy("本期暂无数据"), "no_outline": gettext_lazy("暂无网格边界，以色块显示"),
    "heat": gettext_lazy("案件热力"), "areas": gettext_lazy("区域着色"), "updated": gettext_lazy("更新于"),
    "now": gettext_lazy("当前"), "drill": gettext_lazy("点击查看下级"), "children_of": gettext_lazy("下辖"),
    "grid": gettext_lazy("网格"), "feed_empty": gettext_lazy("暂无在办案件"), "warning": gettext_lazy("预警"), "others": gettext_lazy("其他"),
    "reported_in": gettext_lazy("本期受理"), "open_cases": gettext_lazy("在办案件"), "overdue_now": gettext_lazy("超期"),
    "value": gettext_lazy("数值"), "total": gettext_lazy("合计"), "open_list": gettext_lazy("查看案件"),
    "title": gettext_lazy("指挥中心"), "big": gettext_lazy("大屏"),
}
RATE_TILES = ("close_rate", "on_time_close_rate", "satisfaction_rate", "in_grid_rate", "rework_rate",
              "return_rate")


def _tiles(summary: dict) -> tuple[list[dict], list[dict]]:
    counts = []
    for key, source, label in COUNT_TILES:
        data = summary["counts"] if source == "counts" else summary["open_now"]
        links = summary["links"] if source == "counts" else summary["open_links"]
        counts.append({"key": key, "label": label, "value": data.get(key, 0), "link": links.get(key),
                       "now": source == "open_now"})
    by_key = {k["key"]: k for k in summary["kpis"]}
    rates = [by_key[k] for k in RATE_TILES if k in by_key]
    return counts, rates


def _query(code: str, p, measure: str, big: bool) -> str:
    from urllib.parse import urlencode

    q = {"code": code, "period": p.kind, "value": p.param}
    if measure and measure != "reported":
        q["measure"] = measure
    if big:
        q["screen"] = "big"
    return "?" + urlencode(q)


@login_required
def home(request, big: bool = False):
    user = request.user
    if queries.root_of(user) is None:
        return not_found(request, _("您没有可查看的统计范围"))
    big = big or request.GET.get("screen") == "big"
    code = (request.GET.get("code") or "").strip()
    period_kind = (request.GET.get("period") or "month").strip()
    value = (request.GET.get("value") or "").strip()
    measure = (request.GET.get("measure") or "reported").strip()
    errors: dict = {}
    status = 200
    try:
        n, p = api_summary.resolve(user, KIND, code, period_kind, value)
    except NotFound:
        return not_found(request)
    except ValidationFailed as exc:  # a bad period: say so, and show the current month
        errors, status = exc.fields, 400
        n, p = api_summary.resolve(user, KIND, code, "month", "")
    if measure not in api_summary.MEASURE_BY_KEY:
        errors["measure"], status, measure = [_("着色指标无效")], 400, "reported"
    summary = api_summary.summary_data(user, KIND, n, p)
    count_tiles, rate_tiles = _tiles(summary)
    ctx = {
        "big": big,
        "summary": summary,
        "node": summary["node"],
        "path": summary["path"],
        "period": summary["period"],
        "count_tiles": count_tiles,
        "rate_tiles": rate_tiles,
        "errors": errors,
        "measure": measure,
        "measures": api_summary.MEASURES,
        "period_kinds": PERIOD_KINDS,
        "crumbs": [{"name": x["name"], "href": _query(x["code"], p, measure, big)} for x in summary["path"]],
        "prev_href": _query(n.code, queries.period(p.kind, summary["period"]["previous"]), measure, big),
        "next_href": (_query(n.code, queries.period(p.kind, summary["period"]["next"]), measure, big)
                      if summary["period"]["next"] else ""),
        "desk_href": reverse("command:home") + _query(n.code, p, measure, False),
        "big_href": reverse("command:home") + _query(n.code, p, measure, True),
        "api": {**{name: reverse(f"api:stats_{name}") for name in ("summary", "map", "trend", "mix", "feed")},
                "warnings": reverse("api:warnings_list")},  # open warnings join the live feed (gridgov.warnings)
        "tile_url": settings.GRIDGOV.get("TILE_URL", ""),
        "tile_attribution": settings.GRIDGOV.get("TILE_ATTRIBUTION", ""),
        "map_center": settings.GRIDGOV.get("MAP_CENTER", ""),
        "worklist_url": reverse("events:list"),
        "texts": {**TEXTS, "count_tiles": [[k, src, label] for k, src, label in COUNT_TILES],
                  "rate_tiles": RATE_TILES},
    }
    return render(request, "command/big.html" if big else "command/desk.html", ctx, status=status)


def big(request):
    return home(request, big=True)

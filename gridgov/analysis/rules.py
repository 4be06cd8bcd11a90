"""The hotspots and the places that need a special rectification (重点整治), from an analysis's numbers.

Hotspots: the child places and the event categories whose events rose most against the previous period
(largest increase first, at most ``HOTSPOT_TOP`` each, a rise only), and the open hotspot warnings the
warning provider lists (rule ``hotspot``).

重点整治 — a child place (a county of a city, a township of a county, a community of a township) is listed
when either

1. its events rose by at least ``RISE_PCT`` % against the previous period (or from none) **and** by at least
   ``RISE_MIN`` events, **and** it has open events past their deadline now; or
2. the warning provider reports orange or red warnings for it in the period (``by_level`` of the place's
   answer for the period).

Both thresholds are settings: ``GRIDGOV["ANALYSIS"] = {"RISE_PCT": 30, "RISE_MIN": 10}``.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from gridgov.core import providers
from gridgov.stats.queries import Node, Period

HOTSPOT_TOP = 5
DEFAULTS = {"RISE_PCT": 30, "RISE_MIN": 10}
SEVERE = ("orange", "red")


def thresholds() -> dict:
    return {**DEFAULTS, **(getattr(settings, "GRIDGOV", {}).get("ANALYSIS") or {})}


def describe() -> dict:
    t = thresholds()
    return {**t, "text": _("下级区域事件数较上期上升%(pct)s%%以上（或由零上升）且增加%(min)s件以上、并有超期在办事件的，"
                           "或本期有橙色、红色预警的，列为重点整治对象。") % {"pct": t["RISE_PCT"], "min": t["RISE_MIN"]}}


def _rising(rows: list[dict]) -> list[dict]:
    up = [r for r in rows if r["prev"]["diff"] > 0]
    up.sort(key=lambda r: (-r["prev"]["diff"], -r["now"], r.get("code") or r.get("key") or ""))
    return up[:HOTSPOT_TOP]


def hotspots(events: dict, warnings: dict | None) -> dict:
    top = (warnings or {}).get("top") or []
    return {"places": _rising(events["by_place"]), "categories": _rising(events["by_category"]),
            "warnings": [w for w in top if w.get("rule") == "hotspot"]}


def _severe_warnings(code: str, p: Period) -> int:
    from gridgov.analysis.analysis import WARNING_SLOT

    n = 0
    for answer in providers.collect(WARNING_SLOT, code, p.start, p.end):
        levels = answer.get("by_level") or {}
        n += sum(int(levels.get(lv) or 0) for lv in SEVERE)
    return n


def rectification(n: Node, p: Period, events: dict) -> list[dict]:
    """The child places of ``n`` that need a 重点整治, with the reasons (the rule above)."""
    t = thresholds()
    out = []
    for row in events["by_place"]:
        reasons = []
        ch = row["prev"]
        rose = ch["diff"] >= t["RISE_MIN"] and (ch["pct"] is None or ch["pct"] >= t["RISE_PCT"])
        if rose and row["overdue_now"] > 0:
            reasons.append(_("事件%(now)d件，较上期增加%(diff)d件（%(pct)s），超期在办%(overdue)d件") % {
                "now": row["now"], "diff": ch["diff"], "pct": pct(ch["pct"]), "overdue": row["overdue_now"]})
        severe = _severe_warnings(row["code"], p)
        if severe:
            reasons.append(_("橙色、红色预警%(n)d条") % {"n": severe})
        if reasons:
            out.append({"code": row["code"], "name": row["name"], "reasons": reasons})
    return out


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f}%"

"""The draft text of the three reports, written from an analysis (:func:`gridgov.analysis.analysis.analyse`).

Each report is a list of sections ``{"key", "title", "text"}``; the numbers in the text are the analysis's.
An editor changes the text before sending; the tables of numbers in the DOCX come from the analysis itself.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.analysis.analysis import pct_text

LEVEL_LABELS = {"blue": gettext_lazy("蓝色"), "yellow": gettext_lazy("黄色"), "orange": gettext_lazy("橙色"),
                "red": gettext_lazy("红色")}


def _count_trend(r: dict) -> str:
    """道路保洁3件（较上期…，同比…）"""
    return _("%(name)s%(n)d件（%(ch)s）") % {"name": r["name"], "n": r["now"], "ch": _ch(r)}


def _rise(r: dict) -> str:
    """古楼街道（增加2件，+200.0%）"""
    return _("%(name)s（增加%(n)d件，%(pct)s）") % {"name": r["name"], "n": r["prev"]["diff"],
                                                "pct": pct_text(r["prev"]["pct"])}


def _ch(t: dict) -> str:
    """较上期 …，同比 …"""
    return _("较上期%(prev)s（%(pp)s），同比%(yoy)s（%(yp)s）") % {
        "prev": _signed(t["prev"]["diff"]), "pp": pct_text(t["prev"]["pct"]),
        "yoy": _signed(t["yoy"]["diff"]), "yp": pct_text(t["yoy"]["pct"])}


def _signed(diff: int) -> str:
    if diff > 0:
        return _("增加%(n)d件") % {"n": diff}
    if diff < 0:
        return _("减少%(n)d件") % {"n": -diff}
    return _("持平")


def _names(rows: list[dict], limit: int = 3, field: str = "now") -> str:
    return "、".join(_("%(name)s（%(n)d件）") % {"name": r["name"], "n": r[field]} for r in rows[:limit]) or _("无")


def overview(a: dict) -> str:
    e, d, p = a["events"], a["disputes"], a["petitions"]
    return _("%(period)s，%(name)s共受理事件%(ev)d件，%(evch)s；结案%(closed)d件，结案率%(cr)s，按期结案率%(otr)s。"
             "登记矛盾纠纷%(dis)d件，%(dch)s，调解成功%(succ)d件，化解率%(rate)s。受理信访%(pet)d件，%(pch)s，"
             "其中重复信访%(rep)d件；当前信访积案%(backlog)d件。") % {
        "period": a["period"]["label"], "name": a["region"]["name"], "ev": e["reported"]["now"],
        "evch": _ch(e["reported"]), "closed": e["counts"]["closed"], "cr": e["close_rate"],
        "otr": e["on_time_close_rate"], "dis": d["reported"]["now"], "dch": _ch(d["reported"]),
        "succ": d["succeeded"], "rate": d["resolution_rate"], "pet": p["received"]["now"],
        "pch": _ch(p["received"]), "rep": p["repeats"], "backlog": p["backlog_now"]}


def events_text(a: dict) -> str:
    e = a["events"]
    top = e["by_category"][:5]
    cats = "；".join(_count_trend(r) for r in top) or _("本期无事件")
    text = _("从事件类别看，数量居前的是：%(cats)s。") % {"cats": cats}
    if e["by_place"]:
        places = sorted(e["by_place"], key=lambda r: -r["now"])
        text += _("从区域看，事件较多的是%(places)s。") % {"places": _names(places)}
    text += _("截至报告生成时，在办事件%(open)d件，其中超期%(overdue)d件。") % {
        "open": e["open_now"].get("open", 0), "overdue": e["open_now"].get("overdue", 0)}
    return text


def disputes_text(a: dict) -> str:
    d = a["disputes"]
    types = "；".join(_count_trend(r) for r in d["by_type"][:5]) or _("无")
    grades = "、".join(_("%(name)s%(n)d件") % {"name": r["name"], "n": r["count"]} for r in d["by_grade"])
    outcomes = "、".join(_("%(name)s%(n)d件") % {"name": r["name"], "n": r["count"]} for r in d["by_outcome"])
    return _("本期登记矛盾纠纷%(n)d件，%(ch)s。按类型：%(types)s。按风险等级：%(grades)s。按化解结果：%(outcomes)s；"
             "矛盾纠纷化解率%(rate)s，就地化解率%(local)s。截至报告生成时，在办纠纷%(open)d件，其中超期%(overdue)d件。") % {
        "n": d["reported"]["now"], "ch": _ch(d["reported"]), "types": types, "grades": grades,
        "outcomes": outcomes, "rate": d["resolution_rate"], "local": d["local_rate"],
        "open": d["open_now"].get("open", 0), "overdue": d["open_now"].get("overdue", 0)}


def petitions_text(a: dict) -> str:
    p = a["petitions"]
    return _("本期受理信访%(n)d件，%(ch)s；其中重复信访%(rep)d件，联名/集体访%(col)d件；办结%(closed)d件，"
             "七日内回复率%(rate)s。当前信访积案%(backlog)d件，在办%(open)d件（超期%(overdue)d件）。") % {
        "n": p["received"]["now"], "ch": _ch(p["received"]), "rep": p["repeats"], "col": p["collective"],
        "closed": p["closed"], "rate": p["reply_rate"], "backlog": p["backlog_now"],
        "open": p["open_now"].get("open", 0), "overdue": p["open_now"].get("overdue", 0)}


def warnings_text(a: dict) -> str:
    w = a["warnings"]
    if w is None:
        return _("预警：无（预警模块未提供数据）。")
    levels = "、".join(_("%(level)s%(n)d条") % {"level": label, "n": w["by_level"].get(lv, 0)}
                      for lv, label in LEVEL_LABELS.items())
    text = _("本期新发预警%(opened)d条（%(levels)s），当前未解除预警%(open)d条。") % {
        "opened": w["opened"], "levels": levels, "open": w["open_now"]}
    if w["top"]:
        text += _("需重点关注：%(items)s。") % {"items": "；".join(
            _("%(title)s（%(level)s，%(status)s）") % {"title": x.get("title", ""), "status": x.get("status_label", ""),
                                                   "level": LEVEL_LABELS.get(x.get("level"), x.get("level", ""))}
            for x in w["top"][:5])}
    return text


def keypersons_text(a: dict) -> str:
    k = a["keypersons"]
    return _("截至%(on)s，列管重点人员%(total)d人，动态掌控%(hand)d人，掌控率%(rate)s，逾期未走访%(gap)d人；"
             "本期走访%(visits)d次，其中按期走访%(ontime)d次，按期率%(otr)s。") % {
        "on": k["on"], "total": k["under_management"], "hand": k["in_hand"], "rate": k["control_rate"],
        "gap": k["not_in_hand"], "visits": k["visits"], "ontime": k["visits_on_time"], "otr": k["on_time_rate"]}


def hotspots_text(a: dict) -> str:
    h = a["hotspots"]
    places = "、".join(_rise(r) for r in h["places"])
    cats = "、".join(_rise(r) for r in h["categories"])
    text = _("事件上升较快的区域：%(places)s。上升较快的类别：%(cats)s。") % {
        "places": places or _("无"), "cats": cats or _("无")}
    if h["warnings"]:
        text += _("热点预警：%(items)s。") % {"items": "；".join(x.get("title", "") for x in h["warnings"])}
    return text


def rectification_text(a: dict) -> str:
    rows = a["rectification"]
    if not rows:
        return _("本期无需列为重点整治的区域。") + a["rules"]["text"]
    items = "；".join(_("%(name)s：%(why)s") % {"name": r["name"], "why": "，".join(r["reasons"])} for r in rows)
    return _("建议将以下区域列为重点整治对象：%(items)s。") % {"items": items} + a["rules"]["text"]


def suggestions(a: dict, focus: str) -> str:
    parts = []
    if a["events"]["open_now"].get("overdue"):
        parts.append(_("督办超期在办事件，压实属地和部门责任"))
    if a["disputes"]["open_now"].get("overdue") or focus == "disputes":
        parts.append(_("加强矛盾纠纷排查化解，对重大、较大风险纠纷落实包案化解，防止民转刑"))
    if a["petitions"]["backlog_now"]:
        parts.append(_("推进信访积案化解，落实领导包案"))
    if a["keypersons"]["not_in_hand"]:
        parts.append(_("落实重点人员走访，补齐逾期未走访人员"))
    if a["rectification"]:
        parts.append(_("对重点整治区域开展专项整治，限期见效"))
    if not parts:
        parts.append(_("保持现有工作力度，持续做好风险排查和源头治理"))
    return "；".join(f"{i}. {p}" for i, p in enumerate(parts, start=1)) + "。"


def sections_for(kind: str, a: dict) -> list[dict]:
    """The generated sections of a report of ``kind`` (situation, disputes, special)."""
    if kind == "situation":
        rows = [("overview", _("一、总体情况"), overview(a)), ("events", _("二、社情分析"), events_text(a)),
                ("disputes", _("三、矛盾纠纷"), disputes_text(a)), ("petitions", _("四、信访形势"), petitions_text(a)),
                ("warnings", _("五、预警情况"), warnings_text(a)), ("keypersons", _("六、重点人员服务管理"),
                                                                   keypersons_text(a)),
                ("hotspots", _("七、热点与重点整治"), hotspots_text(a) + rectification_text(a)),
                ("suggestions", _("八、工作建议"), suggestions(a, kind))]
    elif kind == "disputes":
        rows = [("overview", _("一、总体情况"), disputes_text(a)),
                ("petitions", _("二、信访关联情况"), petitions_text(a)),
                ("hotspots", _("三、热点区域"), hotspots_text(a)),
                ("warnings", _("四、预警情况"), warnings_text(a)),
                ("suggestions", _("五、工作建议"), suggestions(a, kind))]
    else:
        rows = [("subject", _("一、专题概述"), _("本专题聚焦%(period)s%(name)s事件上升较快的区域和类别、预警情况及需重点整治的区域。") % {
                    "period": a["period"]["label"], "name": a["region"]["name"]}),
                ("hotspots", _("二、热点分析"), hotspots_text(a)), ("warnings", _("三、预警情况"), warnings_text(a)),
                ("rectification", _("四、重点整治"), rectification_text(a)),
                ("suggestions", _("五、工作建议"), suggestions(a, kind))]
    return [{"key": k, "title": str(t), "text": str(x)} for k, t, x in rows]

"""A report as a DOCX (python-docx): title, recipients, the (edited) text sections, the tables of numbers."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from gridgov.analysis.analysis import pct_text


def _font(doc) -> None:
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(12)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")


def _table(doc, headers: list[str], rows: list[list]) -> None:
    t = doc.add_table(rows=1, cols=len(headers))
    t.style = "Table Grid"
    for cell, h in zip(t.rows[0].cells, headers, strict=True):
        cell.text = str(h)
    for row in rows:
        cells = t.add_row().cells
        for cell, v in zip(cells, row, strict=True):
            cell.text = str(v)


def _trend_row(name: str, t: dict) -> list:
    return [name, t["now"], t["prev"]["base"], pct_text(t["prev"]["pct"]), t["yoy"]["base"], pct_text(t["yoy"]["pct"])]


def trend_headers() -> list[str]:
    return [_("项目"), _("本期"), _("上期"), _("环比"), _("去年同期"), _("同比")]


def tables_for(kind: str, a: dict) -> list[tuple[str, list[str], list[list]]]:
    """The tables of numbers a report of ``kind`` carries: (caption, headers, rows)."""
    e, d, p = a["events"], a["disputes"], a["petitions"]
    heads = trend_headers()
    main = (_("主要数据"), heads, [
        _trend_row(_("事件受理数"), e["reported"]), _trend_row(_("事件结案数"), e["closed"]),
        _trend_row(_("矛盾纠纷登记数"), d["reported"]), _trend_row(_("信访受理数"), p["received"])])
    cats = (_("事件类别"), heads, [_trend_row(r["name"], r) for r in e["by_category"]])
    places = (_("下级区域事件"), [*heads, _("超期在办")],
              [[*_trend_row(r["name"], r), r["overdue_now"]] for r in e["by_place"]])
    types = (_("矛盾纠纷类型"), heads, [_trend_row(r["name"], r) for r in d["by_type"]])
    grades = (_("风险等级与化解结果"), [_("项目"), _("件数")],
              [[_("风险等级：%(n)s") % {"n": r["name"]}, r["count"]] for r in d["by_grade"]]
              + [[_("化解结果：%(n)s") % {"n": r["name"]}, r["count"]] for r in d["by_outcome"]])
    rect = (_("重点整治区域"), [_("区域"), _("原因")],
            [[r["name"], "；".join(r["reasons"])] for r in a["rectification"]])
    if kind == "situation":
        return [main, cats, places, types, grades, rect]
    if kind == "disputes":
        return [main, types, grades]
    return [main, places, cats, rect]


def render(report, a: dict) -> bytes:
    """The DOCX of ``report`` (its title, recipients and sections) with the numbers of ``a``."""
    doc = Document()
    _font(doc)
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run(report.title)
    run.bold = True
    run.font.size = Pt(18)
    doc.add_paragraph(_("统计周期：%(label)s（%(start)s至%(end)s）") % {
        "label": a["period"]["label"], "start": a["period"]["start"], "end": a["period"]["end"]})
    if report.recipients:
        doc.add_paragraph(_("报送：%(to)s") % {"to": report.recipients})
    for s in report.sections:
        doc.add_heading(s["title"], level=2)
        for para in (s["text"] or "").splitlines() or [""]:
            if para.strip():
                doc.add_paragraph(para)
    doc.add_heading(_("附表"), level=2)
    for caption, headers, rows in tables_for(report.kind, a):
        doc.add_paragraph(caption)
        if rows:
            _table(doc, headers, rows)
        else:
            doc.add_paragraph(_("无"))
    stamp = report.sent_at or report.updated_at or timezone.now()
    doc.add_paragraph(_("%(name)s综治中心　%(at)s") % {
        "name": a["region"]["name"], "at": timezone.localtime(stamp).strftime("%Y年%m月%d日")})
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()

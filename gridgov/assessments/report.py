"""The 社会稳定风险评估报告 as a DOCX document (python-docx), built in code from the assessment.

Headings for the report's parts (事项概况, 评估方案, 风险调查, 风险识别, 评估论证, 风险等级和评估建议, 决策情况),
the surveys and the risk register as tables, the findings, the level and the recommendation. Stored text goes
through :func:`gridgov.core.text.xml_safe` (a control character must not make the document fail).
"""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from gridgov.assessments.models import Aspect, Assessment
from gridgov.core.text import xml_safe


def _font(doc) -> None:
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")


def _date(value) -> str:
    return value.strftime(_("%Y年%m月%d日")) if value else "—"


def _table(doc, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = xml_safe(str(text))


def _para(doc, label: str, value) -> None:
    p = doc.add_paragraph()
    p.add_run(f"{label}：").bold = True
    p.add_run(xml_safe(str(value or "—")))


def build_docx(a: Assessment) -> bytes:
    doc = Document()
    _font(doc)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(_("社会稳定风险评估报告"))
    run.bold = True
    run.font.size = Pt(20)
    sub = doc.add_paragraph(xml_safe(a.title))
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    no = doc.add_paragraph(_("编号：%(number)s") % {"number": a.number})
    no.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    doc.add_heading(_("一、评估事项概况"), level=2)
    _para(doc, _("事项类型"), a.get_kind_display())
    _para(doc, _("决策主体"), a.responsible_body)
    body = a.assessing_body + (_("（第三方评估机构）") if a.third_party else "")
    _para(doc, _("评估主体"), body)
    _para(doc, _("影响区域"), "、".join(r.name for r in a.affected_regions.order_by("code")))
    _para(doc, _("组织评估"), a.center.center_name)
    doc.add_paragraph(xml_safe(a.summary))

    doc.add_heading(_("二、评估方案"), level=2)
    doc.add_paragraph(xml_safe(a.plan or "—"))

    doc.add_heading(_("三、风险调查"), level=2)
    surveys = list(a.surveys.all())
    _table(doc, [_("方式"), _("日期"), _("参与人数"), _("支持"), _("反对"), _("其他"), _("主要意见")],
           [[s.get_method_display(), s.held_on.isoformat(), s.participants, s.supporting, s.opposing, s.other,
             s.summary] for s in surveys])
    if surveys:
        total = sum(s.participants for s in surveys)
        against = sum(s.opposing for s in surveys)
        doc.add_paragraph(_("共开展调查%(n)d次，参与%(people)d人次，反对意见%(against)d条。") % {
            "n": len(surveys), "people": total, "against": against})

    doc.add_heading(_("四、风险识别（风险清单）"), level=2)
    _table(doc, [_("序号"), _("风险点"), _("风险来源"), _("可能性"), _("影响程度"), _("等级"), _("防范化解措施"),
                 _("责任单位")],
           [[i, r.item, r.source, r.likelihood, r.impact, r.get_grade_display(), r.mitigation, r.owner]
            for i, r in enumerate(a.risks.all(), start=1)])
    doc.add_paragraph(_("风险点等级依据风险矩阵（可能性 × 影响程度，各1–5级）确定。"))

    doc.add_heading(_("五、评估论证"), level=2)
    findings = {f.aspect: f for f in a.findings.all()}
    for code, label in Aspect.choices:
        f = findings.get(code)
        verdict = "—" if f is None else (_("通过") if f.passed else _("存在问题"))
        doc.add_heading(f"{label}（{verdict}）", level=3)
        doc.add_paragraph(xml_safe(f.text) if f else "—")

    doc.add_heading(_("六、风险等级和评估建议"), level=2)
    _para(doc, _("风险等级"), a.get_risk_level_display() if a.risk_level else "—")
    _para(doc, _("评估建议"), a.get_recommendation_display() if a.recommendation else "—")
    if a.level_reason:
        doc.add_paragraph(xml_safe(a.level_reason))

    doc.add_heading(_("七、决策情况"), level=2)
    if a.decision:
        _para(doc, _("决策结果"), a.get_decision_display())
        _para(doc, _("决策日期"), _date(a.decided_on))
        if a.decision_note:
            doc.add_paragraph(xml_safe(a.decision_note))
    else:
        doc.add_paragraph(_("决策主体尚未作出决策。"))

    doc.add_paragraph("")
    end = doc.add_paragraph(_("评估主体：%(body)s    报告日期：%(date)s") % {
        "body": xml_safe(a.assessing_body), "date": _date(timezone.localdate(a.report_generated_at or timezone.now()))})
    end.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()

"""The 评估报告 DOCX: a real document with the surveys, the register, the findings, the level and the decision."""

import io

from docx import Document

from gridgov.assessments.report import build_docx


def _text(body: bytes) -> tuple[str, list]:
    doc = Document(io.BytesIO(body))
    paragraphs = "\n".join(p.text for p in doc.paragraphs)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return paragraphs, tables, doc


def test_the_report_holds_the_surveys_and_the_register_as_tables(act, walk, create):
    a = walk(create(), "generate_report")
    with a.report.open("rb") as fh:
        paragraphs, tables, doc = _text(fh.read())
    assert "社会稳定风险评估报告" in paragraphs and a.number in paragraphs and a.title in paragraphs
    surveys, register = tables
    assert surveys[0][:3] == ["方式", "日期", "参与人数"]
    assert surveys[1][:6] == ["听证", "2026-11-20", "60", "41", "12", "7"]
    assert register[0][1] == "风险点"
    assert register[1][1:6] == ["补偿标准争议引发群体性上访", "被征收户", "4", "4", "高"]
    assert register[2][1] == "施工扰民" and register[2][5] == "中"
    assert "区住建局" in register[1]


def test_the_report_carries_findings_level_recommendation_and_decision(act, walk, create):
    a = walk(create(), "generate_report")
    with a.report.open("rb") as fh:
        paragraphs, _tables, doc = _text(fh.read())
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "三、风险调查" in headings and "四、风险识别（风险清单）" in headings
    assert "可控性（存在问题）" in headings and "合法性（通过）" in headings
    assert "风险等级：中" in paragraphs and "评估建议：实施" in paragraphs
    assert "决策结果：决定实施" in paragraphs and "区政府常务会议研究同意" in paragraphs
    assert "第三方评估机构" in paragraphs and "古楼街道" in paragraphs


def test_control_characters_in_stored_text_do_not_break_the_document(act, walk, create):
    a = walk(create(summary="概述\x07含控制字符"), "finish_argue")
    body = build_docx(a)
    paragraphs, _t, _d = _text(body)
    assert "含控制字符" in paragraphs

"""Report rendering (gridgov/stats/render.py): the workbook's cells and formats, the PDF's embedded CJK font and
extractable Chinese text, empty sections, missing percentages, and the font lookup's errors."""

import io
from datetime import datetime

import pytest
from django.conf import settings
from django.test import override_settings
from openpyxl import load_workbook
from pypdf import PdfReader

from gridgov.stats import render
from gridgov.stats.render import Column, ReportDoc, ReportFontError, Section, render_pdf, render_xlsx

TITLE = "2025年第三季度网格化服务管理工作通报"
COLUMNS = [Column("name", "街道（乡镇）"), Column("events", "事件数", "int"), Column("closed", "办结率", "pct"),
           Column("hours", "平均处置时长（小时）", "num")]


def make_doc(rows=None, sections=None) -> ReportDoc:
    if rows is None:
        rows = [{"name": "城关街道", "events": 1234, "closed": 0.9372, "hours": 12.5},
                {"name": "南湖镇", "events": 56, "closed": None, "hours": None}]
    if sections is None:
        sections = [Section("一、总体情况", COLUMNS, rows, text="本期共受理事件 1,290 件。")]
    return ReportDoc(title=TITLE, subtitle="指挥中心", region_name="东平县", period_label="2025年第三季度",
                     generated_at=datetime(2025, 10, 8, 9, 30), sections=sections)


def header_row(ws) -> int:
    return next(row[0].row for row in ws.iter_rows() if row[0].value == "街道（乡镇）")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- Excel ---


def test_xlsx_has_title_block_chinese_headers_and_numbers_with_formats():
    wb = load_workbook(io.BytesIO(render_xlsx(make_doc())))
    assert wb.sheetnames == ["一、总体情况"]
    ws = wb["一、总体情况"]
    assert ws["A1"].value == TITLE
    assert "东平县" in ws["A3"].value and "2025年第三季度" in ws["A3"].value and "2025-10-08 09:30" in ws["A3"].value
    head = header_row(ws)
    assert [c.value for c in ws[head]] == ["街道（乡镇）", "事件数", "办结率", "平均处置时长（小时）"]
    assert ws.freeze_panes == f"A{head + 1}"
    name, events, closed, hours = ws[head + 1]
    assert name.value == "城关街道"
    assert (events.value, events.number_format) == (1234, "#,##0") and isinstance(events.value, int)
    assert (closed.value, closed.number_format) == (0.9372, "0.00%")
    assert (hours.value, hours.number_format) == (12.5, "#,##0.00")
    assert ws.column_dimensions["D"].width > ws.column_dimensions["B"].width  # the long label widens its column


def test_xlsx_shows_a_dash_for_missing_percentages_and_numbers():
    ws = load_workbook(io.BytesIO(render_xlsx(make_doc()))).active
    row = ws[header_row(ws) + 2]
    assert row[0].value == "南湖镇"
    assert row[2].value == "—" and row[3].value == "—"


def test_xlsx_keeps_text_that_looks_like_a_formula_as_text():
    doc = make_doc(rows=[{"name": "=HYPERLINK(\"http://x\",\"点我\")", "events": 1, "closed": 0.5, "hours": 1}])
    ws = load_workbook(io.BytesIO(render_xlsx(doc))).active
    cell = ws[header_row(ws) + 1][0]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_xlsx_empty_section_and_sheet_names_are_valid_and_unique():
    long = "二、" + "很长的标题" * 10
    doc = make_doc(sections=[Section("三/四", COLUMNS, []), Section("三/四", COLUMNS, []), Section(long, COLUMNS)])
    wb = load_workbook(io.BytesIO(render_xlsx(doc)))
    assert wb.sheetnames[:2] == ["三_四", "三_四(2)"]
    assert len(wb.sheetnames[2]) == 31
    ws = wb["三_四"]
    head = header_row(ws)
    assert [c.value for c in ws[head]][:2] == ["街道（乡镇）", "事件数"]
    assert ws.max_row == head  # no data rows


def test_xlsx_without_sections_still_has_the_title_sheet():
    ws = load_workbook(io.BytesIO(render_xlsx(make_doc(sections=[])))).active
    assert ws["A1"].value == TITLE


def test_unknown_column_kind_is_rejected():
    with pytest.raises(ValueError, match="kind"):
        Column("x", "某列", "percent")


# --- PDF ---


def test_pdf_embeds_a_subset_truetype_cjk_font_with_unicode_map_in_every_font_used():
    data = render_pdf(make_doc())
    assert data.startswith(b"%PDF")
    fonts = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    assert fonts
    for base_font, font in fonts.items():
        # no standard or CID font (STSong-Light would have no /FontFile2): every glyph comes from the file
        assert "/FontFile2" in font["/FontDescriptor"], base_font
        assert "/ToUnicode" in font, base_font
        assert base_font[7] == "+" and "WenQuanYiMicroHei" in base_font  # a subset: "/AAAAAA+…"


def test_pdf_chinese_text_is_extractable_with_formatted_numbers_and_page_number():
    text = pdf_text(render_pdf(make_doc()))
    for expected in [TITLE, "指挥中心", "区域：东平县", "统计周期：2025年第三季度", "生成时间：2025-10-08 09:30",
                     "一、总体情况", "本期共受理事件", "城关街道", "1,234", "93.72%", "12.50", "第 1 页"]:
        assert expected in text, expected


def test_pdf_shows_a_dash_for_a_missing_percentage():
    text = pdf_text(render_pdf(make_doc(rows=[{"name": "南湖镇", "events": 3, "closed": None, "hours": 2}])))
    assert "—" in text and "%" not in text


def test_pdf_renders_an_empty_section_with_its_header_and_no_data_note():
    doc = make_doc(sections=[Section("二、矛盾纠纷化解", COLUMNS, []), Section("三、说明", [], text="仅文字。")])
    text = pdf_text(render_pdf(doc))
    assert "二、矛盾纠纷化解" in text and "事件数" in text and "无数据" in text and "仅文字。" in text


def test_pdf_repeats_the_header_row_on_every_page_and_numbers_pages():
    rows = [{"name": f"第{i}网格", "events": i, "closed": i / 200, "hours": i} for i in range(120)]
    reader = PdfReader(io.BytesIO(render_pdf(make_doc(rows=rows))))
    assert len(reader.pages) >= 3
    for n, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert "平均处置时长" in text and f"第 {n} 页" in text


# --- the font ---


def test_font_override_setting_is_used(tmp_path):
    copy = tmp_path / "my-font.ttc"
    copy.write_bytes(render.report_font_path().read_bytes())
    with override_settings(GRIDGOV={**settings.GRIDGOV, "REPORT_FONT": str(copy)}):
        assert render.report_font_path() == copy
        assert render_pdf(make_doc()).startswith(b"%PDF")


def test_font_override_to_a_missing_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope.ttf"
    with override_settings(GRIDGOV={**settings.GRIDGOV, "REPORT_FONT": str(missing)}):
        with pytest.raises(ReportFontError, match="nope.ttf"):
            render_pdf(make_doc())


def test_font_override_to_a_file_that_is_no_truetype_font_is_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"not a font at all" * 10)
    with override_settings(GRIDGOV={**settings.GRIDGOV, "REPORT_FONT": str(bogus)}):
        with pytest.raises(ReportFontError, match="TrueType"):
            render_pdf(make_doc())


def test_without_the_font_package_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setattr(render, "PACKAGED_FONT", ("gridgov_no_such_font_package", "fonts/x.ttc"))
    with pytest.raises(ReportFontError, match="requirements.txt"):
        render.report_font_path()

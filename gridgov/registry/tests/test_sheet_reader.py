"""The streaming sheet reader (:mod:`gridgov.registry.excel.sheet`) gives the rows openpyxl's read-only reader gives,
cell by cell and type by type: on the import templates, on a file written like the benchmark's (inline strings),
on a file Excel-style (shared strings, styles) and on hand-written sheet XML with the odd shapes a file may have."""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from datetime import date, datetime, time, timedelta

import pytest
from openpyxl import Workbook, load_workbook

from gridgov.registry.excel.importer import _openpyxl_rows, _rows
from gridgov.registry.excel.sheet import open_rows
from gridgov.registry.excel.template import template_workbook

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def openpyxl_rows(data: bytes) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()
        return list(ws.iter_rows(values_only=True))
    finally:
        wb.close()


def fast_rows(data: bytes) -> list[tuple]:
    rows = open_rows(io.BytesIO(data))
    assert rows is not None, "the fast reader fell back to openpyxl"
    return list(rows)


def assert_same(data: bytes) -> list[tuple]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = openpyxl_rows(data)
        got = fast_rows(data)
    assert len(got) == len(expected)
    for number, (a, b) in enumerate(zip(expected, got, strict=True), start=1):
        assert b == a, f"row {number}"
        assert [type(v) for v in b] == [type(v) for v in a], f"row {number}: types"
    return got


def save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["residents", "houses", "units", "key_persons"])
@pytest.mark.django_db
def test_the_templates_read_the_same(kind):
    rows = assert_same(template_workbook(kind))
    assert rows and rows[0]


def test_a_streamed_file_like_the_benchmark_reads_the_same():
    """openpyxl's write-only mode writes every string inline (``t="inlineStr"``)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("实有人口")
    ws.append(["姓名", "证件类型", "证件号码", "联系电话", "迁入日期", "社区代码(12位)", "楼栋"])
    for i in range(300):
        ws.append([f"王{i}", "居民身份证", f"37150219800101{i:03d}X", "" if i % 5 else None,
                   "2020-01-05", "371502001001", i % 7 if i % 2 else str(i % 7)])
    rows = assert_same(save(wb))
    assert len(rows) == 301


def test_a_file_with_styles_numbers_and_gaps_reads_the_same():
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "号码", "日期", "时间", "数", "布尔"])
    ws["A2"], ws["B2"], ws["C2"] = "  张三 ", "371502198001011234", datetime(2024, 1, 5)
    ws["D2"], ws["E2"], ws["F2"] = time(8, 30), 12, True
    ws["A3"], ws["B3"], ws["C3"], ws["E3"], ws["F3"] = "李四", 371502198001011234, date(1999, 12, 31), 3.5, False
    ws["C4"] = datetime(2024, 1, 5, 13, 45)
    ws["E4"] = 1.10105194912e17
    ws["D5"] = timedelta(hours=30)
    ws["D5"].number_format = "[h]:mm:ss"
    ws["E5"] = 0.25
    ws["E5"].number_format = "0%"
    ws["E6"] = 20240105
    ws["E6"].number_format = "yyyymmdd"
    ws["H9"] = "far away"  # a row gap and a wider row
    ws["B11"].number_format = "@"  # a styled empty cell: part of the row, None
    ws["A12"] = "李四"  # a repeated shared string
    assert_same(save(wb))


SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SHARED = ["共享", "李四", "  张三 "]


def _patched(sheet_xml: str, *, date1904: bool = False, shared: str | None = None) -> bytes:
    """A workbook whose first sheet is ``sheet_xml`` (inside ``<sheetData>``; style DATE is a date, DUR a duration)
    and a shared strings part (``shared``, else :data:`SHARED`) — openpyxl itself writes strings inline."""
    wb = Workbook()
    ws = wb.active
    ws["A1"] = datetime(2024, 1, 5)
    ws["B1"] = timedelta(hours=1)
    ws["B1"].number_format = "[h]:mm:ss"
    src = io.BytesIO(save(wb))
    if shared is None:
        shared = "".join(f"<si><t xml:space=\"preserve\">{t}</t></si>" for t in SHARED)
        shared = f'<sst xmlns="{NS}" count="{len(SHARED)}" uniqueCount="{len(SHARED)}">{shared}</sst>'
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        sheet = zin.read("xl/worksheets/sheet1.xml").decode()
        styles = re.findall(r'<c r="[AB]1" s="(\d+)"', sheet)
        assert len(styles) == 2
        body = sheet_xml.replace("DATE", styles[0]).replace("DUR", styles[1])
        sheet = re.sub(r"<sheetData>.*</sheetData>|<sheetData/>", f"<sheetData>{body}</sheetData>", sheet,
                       flags=re.S)
        sheet = re.sub(r"<dimension[^>]*/>", "", sheet)
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode()
            elif item.filename == "[Content_Types].xml":
                data = data.decode().replace(
                    "</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/></Types>').encode()
            elif item.filename == "xl/workbook.xml" and date1904:
                text = data.decode()
                text = (re.sub(r"<workbookPr", '<workbookPr date1904="1"', text, count=1) if "<workbookPr" in text
                        else text.replace("<bookViews>", '<workbookPr date1904="1"/><bookViews>'))
                data = text.encode()
            zout.writestr(item, data)
        zout.writestr("xl/sharedStrings.xml", shared)
    return out.getvalue()


ODD_SHEET = """
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>2</v></c><c r="C1" t="inlineStr"><is><t xml:space="preserve"> 行内 </t></is></c>
  <c r="D1" t="inlineStr"><is><r><rPr><b/></rPr><t>富</t></r><r><t>文本</t></r></is></c>
  <c r="E1" t="inlineStr"><is><t>拼</t><rPh sb="0" eb="1"><t>pin</t></rPh></is></c>
  <c r="F1" t="inlineStr"/><c r="G1" t="inlineStr"><is><t/></is></c></row>
<row r="3"><c r="A3"><v>42</v></c><c r="B3"><v>42.0</v></c><c r="C3"><v>1E+17</v></c><c r="D3"><v>-7</v></c>
  <c r="E3" s="DATE"><v>45296</v></c><c r="F3" s="DATE"><v>45296.5</v></c><c r="G3" s="DUR"><v>1.25</v></c>
  <c r="H3" s="DATE"/><c r="I3"><v></v></c></row>
<row><c t="b"><v>1</v></c><c t="b"><v>0</v></c><c t="str"><v>公式结果</v></c><c t="e"><v>#N/A</v></c>
  <c t="d"><v>2024-01-05T00:00:00</v></c><c r="H4" t="n"><f>1+1</f><v>2</v></c><c t="s"><v>0</v></c></row>
<row r="6"/>
<row r="7.0" spans="1:3" ht="20" customHeight="1"><c r="c7" t="inlineStr"><is><t>小写列</t></is></c></row>
<row r="9"><c r="B9"><v>1</v></c><c r="A9"><v>2</v></c></row>
<row r="8"><c r="A8"><v>99</v></c></row>
<row r="10"><c r="XFD10"><v>1</v></c></row>
<row r="11"><c r="A11" s="DATE"><v>9999999999</v></c></row>
"""


def test_hand_written_sheet_xml_reads_the_same():
    rows = assert_same(_patched(ODD_SHEET))
    assert rows[0][:5] == ("共享", "  张三 ", " 行内 ", "富文本", "拼")
    assert rows[1] == []  # a missing row
    assert rows[2][:5] == (42, 42.0, 1e17, -7, datetime(2024, 1, 5))
    assert rows[3][:4] == (True, False, "公式结果", "#N/A")
    assert rows[5] == ()  # a row without cells
    assert rows[6] == (None, None, "小写列")
    assert rows[7] == [] and rows[8] == (2,)  # row 9: as wide as its last cell; row 8 after it is skipped
    assert len(rows[9]) == 16384


def test_the_1904_calendar_reads_the_same():
    rows = assert_same(_patched('<row r="1"><c r="A1" s="DATE"><v>1</v></c><c r="B1"><v>1</v></c></row>',
                                date1904=True))
    assert rows[0][0] == datetime(1904, 1, 2)


def test_a_file_the_fast_reader_cannot_read_goes_to_openpyxl():
    assert open_rows(io.BytesIO(b"not a zip file")) is None
    assert open_rows(io.BytesIO(save(Workbook())[:100])) is None
    data = template_workbook_like()
    upload = io.BytesIO(data)
    assert list(_rows(upload)) == list(_openpyxl_rows(io.BytesIO(data)))


def template_workbook_like() -> bytes:
    wb = Workbook()
    wb.active.append(["姓名", 1, 2.5, None, "x"])
    return save(wb)


def test_a_shared_strings_part_with_runs_and_escapes_reads_the_same():
    table = (f'<sst xmlns="{NS}" count="3" uniqueCount="3"><si><r><t>富</t></r><r><rPr><i/></rPr><t>文本</t></r>'
             '<rPh sb="0" eb="1"><t>ふ</t></rPh></si><si><t>a_x005F_x000D_b</t></si><si><t/></si></sst>')
    rows = assert_same(_patched('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
                                '<c r="C1" t="s"><v>2</v></c></row>', shared=table))
    assert rows == [("富文本", "a_x000D_b", "")]

"""Render a report (通报) as an Excel workbook or a PDF.

The input is a neutral, data-only document: the statistics code fills a ``ReportDoc`` and this module
lays it out. Nothing here queries the database.

    ReportDoc(title, region_name, period_label, generated_at, sections=[...], subtitle="")
      Section(heading, columns=[Column(key, label, kind)], rows=[{key: value}], text="")

Column kinds: ``text`` (shown as is), ``int`` (whole numbers), ``num`` (two decimals), ``pct`` (a fraction,
0.9372 is shown as 93.72%). A missing value (``None`` or an absent key) is shown as "—" in the number
columns and left empty in text columns.

Chinese in the PDF: the CJK font is embedded (subset) in every PDF, so it reads the same on any viewer.
reportlab's built-in CID fonts (STSong-Light) are never used: they are not embedded and fall back to
whatever the viewer has. The font is, in order:

1. ``settings.GRIDGOV["REPORT_FONT"]``: a path to a TrueType font (``.ttf``, or ``.ttc`` whose first face is
   used) with CJK glyphs, if set;
2. WenQuanYi Micro Hei (文泉驿微米黑, Apache-2.0 or GPL-3+ with the font exception), shipped by the PyPI
   package ``paperang-p2-fonts-cjk`` pinned in requirements.txt (its ``wqy-microhei.ttc`` is byte for byte
   the file of Debian's fonts-wqy-microhei 0.2.0-beta).

With neither, ``ReportFontError`` says what to install or set. reportlab embeds only TrueType outlines:
an OpenType font with PostScript (CFF) outlines, such as the Noto Sans CJK ``.otf`` files, is refused
with the same error.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _

KINDS = ("text", "int", "num", "pct")
DASH = "—"  # shown for a missing number
PACKAGED_FONT = ("paperang_p2_fonts_cjk", "fonts/wqy-microhei.ttc")

# Excel number formats per column kind
EXCEL_FORMATS = {"int": "#,##0", "num": "#,##0.00", "pct": "0.00%"}


@dataclass(frozen=True)
class Column:
    """One column of a section's table: ``key`` into each row dict, ``label`` for the header."""

    key: str
    label: str
    kind: str = "text"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key!r}: kind must be one of {KINDS}, not {self.kind!r}")


@dataclass
class Section:
    """A heading, an optional paragraph and a table (the table may have no rows)."""

    heading: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    text: str = ""


@dataclass
class ReportDoc:
    title: str
    region_name: str
    period_label: str
    generated_at: datetime
    sections: list[Section] = field(default_factory=list)
    subtitle: str = ""


class ReportFontError(ImproperlyConfigured):
    """No usable CJK TrueType font for the PDF."""


# --- values -----------------------------------------------------------------------------------------------


def _number(value):
    """A numeric cell value as int/float/Decimal, or None when it is missing or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def display(column: Column, value) -> str:
    """The text a cell shows in the PDF (and what Excel's number format shows)."""
    if column.kind == "text":
        return "" if value is None else str(value)
    number = _number(value)
    if number is None:
        return DASH
    if column.kind == "int":
        return f"{round(number):,}"
    if column.kind == "num":
        return f"{number:,.2f}"
    return f"{float(number) * 100:.2f}%"


def _local(moment: datetime) -> str:
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


def _meta_line(doc: ReportDoc) -> str:
    return "　".join([
        _("区域：%(name)s") % {"name": doc.region_name},
        _("统计周期：%(period)s") % {"period": doc.period_label},
    ])


def _generated_line(doc: ReportDoc) -> str:
    return _("生成时间：%(at)s") % {"at": _local(doc.generated_at)}


# --- Excel ------------------------------------------------------------------------------------------------


def _text_width(text: str) -> int:
    """Width in Excel character units: CJK and other wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet_title(heading: str, taken: set[str]) -> str:
    """A valid, unique sheet name (at most 31 characters, none of []:*?/\\)."""
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in heading).strip().strip("'")[:31] or _("数据")
    name, n = base, 2
    while name.lower() in taken:
        suffix = f"({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _clean_text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _set_text(cell, value: str):
    """A string cell that stays a string: openpyxl would store "=…" as a formula."""
    cell.value = _clean_text(value)
    cell.data_type = "s"


def _sheet(wb, doc: ReportDoc, section: Section, title: str):
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    columns = section.columns
    # column widths first: the paragraph's row height depends on them
    widths = [max([_text_width(c.label)] + [_text_width(display(c, row.get(c.key))) for row in section.rows])
              for c in columns]
    widths = [min(max(w + 2, 8), 50) for w in widths] or [60]
    if sum(widths) < 48:  # a narrow table: widen it so the paragraph above it stays readable
        widths = [w * 48 / sum(widths) for w in widths]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width

    # title block: one line a row, overflowing to the right (no merge, no wrap)
    lines = [(doc.title, Font(bold=True, size=14))]
    if doc.subtitle:
        lines.append((doc.subtitle, Font(size=11)))
    lines += [(f"{_meta_line(doc)}　{_generated_line(doc)}", Font(size=10, color="555555")),
              (section.heading, Font(bold=True, size=12))]
    for row, (text, font) in enumerate(lines, start=1):
        cell = ws.cell(row=row, column=1)
        _set_text(cell, text)
        cell.font = font
    row = len(lines) + 1
    if section.text:  # the paragraph: merged over the table's width, wrapped, its height estimated
        cell = ws.cell(row=row, column=1)
        _set_text(cell, section.text)
        cell.font = Font(size=10)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        if len(widths) > 1:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(widths))
        per_line = max(sum(widths) - 2, 1)
        count = sum(-(-max(_text_width(line), 1) // per_line) for line in section.text.splitlines() or [""])
        ws.row_dimensions[row].height = 15 * min(count, 8)  # capped: the rows above the header are frozen
        row += 1
    if not columns:
        return

    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_row = row
    for col, column in enumerate(columns, start=1):
        cell = ws.cell(row=header_row, column=col)
        _set_text(cell, column.label)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE4EE")
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, data in enumerate(section.rows, start=header_row + 1):
        for col, column in enumerate(columns, start=1):
            cell = ws.cell(row=r, column=col)
            cell.border = border
            value = data.get(column.key)
            if column.kind == "text":
                _set_text(cell, "" if value is None else str(value))
                continue
            number = _number(value)
            if number is None:
                cell.value = DASH
                cell.alignment = Alignment(horizontal="right")
            else:
                cell.value = int(round(number)) if column.kind == "int" else number
                cell.number_format = EXCEL_FORMATS[column.kind]
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A{header_row}:{last}{header_row + max(len(section.rows), 1)}"
    ws.print_title_rows = f"{header_row}:{header_row}"


def render_xlsx(doc: ReportDoc) -> bytes:
    """The report as an .xlsx workbook: one sheet per section (one with the title only when there is none)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = doc.title
    wb.properties.creator = "gridgov"
    taken: set[str] = set()
    for section in doc.sections or [Section(heading=doc.title, columns=[])]:
        _sheet(wb, doc, section, _sheet_title(section.heading, taken))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- the font ---------------------------------------------------------------------------------------------


def report_font_path() -> Path:
    """The TrueType font file the PDF embeds (see the module docstring for the order)."""
    override = (getattr(settings, "GRIDGOV", {}) or {}).get("REPORT_FONT") or ""
    if override:
        path = Path(override)
        if not path.is_file():
            raise ReportFontError(f'GRIDGOV["REPORT_FONT"] = {override!r}: no such file')
        return path
    package, relative = PACKAGED_FONT
    spec = importlib.util.find_spec(package)
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location) / relative
        if path.is_file():
            return path
    raise ReportFontError(
        f"No CJK font for PDF reports: install the pinned requirements (pip install -r requirements.txt "
        f"brings {package.replace('_', '-')} with {Path(relative).name}), or set GRIDGOV[\"REPORT_FONT\"] to "
        f"a TrueType font (.ttf/.ttc) with Chinese glyphs"
    )


_registered: dict[Path, str] = {}


def report_font() -> str:
    """Register the report font with reportlab (once per file) and return its name."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    path = report_font_path().resolve()
    if path in _registered:
        return _registered[path]
    name = "GridgovCJK-" + hashlib.sha1(str(path).encode()).hexdigest()[:8]
    try:
        font = TTFont(name, str(path), subfontIndex=0)
    except (TTFError, OSError) as exc:
        raise ReportFontError(
            f"{path}: not a usable TrueType font for PDF reports ({exc}); reportlab embeds only TrueType "
            f"outlines (.ttf/.ttc), not OpenType/CFF (.otf)"
        ) from exc
    if not font.face.charToGlyph.get(ord("中")):
        raise ReportFontError(f"{path}: the font has no Chinese glyphs")
    pdfmetrics.registerFont(font)
    for bold in (0, 1):  # one face: <b> and <i> in paragraphs map to it instead of failing
        for italic in (0, 1):
            addMapping(name, bold, italic, name)
    _registered[path] = name
    return name


# --- PDF --------------------------------------------------------------------------------------------------


def _styles(font: str) -> dict:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("base", fontName=font, bulletFontName=font, fontSize=10, leading=15, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", base, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=13, leading=19, alignment=TA_CENTER, spaceAfter=2),
        "meta": ParagraphStyle("meta", base, fontSize=9.5, leading=14, alignment=TA_CENTER,
                               textColor=colors.HexColor("#444444")),
        "heading": ParagraphStyle("heading", base, fontSize=14, leading=20, spaceBefore=14, spaceAfter=6,
                                  keepWithNext=1, textColor=colors.HexColor("#1F3A5F")),
        "body": ParagraphStyle("body", base, fontSize=10.5, leading=17, spaceAfter=6, firstLineIndent=21),
        "th": ParagraphStyle("th", base, fontSize=9.5, leading=13, alignment=TA_CENTER),
        "td": ParagraphStyle("td", base, fontSize=9.5, leading=13),
        "td_num": ParagraphStyle("td_num", base, fontSize=9.5, leading=13, alignment=TA_RIGHT),
        "empty": ParagraphStyle("empty", base, fontSize=9.5, leading=13, alignment=TA_CENTER,
                                textColor=colors.HexColor("#777777")),
    }


def _markup(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


def _column_widths(section: Section, font: str, available: float) -> list[float]:
    """Natural widths (longest cell, capped), scaled to fill the frame width."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    padding = 12
    natural = []
    for column in section.columns:
        longest = max([stringWidth(column.label, font, 9.5)]
                      + [stringWidth(display(column, row.get(column.key)), font, 9.5) for row in section.rows])
        cap = 200 if column.kind == "text" else 90
        natural.append(min(max(longest + padding, 36), cap))
    total = sum(natural)
    return [w * available / total for w in natural]


def _table(section: Section, font: str, styles: dict, available: float):
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    header = [Paragraph(_markup(c.label), styles["th"]) for c in section.columns]
    body = [
        [Paragraph(_markup(display(c, row.get(c.key))), styles["td" if c.kind == "text" else "td_num"])
         for c in section.columns]
        for row in section.rows
    ]
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), font),  # plain (empty) cells too: no Helvetica in the PDF
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE4EE")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if not body:
        body = [[Paragraph(_("无数据"), styles["empty"])] + [""] * (len(section.columns) - 1)]
        commands.append(("SPAN", (0, 1), (-1, 1)))
    else:
        commands += [("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F5F7FA")])]
    table = Table([header, *body], colWidths=_column_widths(section, font, available), repeatRows=1,
                  hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def render_pdf(doc: ReportDoc) -> bytes:
    """The report as an A4 PDF with the CJK font embedded; raises ReportFontError without a font."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    font = report_font()
    styles = _styles(font)
    out = io.BytesIO()
    pdf = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
        title=doc.title, subject=doc.subtitle or doc.period_label, author=doc.region_name, creator="gridgov",
        initialFontName=font, initialFontSize=10,  # else every page names Helvetica, a font not embedded
    )

    def page_number(canvas, template):
        canvas.saveState()
        canvas.setFont(font, 9)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawCentredString(A4[0] / 2, 10 * mm, _("第 %(n)s 页") % {"n": canvas.getPageNumber()})
        canvas.restoreState()

    story = [Paragraph(_markup(doc.title), styles["title"])]
    if doc.subtitle:
        story.append(Paragraph(_markup(doc.subtitle), styles["subtitle"]))
    story += [Paragraph(_markup(_meta_line(doc)), styles["meta"]),
              Paragraph(_markup(_generated_line(doc)), styles["meta"]), Spacer(1, 4 * mm)]
    for section in doc.sections:
        story.append(Paragraph(_markup(section.heading), styles["heading"]))
        story += [Paragraph(_markup(line), styles["body"]) for line in section.text.splitlines() if line.strip()]
        if section.columns:
            story.append(_table(section, font, styles, pdf.width))
    pdf.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return out.getvalue()

"""What an import did (:class:`ImportReport`), and the rejected rows as .xlsx: 行号, 列, 原因 and the original values;
the importer ignores those three columns, so a corrected report can be imported again as it is."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from gridgov.core.text import xml_safe
from gridgov.registry.excel.columns import HEADER_FILL, HEADER_FONT, REPORT_HEADERS


@dataclass
class RejectedRow:
    row: int  # the row number as Excel shows it
    errors: list[tuple[str, str]]  # (column header, reason in Chinese); header "" = the row as a whole
    values: tuple = ()  # the original cell values, in the file's column order

    @property
    def column(self) -> str:
        return "、".join(dict.fromkeys(c for c, _r in self.errors if c))

    @property
    def reason(self) -> str:
        return "；".join(f"{c}：{r}" if c else r for c, r in self.errors)


@dataclass
class ImportReport:
    kind: str
    source: str
    headers: list[str] = field(default_factory=list)  # the file's header row, as written
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # resident rows that were not an update of the importer's own record: new people, and people kept outside
    # the importer's scope (transfer requests) — counted together so that the report does not tell them apart
    submitted: int = 0
    rejected: int = 0
    rejected_rows: list[RejectedRow] = field(default_factory=list)
    also_created: dict[str, int] = field(default_factory=dict)  # addresses / houses made for resident rows
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.submitted + self.rejected

    @property
    def errors(self) -> list[tuple[int, str, str]]:
        """Flat (row, column, reason) triples."""
        return [(r.row, c, reason) for r in self.rejected_rows for c, reason in r.errors]

    def summary(self) -> str:
        if self.submitted:
            return _("共%(t)d行：已提交登记%(s)d（新登记或待原辖区确认迁入），更新%(u)d，未变%(n)d，拒绝%(r)d") % {
                "t": self.total, "s": self.submitted, "u": self.updated, "n": self.unchanged, "r": self.rejected}
        return _("共%(t)d行：新增%(c)d，更新%(u)d，未变%(n)d，拒绝%(r)d") % {
            "t": self.total, "c": self.created, "u": self.updated, "n": self.unchanged, "r": self.rejected}


def report_workbook(report: ImportReport) -> bytes:
    """The rejected rows as .xlsx: 行号, 列, 原因, then the original columns and values."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("错误明细"))
    widths = [8, 16, 48] + [max(10, len(str(h or "")) * 2 + 2) for h in report.headers]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    head = []
    for title in [_(h) for h in REPORT_HEADERS] + [str(h or "") for h in report.headers]:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        head.append(cell)
    ws.append(head)
    for item in sorted(report.rejected_rows, key=lambda r: r.row):
        values = []
        for v in item.values:
            cell = WriteOnlyCell(ws, value=xml_safe(v))
            if isinstance(v, str):
                cell.number_format = "@"  # keep ID numbers as text
            values.append(cell)
        ws.append([item.row, xml_safe(item.column), xml_safe(item.reason), *values])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

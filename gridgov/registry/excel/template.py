"""The empty import template of a kind: header row, a row of hints (skipped on import), dropdowns, text-formatted
code columns, and a sheet of instructions."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from gridgov.registry.excel.columns import HEADER_FILL, HEADER_FONT, KIND_LABELS, check_kind, columns
from gridgov.registry.models import Unit

_REQUIRED_FONT = Font(bold=True, color="C00000")
_HINT_FONT = Font(italic=True, color="808080", size=9)
TEMPLATE_ROWS = 10_000  # rows prepared with dropdowns and text format


def template_workbook(kind: str) -> bytes:
    """An empty import template: header row, a row of hints (skipped on import), dropdowns, widths."""
    check_kind(kind)
    cols = columns(kind)
    wb = Workbook()
    ws = wb.active
    ws.title = _(KIND_LABELS[kind])
    for i, col in enumerate(cols, start=1):
        letter = get_column_letter(i)
        head = ws.cell(row=1, column=i, value=col.title)
        head.font = _REQUIRED_FONT if col.required else HEADER_FONT
        head.fill = HEADER_FILL
        head.alignment = Alignment(horizontal="center", vertical="center")
        hint = ws.cell(row=2, column=i, value=_(col.hint) if col.hint else None)
        hint.font = _HINT_FONT
        hint.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[letter].width = max(col.width, len(col.title) * 2 + 2)
        if col.text:  # Excel keeps ID numbers, codes and phones as typed (no 1.1E+17)
            ws.column_dimensions[letter].number_format = "@"
        if col.choices:
            formula = '"' + ",".join(col.choices) + '"'
            if len(formula) <= 255:  # Excel's limit for an inline list
                dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                                    errorTitle=_("输入有误"), error=_("请从下拉列表中选择"))
                dv.add(f"{letter}3:{letter}{TEMPLATE_ROWS}")
                ws.add_data_validation(dv)
    ws.row_dimensions[2].height = 30
    ws.freeze_panes = "A3"
    notes = wb.create_sheet(_("填写说明"))
    for line in _template_notes(kind):
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _template_notes(kind: str) -> list[str]:
    lines = [
        _("%(kind)s导入模板") % {"kind": _(KIND_LABELS[kind])},
        _("1. 第一行为列名，请勿修改；列的顺序可以调整，不需要的选填列可以删除。红色列名为必须保留的列。"),
        _("2. 第二行为填写提示，导入时自动跳过，也可以删除。"),
        _("3. 证件号码、社区代码、电话等请使用文本格式，避免Excel把长数字改成科学计数法而丢失末几位。"),
        _("4. 日期可写成2024-01-05、2024/1/5或20240105。"),
        _("5. 每一行单独校验：有错误的行不会写入任何数据，其他行正常导入；导入后可下载错误明细，改正后原样再次导入。"),
        _("6. 重复导入同一文件不会产生重复数据：地址按标准地址去重，人员按证件号码，单位按统一社会信用代码。"),
    ]
    if kind == "residents":
        lines.append(_("7. 现居房屋按地址各列确定，地址或房屋不存在时自动新建。"))
    if kind == "key_persons":
        lines.append(_("7. 人员须已登记为实有人口（按证件号码查找）。专项属性各列只填写与该人员类别对应的列，其余留空。"))
    if kind == "units":
        lines.append(_("7. 重点单位类别可填：%(f)s，多个用、分隔。") % {
            "f": "、".join(str(v) for v in Unit.KEY_FLAGS.values())})
    return lines

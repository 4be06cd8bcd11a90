"""Excel in and out for the registry (一标三实 + 重点人员): templates, streaming import, streaming export.

* :func:`template_workbook` — an empty .xlsx per kind with Chinese headers, a row of hints,
  dropdowns and text-formatted code columns.
* :func:`import_rows` — reads the file as a stream (openpyxl read-only, ``values_only``), maps the
  header row by name (any column order), and sends every row through the registry services, which
  validate (ID checksum, dates, codes, phones) and enforce the importer's scope. Each row is written
  inside its own savepoint: a rejected row leaves nothing of itself (not even the address it would
  have created), good rows are kept. Rows are committed in chunks (one transaction per chunk) for
  speed. A row whose record would not change is rolled back and counted as unchanged, so importing
  the same file twice writes nothing the second time (no ``updated_at`` touch, no fresh ciphertext,
  no :class:`Change` row).
* :func:`report_workbook` — the rejected rows (行号, 列, 原因 + the original values) as .xlsx. The three
  report columns are ignored by the importer, so a corrected report can be imported again as is.
* :func:`export_workbook` — a streaming (write-only) export with the same columns as the template,
  identity numbers and phones masked unless a full export is asked for, permitted and logged.

Kinds: ``residents`` (实有人口), ``houses`` (实有房屋), ``units`` (实有单位), ``key_persons`` (重点人员).
"""

from __future__ import annotations

import io
import re
import time
import unicodedata
import zipfile
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from gridgov.accounts.models import User
from gridgov.core import crypto
from gridgov.core.errors import DomainError, Forbidden, ValidationFailed
from gridgov.core.text import xml_safe
from gridgov.regions.models import Region
from gridgov.registry import identity, scope
from gridgov.registry.models import House, KeyCategory, KeyPerson, Resident, RiskLevel, Unit
from gridgov.registry.services.access import can_write, in_scope
from gridgov.registry.services.addresses import AddressInput, address_key, get_or_create_address
from gridgov.registry.services.houses import save_house
from gridgov.registry.services.key_people import list_key_person
from gridgov.registry.services.privacy import log_export
from gridgov.registry.services.residents import (
    ResidentInput,
    find_by_document,
    find_in_scope,
    register_resident,
    save_resident,
)
from gridgov.registry.services.units import UnitInput, save_unit

KINDS = ("residents", "houses", "units", "key_persons")
KIND_LABELS = {
    "residents": N_("实有人口"),
    "houses": N_("实有房屋"),
    "units": N_("实有单位"),
    "key_persons": N_("重点人员"),
}
# columns of a rejected-rows report; the importer ignores them so a corrected report can be re-imported
REPORT_HEADERS = (N_("行号"), N_("列"), N_("原因"))
CHUNK_SIZE = 500  # rows per transaction; every row has its own savepoint inside
CACHE_SIZE = 20_000  # entries per lookup cache (LRU), so the caches stay bounded whatever the file size
MAX_ID_FLOAT_HINT = N_("证件号码被Excel存成了数字（如1.10105194912e+17），后几位已丢失，请将该列设为“文本”格式后重新填写")


class FileRejected(ValidationFailed):
    """The whole file is refused (unreadable, missing or unknown headers): nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = [str(p) for p in problems]
        super().__init__(_("文件被拒绝，未导入任何数据：%(p)s") % {"p": "；".join(self.problems)},
                         {"file": self.problems}, code="file_rejected")


# --- columns ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # Chinese msgid; translated with gettext at run time
    hint: str = ""
    required: bool = False  # the header must be present in the file
    choices: tuple[str, ...] = ()  # dropdown in the template
    text: bool = False  # format the column as text in the template (codes, numbers with leading zeros)
    width: int = 12
    fields: tuple[str, ...] = ()  # service error field names reported on this column
    attribute: str = ""  # key-person attribute label (attribute columns only)

    @property
    def title(self) -> str:
        return _(self.header)


def _labels(choices) -> tuple[str, ...]:
    return tuple(str(label) for _value, label in choices)


def _address_columns() -> list[Column]:
    return [
        Column("region", N_("社区代码(12位)"), N_("必填：12位村(社区)区划代码，如371502001001"), True, text=True,
               width=16, fields=("region", "house", "address")),
        Column("road", N_("街路巷/小区"), N_("必填：如东关街、阳光花园"), True, width=20, fields=("road",)),
        Column("building", N_("楼栋"), N_("如3或3号楼"), text=True, width=8, fields=("building",)),
        Column("unit", N_("单元"), N_("如2"), text=True, width=7, fields=("unit",)),
        Column("floor", N_("楼层"), N_("如5"), text=True, width=7, fields=("floor",)),
        Column("room", N_("室"), N_("如502"), text=True, width=8, fields=("room",)),
        Column("grid", N_("网格编码"), N_("选填：15位网格编码；社区只有一个网格时可不填"), text=True, width=17,
               fields=("grid", "location")),
    ]


def _resident_columns() -> list[Column]:
    return [
        Column("name", N_("姓名"), N_("必填"), True, width=10, fields=("name",)),
        Column("id_type", N_("证件类型"), N_("默认居民身份证"), choices=_labels(Resident.IdType.choices), width=14,
               fields=("id_type",)),
        Column("id_number", N_("证件号码"), N_("必填：18位身份证号，请用文本格式"), True, text=True, width=21,
               fields=("id_number",)),
        Column("sex", N_("性别"), N_("身份证可不填"), choices=("男", "女"), width=6, fields=("sex",)),
        Column("birth_date", N_("出生日期"), N_("身份证可不填；如2024-01-05"), width=12, fields=("birth_date",)),
        Column("phone", N_("联系电话"), N_("手机或带区号的固话"), text=True, width=14, fields=("phone",)),
        Column("household", N_("人口类型"), N_("户籍人口/流动人口/境外人员"), choices=_labels(Resident.Household.choices),
               width=10, fields=("household",)),
        Column("hukou_place", N_("户籍地"), N_("如山东省聊城市东昌府区"), width=20, fields=("hukou_place",)),
        Column("relation", N_("与户主关系"), N_("如户主、配偶、子女"), width=10, fields=("relation",)),
        Column("moved_in", N_("迁入日期"), N_("如2024-01-05，不能晚于今天"), width=12, fields=("moved_in",)),
    ]


def _house_columns() -> list[Column]:
    return [
        Column("structure", N_("建筑结构"), N_("钢混/框架/砖混/砖木/其他"), choices=_labels(House.Structure.choices),
               width=10, fields=("structure",)),
        Column("use", N_("房屋用途"), N_("住宅/商业/办公/工业/其他"), choices=_labels(House.Use.choices), width=10,
               fields=("use",)),
        Column("status", N_("使用状态"), N_("自住/出租/闲置/经营/其他"), choices=_labels(House.Status.choices), width=10,
               fields=("status",)),
        Column("area", N_("面积(㎡)"), N_("数字，如89.5"), width=10, fields=("area",)),
        Column("owner_name", N_("产权人姓名"), "", width=10, fields=("owner_name",)),
        Column("owner_phone", N_("产权人电话"), "", text=True, width=14, fields=("owner_phone",)),
    ]


def _unit_columns() -> list[Column]:
    flags = "、".join(str(label) for label in Unit.KEY_FLAGS.values())
    return [
        Column("name", N_("单位名称"), N_("必填"), True, width=24, fields=("name",)),
        Column("uscc", N_("统一社会信用代码"), N_("18位；无则留空"), text=True, width=21, fields=("uscc",)),
        Column("kind", N_("单位类型"), N_("企业/个体工商户/机关事业单位/社会组织/其他"), choices=_labels(Unit.Kind.choices),
               width=14, fields=("kind",)),
        Column("legal_rep", N_("法定代表人"), "", width=10, fields=("legal_rep",)),
        Column("contact", N_("联系人"), "", width=10, fields=("contact",)),
        Column("phone", N_("联系电话"), "", text=True, width=14, fields=("phone",)),
        Column("key_flags", N_("重点单位类别"), flags + N_("，多个用、分隔"), width=24, fields=("key_flags",)),
        Column("employees", N_("从业人数"), N_("整数"), width=9, fields=("employees",)),
    ]


def _key_categories() -> list[KeyCategory]:
    return list(KeyCategory.objects.filter(active=True).order_by("order", "code"))


def _key_person_columns(categories: list[KeyCategory] | None = None) -> list[Column]:
    categories = _key_categories() if categories is None else categories
    cols = [
        Column("name", N_("姓名"), N_("选填：填写时须与证件号码对应的人员一致"), width=10),
        Column("id_type", N_("证件类型"), N_("默认居民身份证"), choices=_labels(Resident.IdType.choices), width=14,
               fields=("id_type",)),
        Column("id_number", N_("证件号码"), N_("必填：须已登记为实有人口"), True, text=True, width=21,
               fields=("id_number", "resident")),
        Column("category", N_("类别"), "/".join(c.name for c in categories), True,
               choices=tuple(c.name for c in categories), width=16, fields=("category",)),
        Column("risk_level", N_("风险等级"), N_("高/中/低，默认低"), choices=_labels(RiskLevel.choices), width=9,
               fields=("risk_level",)),
        Column("worker", N_("责任网格员"), N_("网格员的登录用户名"), width=14, fields=("worker",)),
        Column("since", N_("列管日期"), N_("如2024-01-05，默认今天"), width=12, fields=("since",)),
        Column("note", N_("备注"), "", width=20, fields=("note",)),
    ]
    # one column per attribute label across all categories, blank where it does not apply
    taken = {_norm_header(_(c.header)) for c in cols}
    by_label: dict[str, list[tuple[KeyCategory, dict]]] = {}
    for cat in categories:
        for spec in cat.attributes:
            by_label.setdefault(spec.get("label", spec["key"]), []).append((cat, spec))
    for label, owners in by_label.items():
        header = label if _norm_header(label) not in taken else f"{owners[0][0].name}-{label}"
        taken.add(_norm_header(header))
        hint = _("仅%(cats)s填写") % {"cats": "、".join(c.name for c, _s in owners)}
        specs = [s for _c, s in owners]
        if any(s.get("required") for s in specs):
            hint += _("（必填）")
        choices = tuple(dict.fromkeys(ch for s in specs if s.get("type") == "choice" for ch in s.get("choices", [])))
        if any(s.get("type") == "date" for s in specs):
            hint += _("，如2024-01-05")
        cols.append(Column(f"attr:{label}", header, hint, choices=choices if all(
            s.get("type") == "choice" for s in specs) else (), width=max(12, len(header) * 2 + 2),
            fields=tuple(f"attributes.{s['key']}" for s in specs), attribute=label))
    return cols


def columns(kind: str, categories: list[KeyCategory] | None = None) -> list[Column]:
    if kind == "residents":
        return _resident_columns() + _address_columns()
    if kind == "houses":
        return _address_columns() + _house_columns()
    if kind == "units":
        return _unit_columns() + _address_columns()
    if kind == "key_persons":
        return _key_person_columns(categories)
    raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValidationFailed(_("未知的导入类型：%(k)s（可选 residents/houses/units/key_persons）") % {"k": kind},
                               {"kind": [_("类型无效")]})


_PAREN = re.compile(r"[（(][^）)]*[）)]")


def _norm_header(value: Any) -> str:
    s = unicodedata.normalize("NFKC", str(value or ""))
    s = _PAREN.sub("", s)
    return re.sub(r"[\s*/、:：]", "", s)


# --- template -----------------------------------------------------------------------------------

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FONT = Font(bold=True, color="C00000")
_HEADER_FONT = Font(bold=True)
_HINT_FONT = Font(italic=True, color="808080", size=9)
TEMPLATE_ROWS = 10_000  # rows prepared with dropdowns and text format


def template_workbook(kind: str) -> bytes:
    """An empty import template: header row, a row of hints (skipped on import), dropdowns, widths."""
    _check_kind(kind)
    cols = columns(kind)
    wb = Workbook()
    ws = wb.active
    ws.title = _(KIND_LABELS[kind])
    for i, col in enumerate(cols, start=1):
        letter = get_column_letter(i)
        head = ws.cell(row=1, column=i, value=col.title)
        head.font = _REQUIRED_FONT if col.required else _HEADER_FONT
        head.fill = _HEADER_FILL
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


# --- cell values --------------------------------------------------------------------------------


class _CellError(Exception):
    def __init__(self, key: str, reason: str):
        super().__init__(reason)
        self.key, self.reason = key, reason


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _document_number(value: Any) -> str:
    """ID numbers: text or an exact integer cell. A float cell has lost digits: refuse it, never guess."""
    if isinstance(value, float):
        raise _CellError("id_number", _(MAX_ID_FLOAT_HINT))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    s = _text(value).lstrip("'").replace(" ", "")
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", s):  # typed/pasted as 1.10105194912E+17
        raise _CellError("id_number", _(MAX_ID_FLOAT_HINT))
    return s


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def _date(value: Any, key: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        s = _text(value)
        if not re.fullmatch(r"\d{8}", s):
            raise _CellError(key, _("日期格式不正确，请写成2024-01-05"))
    else:
        s = unicodedata.normalize("NFKC", str(value)).strip()
        s = s.split(" ")[0] if re.match(r"^\d{4}-\d{1,2}-\d{1,2} \d", s) else s  # "2024-01-05 00:00:00"
    for pattern in _DATE_PATTERNS:
        m = pattern.match(s)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                raise _CellError(key, _("日期不存在：%(v)s") % {"v": s}) from None
    raise _CellError(key, _("日期格式不正确，请写成2024-01-05"))


def _choice(value: Any, key: str, choices, default: str = "") -> str:
    s = _text(value)
    if not s:
        return default
    table = {str(label): v for v, label in choices} | {str(v): v for v, _label in choices}
    if s in table:
        return table[s]
    raise _CellError(key, _("“%(v)s”不是可选值（%(c)s）") % {"v": s, "c": "/".join(str(lb) for _v, lb in choices)})


_ID_TYPE_ALIASES = {"身份证": Resident.IdType.RIC, "二代身份证": Resident.IdType.RIC}
_RISK_ALIASES = {"高风险": RiskLevel.HIGH, "中风险": RiskLevel.MEDIUM, "低风险": RiskLevel.LOW}


def _id_type(value: Any) -> str:
    s = _text(value)
    return _ID_TYPE_ALIASES.get(s) or _choice(s, "id_type", Resident.IdType.choices, Resident.IdType.RIC)


def _int(value: Any, key: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = _text(value)
    if not re.fullmatch(r"\d{1,9}", s):
        raise _CellError(key, _("应为非负整数"))
    return int(s)


# --- report ---------------------------------------------------------------------------------------


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
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
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


# --- import -------------------------------------------------------------------------------------


class _Rejected(Exception):
    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(r for _c, r in errors))
        self.errors = errors


class _Unchanged(Exception):
    """Raised inside a savepoint to undo an identical re-save."""


def _state(obj) -> dict:
    """Comparable field values (normalized through the field, so 85.3 == Decimal('85.30'))."""
    if obj is None:
        return {}
    out = {}
    for f in obj._meta.concrete_fields:
        if f.name in ("updated_at", "id_number_enc"):  # ciphertext differs on every encryption; id_hash decides
            continue
        v = getattr(obj, f.attname)
        try:
            v = f.to_python(v)
        except Exception:  # noqa: BLE001 - comparison only
            pass
        out[f.attname] = v
    return out


class _LRU(OrderedDict):
    def __init__(self, size: int = CACHE_SIZE):
        super().__init__()
        self.size = size

    def get(self, key, default=None):
        if key in self:
            self.move_to_end(key)
            return self[key]
        return default

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


class _Importer:
    def __init__(self, actor, kind: str, cols: list[Column], positions: dict[str, int], report: ImportReport,
                 source: str, categories: list[KeyCategory]):
        self.actor, self.kind, self.report, self.source = actor, kind, report, source
        self.positions = positions  # column key → index in the file's rows
        self.by_key = {c.key: c for c in cols}
        self.field_columns = {f: c for c in cols for f in c.fields}
        self.header_of = {key: report.headers[i] for key, i in positions.items()}
        self.categories = {c.name: c for c in categories} | {c.code: c for c in categories}
        self.regions = _LRU(4096)
        self.addresses = _LRU()  # (address key, grid input) → Address
        self.houses = _LRU()  # address id → House
        self.workers = _LRU(4096)
        self.pending: list[tuple[_LRU, Any, Any]] = []  # cache entries made by the current row
        self.handler = getattr(self, f"_{kind}")

    # -- plumbing

    def _header(self, key: str) -> str:
        if key in self.header_of:
            return str(self.header_of[key])
        col = self.by_key.get(key)
        return col.title if col else ""

    def _field_header(self, name: str) -> str:
        col = self.field_columns.get(name)
        if col is None and "." in name:
            col = self.field_columns.get(name.split(".")[0])
        return self._header(col.key) if col else ""

    def values(self, row: tuple) -> dict[str, Any]:
        return {key: (row[i] if i < len(row) else None) for key, i in self.positions.items()}

    def run(self, chunk: list[tuple[int, tuple]]) -> None:
        try:
            with transaction.atomic():
                results = [self._row(n, row) for n, row in chunk]
        except DatabaseError:  # the chunk's commit failed: start clean and write row by row
            self._clear()
            results = [self._row(n, row) for n, row in chunk]
        for outcome in results:
            self._tally(outcome)

    def _clear(self) -> None:
        for cache in (self.regions, self.addresses, self.houses, self.workers):
            cache.clear()

    def _row(self, number: int, row: tuple):
        values = self.values(row)
        self.pending = []
        self.made: dict[str, int] = {}
        try:
            with transaction.atomic():
                status = self.handler(values)
        except _Rejected as exc:
            return number, "rejected", exc.errors, row, {}
        except _CellError as exc:
            return number, "rejected", [(self._header(exc.key), exc.reason)], row, {}
        except DomainError as exc:
            errors = [(self._field_header(name), str(msg)) for name, msgs in exc.fields.items() for msg in msgs]
            return number, "rejected", errors or [("", str(exc.message))], row, {}
        except DatabaseError as exc:
            return number, "rejected", [("", _("数据库写入失败：%(e)s") % {"e": str(exc)[:200]})], row, {}
        for cache, key, value in self.pending:
            cache.put(key, value)
        return number, status, [], row, self.made

    def _tally(self, outcome) -> None:
        number, status, errors, row, made = outcome
        if status == "rejected":
            self.report.rejected += 1
            self.report.rejected_rows.append(RejectedRow(number, errors, tuple(row)))
            return
        setattr(self.report, status, getattr(self.report, status) + 1)
        for k, n in made.items():
            self.report.also_created[k] = self.report.also_created.get(k, 0) + n

    def _save(self, before, save) -> tuple[Any, str]:
        """Run ``save()`` in a savepoint; undo it when the record came out identical."""
        old = _state(before)
        try:
            with transaction.atomic():
                obj, created = save()
                if not created and _state(obj) == old:
                    raise _Unchanged
        except _Unchanged:
            return before, "unchanged"
        return obj, "created" if created else "updated"

    def _collect(self, values: dict, parsers: dict, errors: list | None = None) -> dict:
        """Run every cell parser; all cell errors of the row are reported together (raised, or appended
        to ``errors`` when given, the failed cells then parse as blank)."""
        out, found = {}, []
        for key, parse in parsers.items():
            try:
                out[key] = parse(values.get(key))
            except _CellError as exc:
                found.append((self._header(exc.key), exc.reason))
                out[key] = parse(None)
        if found and errors is None:
            raise _Rejected(found)
        if errors is not None:
            errors.extend(found)
        return out

    # -- lookups

    def _region(self, code: str) -> Region | None:
        region = self.regions.get(code)
        if region is None:
            region = Region.objects.filter(code=code, level=Region.Level.COMMUNITY).first()
            if region is not None:
                self.regions.put(code, region)
        return region

    def _address(self, v: dict):
        data = AddressInput(region=v["region"], road=v["road"], building=v["building"], unit=v["unit"],
                            floor=v["floor"], room=v["room"], grid=v["grid"])
        region = self._region(data.region) if data.region else None
        key = None
        if region is not None and data.road:
            key = (address_key(region, data.road, data.building, data.unit, data.floor, data.room),
                   data.grid)
            address = self.addresses.get(key)
            if address is not None:  # resolved (and scope-checked) by the service earlier in this import
                return address
        address, created = get_or_create_address(self.actor, data, source=self.source)
        if created:
            self.made["address"] = self.made.get("address", 0) + 1
        if key is not None:
            self.pending.append((self.addresses, key, address))
        return address

    def _house_at(self, address) -> House:
        house = self.houses.get(address.pk)
        if house is None:
            house = House.objects.select_related("address__region", "address__grid").filter(address=address).first()
            if house is None:
                house, _created = save_house(self.actor, address, source=self.source)
                self.made["house"] = self.made.get("house", 0) + 1
            self.pending.append((self.houses, address.pk, house))
        return house

    # -- kinds

    _ADDRESS_PARSERS = {k: _text for k in ("region", "road", "building", "unit", "floor", "room", "grid")}

    def _residents(self, values: dict) -> str:
        v = self._collect(values, {
            **self._ADDRESS_PARSERS,
            "name": _text, "id_type": _id_type, "id_number": _document_number,
            "sex": lambda x: _choice(x, "sex", [("M", "男"), ("F", "女")]),
            "birth_date": lambda x: _date(x, "birth_date"),
            "phone": _text, "household": lambda x: _choice(x, "household", Resident.Household.choices),
            "hukou_place": _text, "relation": _text, "moved_in": lambda x: _date(x, "moved_in"),
        })
        # only the importer's own record is updated; a number kept elsewhere becomes a transfer request
        before = find_in_scope(self.actor, v["id_type"], v["id_number"]) if v["id_number"] else None
        address = self._address(v)
        house = self._house_at(address)
        data = ResidentInput(
            name=v["name"], id_type=v["id_type"], id_number=v["id_number"], phone=v["phone"],
            household=v["household"] or (before.household if before else Resident.Household.REGISTERED),
            hukou_place=v["hukou_place"], relation=v["relation"], moved_in=v["moved_in"],
            birth_date=v["birth_date"], sex=v["sex"], house=house)
        if before is None:  # a new person or a transfer request: one count for both, like the API's 202
            register_resident(self.actor, data, source=self.source)
            return "submitted"
        _obj, status = self._save(before, lambda: save_resident(
            self.actor, data, resident=before, source=self.source))
        return status

    def _houses(self, values: dict) -> str:
        v = self._collect(values, {
            **self._ADDRESS_PARSERS,
            "structure": lambda x: _choice(x, "structure", House.Structure.choices),
            "use": lambda x: _choice(x, "use", House.Use.choices),
            "status": lambda x: _choice(x, "status", House.Status.choices),
            "area": lambda x: None if x in (None, "") else x,
            "owner_name": _text, "owner_phone": _text,
        })
        address = self._address(v)
        before = House.objects.filter(address=address).first()
        _obj, status = self._save(before, lambda: save_house(
            self.actor, address, structure=v["structure"], use=v["use"], status=v["status"], area=v["area"],
            owner_name=v["owner_name"], owner_phone=v["owner_phone"], source=self.source))
        return status

    def _units(self, values: dict) -> str:
        v = self._collect(values, {
            **self._ADDRESS_PARSERS,
            "name": _text, "uscc": lambda x: _text(x).upper().replace(" ", ""),
            "kind": lambda x: _choice(x, "kind", Unit.Kind.choices, Unit.Kind.ENTERPRISE),
            "legal_rep": _text, "contact": _text, "phone": _text, "key_flags": _key_flags,
            "employees": lambda x: _int(x, "employees"),
        })
        address = self._address(v)
        before = None
        if v["uscc"]:
            try:
                before = Unit.objects.filter(uscc=identity.check_uscc(v["uscc"])).first()
            except ValueError:
                before = None  # the service says what is wrong with it
            if before is not None and not in_scope(self.actor, before):
                # never an update of another side's unit (a credit code is public: saying it is taken leaks nothing)
                raise _Rejected([(self._header("uscc"), _("该统一社会信用代码已登记"))])
        elif v["name"]:  # no credit code: the same name at the same address is the same unit
            before = Unit.objects.filter(uscc="", name=v["name"][:200], address=address).order_by("pk").first()
        data = UnitInput(name=v["name"], address=address, uscc=v["uscc"], kind=v["kind"],
                         legal_rep=v["legal_rep"], contact=v["contact"], phone=v["phone"],
                         key_flags=v["key_flags"], employees=v["employees"])
        _obj, status = self._save(before, lambda: save_unit(self.actor, data, unit=before,
                                                            source=self.source))
        return status

    def _key_persons(self, values: dict) -> str:
        attr_keys = [k for k in self.positions if k.startswith("attr:")]
        errors: list[tuple[str, str]] = []
        v = self._collect(values, {
            "name": _text, "id_type": _id_type, "id_number": _document_number, "category": _text,
            "risk_level": lambda x: _RISK_ALIASES.get(_text(x)) or _choice(x, "risk_level", RiskLevel.choices),
            "worker": _text, "since": lambda x: _date(x, "since"), "note": _text,
        }, errors)
        if any(c == self._header("id_number") for c, _r in errors):
            raise _Rejected(errors)
        if not v["id_number"]:
            raise _Rejected([(self._header("id_number"), _("请填写证件号码"))])
        resident = find_by_document(v["id_type"], v["id_number"])
        if resident is None or not Resident.objects.visible_to(self.actor).filter(pk=resident.pk).exists():
            raise _Rejected([(self._header("id_number"), _("未找到该证件号码对应的实有人口（或不在您的管辖范围内），请先登记实有人口"))])
        if v["name"] and v["name"] != resident.name:
            errors.append((self._header("name"), _("姓名与证件号码对应的人员（%(n)s）不一致") % {"n": resident.name}))
        category = self.categories.get(v["category"])
        if category is None:
            errors.append((self._header("category"), _("请填写有效的人员类别（%(c)s）") % {
                "c": "/".join(c.name for c in self.categories.values() if c.name == str(c.name))}))
        worker = None
        if v["worker"]:
            worker = self.workers.get(v["worker"])
            if worker is None:
                worker = User.objects.filter(username=v["worker"], is_active=True).first()
                if worker is not None:
                    self.workers.put(v["worker"], worker)
            if worker is None:
                errors.append((self._header("worker"), _("未找到用户名为“%(u)s”的在用账号") % {"u": v["worker"]}))
        if v["since"] and v["since"] > timezone.localdate():
            errors.append((self._header("since"), _("列管日期不能晚于今天")))
        attributes: dict[str, Any] = {}
        if category is not None:
            specs = {s.get("label", s["key"]): s for s in category.attributes}
            for key in attr_keys:
                raw = values.get(key)
                if raw is None or _text(raw) == "":
                    continue
                label = self.by_key[key].attribute
                spec = specs.get(label)
                if spec is None:
                    errors.append((self._header(key), _("“%(cat)s”没有此项，请留空") % {"cat": category.name}))
                    continue
                try:
                    attributes[spec["key"]] = (_date(raw, key) if spec.get("type") == "date"
                                               else _int(raw, key) if spec.get("type") == "int" else _text(raw))
                except _CellError as exc:
                    errors.append((self._header(key), exc.reason))
        if errors:
            raise _Rejected(errors)
        before = KeyPerson.objects.filter(resident=resident, category=category, until__isnull=True).first()
        if before is not None:  # a blank cell keeps what is on record (as the other services do)
            attributes = {**before.attributes, **attributes}
        _obj, status = self._save(before, lambda: list_key_person(
            self.actor, resident, category,
            risk_level=v["risk_level"] or (before.risk_level if before else RiskLevel.LOW),
            attributes=attributes, worker=worker, since=v["since"],
            note=v["note"] or (before.note if before else ""), key_person=before, source=self.source))
        return status


def _key_flags(value: Any) -> list[str]:
    s = _text(value)
    if not s:
        return []
    table = {str(label): k for k, label in Unit.KEY_FLAGS.items()} | {k: k for k in Unit.KEY_FLAGS}
    out, bad = [], []
    for part in re.split(r"[、,，;；/\s]+", s):
        if part:
            (out.append(table[part]) if part in table else bad.append(part))
    if bad:
        raise _CellError("key_flags", _("重点单位类别无效：%(v)s（可选：%(c)s）") % {
            "v": "、".join(bad), "c": "、".join(str(v) for v in Unit.KEY_FLAGS.values())})
    return out


def _map_headers(kind: str, header_row: tuple, cols: list[Column]) -> dict[str, int]:
    """Column key → index. Unknown, duplicate or missing required headers reject the file."""
    wanted = {}
    for col in cols:
        for name in {col.header, col.title}:
            wanted[_norm_header(name)] = col
    ignored = {_norm_header(h) for h in REPORT_HEADERS} | {_norm_header(_(h)) for h in REPORT_HEADERS}
    positions: dict[str, int] = {}
    problems: list[str] = []
    for i, raw in enumerate(header_row):
        name = _norm_header(raw)
        if not name or name in ignored:
            continue
        col = wanted.get(name)
        if col is None:
            problems.append(_("第%(c)s列的列名“%(h)s”无法识别") % {"c": get_column_letter(i + 1), "h": _text(raw)})
        elif col.key in positions:
            problems.append(_("列名“%(h)s”重复") % {"h": _text(raw)})
        else:
            positions[col.key] = i
    missing = [c.title for c in cols if c.required and c.key not in positions]
    if missing:
        problems.insert(0, _("缺少必需的列：%(m)s") % {"m": "、".join(missing)})
    if problems:
        raise FileRejected(problems)
    return positions


def _is_hint_row(row: tuple, positions: dict[str, int], cols: list[Column]) -> bool:
    by_key = {c.key: c for c in cols}
    seen = False
    for key, i in positions.items():
        value = _text(row[i]) if i < len(row) else ""
        if not value:
            continue
        hint = by_key[key].hint
        if not hint or value not in (hint, _(hint)):
            return False
        seen = True
    return seen


def _open(path_or_file):
    try:
        return load_workbook(path_or_file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRejected([_("无法读取文件，请上传Excel 2007及以上版本的.xlsx文件（%(e)s）") % {
            "e": type(exc).__name__}]) from exc


def _rows(path_or_file) -> Iterator[tuple]:
    wb = _open(path_or_file)
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # trust the rows, not a stale <dimension> tag
        yield from ws.iter_rows(values_only=True)
    finally:
        wb.close()


def import_rows(actor, kind: str, path_or_file, source_name: str = "", *, chunk_size: int = CHUNK_SIZE,
                progress=None) -> ImportReport:
    """Import one sheet (the workbook's first) of ``kind`` rows as ``actor``. See the module docstring.

    Raises :class:`FileRejected` (nothing written) for an unreadable file or a bad header row and
    :class:`Forbidden` when the actor may not maintain the registry at all. ``progress(report)``, if
    given, is called after every committed chunk.
    """
    _check_kind(kind)
    if not can_write(actor):
        raise Forbidden(_("您无权维护基础数据"), code="not_permitted")
    started = time.perf_counter()
    name = source_name or (Path(path_or_file).name if isinstance(path_or_file, (str, Path)) else
                           getattr(path_or_file, "name", "") or "")
    report = ImportReport(kind=kind, source=name)
    categories = _key_categories() if kind == "key_persons" else []
    cols = columns(kind, categories)
    source_rows = _rows(path_or_file)
    rows = enumerate(source_rows, start=1)  # numbered as Excel shows them
    try:
        header = None
        for _number, row in rows:  # the first non-blank row holds the column names
            if any(_text(v) for v in row):
                header = row
                break
        if header is None:
            raise FileRejected([_("文件是空的：第一个工作表没有列名行")])
        positions = _map_headers(kind, header, cols)
        report.headers = [_text(h) for h in header]
        importer = _Importer(actor, kind, cols, positions, report, f"import:{name}"[:32], categories)
        chunk: list[tuple[int, tuple]] = []
        first = True
        for number, row in rows:
            if not any(_text(v) for v in row):
                continue
            if first:
                first = False
                if _is_hint_row(row, positions, cols):
                    continue
            chunk.append((number, row))
            if len(chunk) >= chunk_size:
                importer.run(chunk)
                chunk = []
                if progress:
                    progress(report)
        if chunk:
            importer.run(chunk)
            if progress:
                progress(report)
    finally:
        source_rows.close()  # closes the workbook (and its file handle)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


# --- export -------------------------------------------------------------------------------------

# what a full export reveals, per kind (written to the AccessLog)
FULL_FIELDS = {
    "residents": ["id_number", "phone"],
    "houses": ["owner_phone"],
    "units": ["phone"],
    "key_persons": ["id_number"],
}
_MODELS = {"residents": Resident, "houses": House, "units": Unit, "key_persons": KeyPerson}
_DATE_FORMAT = "yyyy-mm-dd"


def default_queryset(user, kind: str):
    """What ``user`` may export of ``kind`` (open key-person listings only)."""
    _check_kind(kind)
    qs = _MODELS[kind].objects.visible_to(user)
    return qs.filter(until__isnull=True) if kind == "key_persons" else qs


def _address_values(address, region=None, grid=None) -> dict:
    if address is None:
        return {"region": region.code if region else "", "grid": grid.code if grid else ""}
    return {"region": address.region.code, "road": address.road, "building": address.building,
            "unit": address.unit, "floor": address.floor, "room": address.room,
            "grid": address.grid.code if address.grid_id else ""}


def _export_rows(kind: str, qs, full: bool, categories: list[KeyCategory]) -> Iterator[dict]:
    def phone(value: str) -> str:
        return value if full else crypto.mask_phone(value or "")

    def id_number(resident: Resident) -> str:
        return crypto.decrypt(resident.id_number_enc) if full else resident.id_masked

    def birth(value):
        # the full date is the 8 digits the masked number hides: a masked export gives the year only
        return value if full or value is None else str(value.year)

    labels = {
        "id_type": dict(Resident.IdType.choices), "household": dict(Resident.Household.choices),
        "structure": dict(House.Structure.choices), "use": dict(House.Use.choices),
        "status": dict(House.Status.choices), "kind": dict(Unit.Kind.choices), "risk": dict(RiskLevel.choices),
        "sex": {"M": "男", "F": "女"},
    }

    def label(table: str, value: str) -> str:
        return str(labels[table].get(value, value or ""))

    if kind == "residents":
        qs = qs.select_related("house__address__region", "house__address__grid", "region", "grid")
        for r in qs.iterator(chunk_size=2000):
            yield {
                "name": r.name, "id_type": label("id_type", r.id_type), "id_number": id_number(r),
                "sex": label("sex", r.sex), "birth_date": birth(r.birth_date), "phone": phone(r.phone),
                "household": label("household", r.household), "hukou_place": r.hukou_place,
                "relation": r.relation, "moved_in": r.moved_in,
                **_address_values(r.house.address if r.house_id else None, r.region, r.grid),
            }
    elif kind == "houses":
        qs = qs.select_related("address__region", "address__grid")
        for h in qs.iterator(chunk_size=2000):
            yield {
                **_address_values(h.address), "structure": label("structure", h.structure),
                "use": label("use", h.use), "status": label("status", h.status),
                "area": float(h.area) if h.area is not None else None, "owner_name": h.owner_name,
                "owner_phone": phone(h.owner_phone),
            }
    elif kind == "units":
        qs = qs.select_related("address__region", "address__grid")
        for u in qs.iterator(chunk_size=2000):
            yield {
                "name": u.name, "uscc": u.uscc, "kind": label("kind", u.kind), "legal_rep": u.legal_rep,
                "contact": u.contact, "phone": phone(u.phone),
                "key_flags": "、".join(str(Unit.KEY_FLAGS.get(f, f)) for f in u.key_flags),
                "employees": u.employees, **_address_values(u.address),
            }
    else:
        qs = qs.select_related("resident", "category", "worker")
        for kp in qs.iterator(chunk_size=2000):
            row = {
                "name": kp.resident.name, "id_type": label("id_type", kp.resident.id_type),
                "id_number": id_number(kp.resident), "category": kp.category.name,
                "risk_level": label("risk", kp.risk_level), "worker": kp.worker.username if kp.worker_id else "",
                "since": kp.since, "note": kp.note,
            }
            for spec in kp.category.attributes:
                value = kp.attributes.get(spec["key"])
                if value is None:
                    continue
                if spec.get("type") == "date":
                    try:
                        value = date.fromisoformat(str(value))
                    except ValueError:
                        pass
                row[f"attr:{spec.get('label', spec['key'])}"] = value
            yield row


def export_workbook(user, kind: str, queryset=None, *, full: bool = False, reason: str = "",
                    path: str | Path | None = None) -> bytes | Path:
    """Stream ``queryset`` (default: everything ``user`` may see) to .xlsx with the template's columns.

    Identity numbers and phones are masked unless ``full`` — which needs the
    ``registry.export_personal_data`` permission (else :class:`Forbidden`) and a reason (else
    :class:`ValidationFailed`), and is written to the AccessLog with the number of records.
    The queryset is intersected with what the user may see whatever the caller passed.
    Returns the bytes, or writes ``path`` and returns it.
    """
    _check_kind(kind)
    reason = (reason or "").strip()
    if full:
        if not scope.may_export_full(user):
            raise Forbidden(_("您没有导出完整个人信息的权限"), code="not_permitted")
        if len(reason) < 2:
            raise ValidationFailed(_("导出完整个人信息须填写事由"), {"reason": [_("请填写导出事由")]})
    if kind == "key_persons" and not scope.may_see_key_person_details(user):
        raise Forbidden(_("您无权导出重点人员明细"), code="not_permitted")
    model = _MODELS[kind]
    visible = model.objects.visible_to(user)
    qs = default_queryset(user, kind) if queryset is None else queryset
    if qs.model is not model:
        raise ValueError(f"a {model.__name__} queryset is needed for {kind}")
    qs = qs.filter(pk__in=visible.values("pk")).order_by("pk")
    categories = _key_categories() if kind == "key_persons" else []
    cols = columns(kind, categories)

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_(KIND_LABELS[kind]))
    for i, col in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(col.width, len(col.title) * 2 + 2)
    ws.freeze_panes = "A2"
    head = []
    for col in cols:
        cell = WriteOnlyCell(ws, value=col.title)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        head.append(cell)
    ws.append(head)
    count = 0
    for values in _export_rows(kind, qs, full, categories):
        out = []
        for col in cols:
            value = values.get(col.key)
            if isinstance(value, date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = _DATE_FORMAT
                value = cell
            out.append(xml_safe(value))  # one stored control character must not break the export
        ws.append(out)
        count += 1
    target: Any = path if path is not None else io.BytesIO()
    wb.save(target)
    if full:
        try:
            log_export(user, model._meta.model_name, FULL_FIELDS[kind], count, reason)
        except Exception:
            if path is not None:
                Path(path).unlink(missing_ok=True)
            raise
    return Path(path) if path is not None else target.getvalue()

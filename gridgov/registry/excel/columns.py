"""The columns of each kind (the template's, the import's and the export's): Chinese headers, hints, dropdown
choices, text-formatted code columns, and the service error fields reported on each; the key-person
attribute columns come from the active categories.  Kinds: ``residents``, ``houses``, ``units``,
``key_persons``."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from openpyxl.styles import Font, PatternFill

from gridgov.core.errors import ValidationFailed
from gridgov.registry.models import House, KeyCategory, Resident, RiskLevel, Unit

KINDS = ("residents", "houses", "units", "key_persons")
KIND_LABELS = {
    "residents": N_("实有人口"),
    "houses": N_("实有房屋"),
    "units": N_("实有单位"),
    "key_persons": N_("重点人员"),
}
# columns of a rejected-rows report; the importer ignores them so a corrected report can be re-imported
REPORT_HEADERS = (N_("行号"), N_("列"), N_("原因"))


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


def key_categories() -> list[KeyCategory]:
    return list(KeyCategory.objects.filter(active=True).order_by("order", "code"))


def _key_person_columns(categories: list[KeyCategory] | None = None) -> list[Column]:
    categories = key_categories() if categories is None else categories
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
    taken = {norm_header(_(c.header)) for c in cols}
    by_label: dict[str, list[tuple[KeyCategory, dict]]] = {}
    for cat in categories:
        for spec in cat.attributes:
            by_label.setdefault(spec.get("label", spec["key"]), []).append((cat, spec))
    for label, owners in by_label.items():
        header = label if norm_header(label) not in taken else f"{owners[0][0].name}-{label}"
        taken.add(norm_header(header))
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


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValidationFailed(_("未知的导入类型：%(k)s（可选 residents/houses/units/key_persons）") % {"k": kind},
                               {"kind": [_("类型无效")]})


_PAREN = re.compile(r"[（(][^）)]*[）)]")


def norm_header(value: Any) -> str:
    s = unicodedata.normalize("NFKC", str(value or ""))
    s = _PAREN.sub("", s)
    return re.sub(r"[\s*/、:：]", "", s)


# the header row's look (template, rejected-rows report, export)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_FONT = Font(bold=True)

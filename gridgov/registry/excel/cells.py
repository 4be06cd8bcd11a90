"""Cell values as the import reads them: text, document numbers (a float cell has lost digits and is refused),
dates in the usual spellings, choices by label or code, integers, key-unit flags.  A bad cell raises
:class:`CellError` naming its column key."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from gridgov.registry.models import Resident, RiskLevel, Unit

MAX_ID_FLOAT_HINT = N_("证件号码被Excel存成了数字（如1.10105194912e+17），后几位已丢失，请将该列设为“文本”格式后重新填写")


class CellError(Exception):
    def __init__(self, key: str, reason: str):
        super().__init__(reason)
        self.key, self.reason = key, reason


def as_text(value: Any) -> str:
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


def as_document_number(value: Any) -> str:
    """ID numbers: text or an exact integer cell. A float cell has lost digits: refuse it, never guess."""
    if isinstance(value, float):
        raise CellError("id_number", _(MAX_ID_FLOAT_HINT))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    s = as_text(value).lstrip("'").replace(" ", "")
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", s):  # typed/pasted as 1.10105194912E+17
        raise CellError("id_number", _(MAX_ID_FLOAT_HINT))
    return s


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def as_date(value: Any, key: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        s = as_text(value)
        if not re.fullmatch(r"\d{8}", s):
            raise CellError(key, _("日期格式不正确，请写成2024-01-05"))
    else:
        s = unicodedata.normalize("NFKC", str(value)).strip()
        s = s.split(" ")[0] if re.match(r"^\d{4}-\d{1,2}-\d{1,2} \d", s) else s  # "2024-01-05 00:00:00"
    for pattern in _DATE_PATTERNS:
        m = pattern.match(s)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                raise CellError(key, _("日期不存在：%(v)s") % {"v": s}) from None
    raise CellError(key, _("日期格式不正确，请写成2024-01-05"))


def _choice_table(choices) -> dict[str, str]:
    return {str(label): v for v, label in choices} | {str(v): v for v, _label in choices}


def _not_a_choice(key: str, s: str, choices) -> CellError:
    return CellError(key, _("“%(v)s”不是可选值（%(c)s）") % {"v": s, "c": "/".join(str(lb) for _v, lb in choices)})


def as_choice(value: Any, key: str, choices, default: str = "") -> str:
    s = as_text(value)
    if not s:
        return default
    table = _choice_table(choices)
    if s in table:
        return table[s]
    raise _not_a_choice(key, s, choices)


class ChoiceParser:
    """``as_choice`` for a fixed list of choices, its table of labels made once per language (a label is
    translated when the table is made, as ``as_choice`` does on every call)."""

    def __init__(self, key: str, choices, default: str = ""):
        self.key, self.choices, self.default = key, list(choices), default
        self.tables: dict[str | None, dict[str, str]] = {}

    def __call__(self, value: Any) -> str:
        s = as_text(value)
        if not s:
            return self.default
        language = get_language()
        table = self.tables.get(language)
        if table is None:
            table = self.tables[language] = _choice_table(self.choices)
        if s in table:
            return table[s]
        raise _not_a_choice(self.key, s, self.choices)


_ID_TYPE_ALIASES = {"身份证": Resident.IdType.RIC, "二代身份证": Resident.IdType.RIC}
RISK_ALIASES = {"高风险": RiskLevel.HIGH, "中风险": RiskLevel.MEDIUM, "低风险": RiskLevel.LOW}


_ID_TYPES = ChoiceParser("id_type", Resident.IdType.choices, Resident.IdType.RIC)


def as_id_type(value: Any) -> str:
    s = as_text(value)
    return _ID_TYPE_ALIASES.get(s) or _ID_TYPES(s)


def as_int(value: Any, key: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = as_text(value)
    if not re.fullmatch(r"\d{1,9}", s):
        raise CellError(key, _("应为非负整数"))
    return int(s)


def as_key_flags(value: Any) -> list[str]:
    s = as_text(value)
    if not s:
        return []
    table = {str(label): k for k, label in Unit.KEY_FLAGS.items()} | {k: k for k in Unit.KEY_FLAGS}
    out, bad = [], []
    for part in re.split(r"[、,，;；/\s]+", s):
        if part:
            (out.append(table[part]) if part in table else bad.append(part))
    if bad:
        raise CellError("key_flags", _("重点单位类别无效：%(v)s（可选：%(c)s）") % {
            "v": "、".join(bad), "c": "、".join(str(v) for v in Unit.KEY_FLAGS.values())})
    return out

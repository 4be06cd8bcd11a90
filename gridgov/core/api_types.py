"""Input types every API endpoint shares, so that no input reaches the database out of its range.

- ``PageParams``: the one pagination input of every list (``limit`` 1..200, ``offset`` 0..2³¹−1); out of range is a
  422 field error, never silently clamped.
- ``Id``: a path id (1..2⁶³−1, the range of a BigAutoField); ``RefId`` the same in a body.
- ``Count``: a count of people, employees, days… (0..2³¹−1, the range of a PositiveIntegerField on PostgreSQL).
- ``Lng`` / ``Lat``: WGS-84 degrees, finite; ``Coordinate`` finite only (for bodies whose service checks the range).
- ``text(n)``: a string of at most n characters (longer is a field error, never cut).
- ``Moment``: a date-time between the years 1900 and 2200 (a date-time near year 1 or 9999 with an offset
  overflows when converted to UTC).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Path, Schema
from pydantic import AfterValidator, Field, Strict, StringConstraints

INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1
MAX_LIMIT = 200
MAX_OFFSET = INT32_MAX
MIN_YEAR, MAX_YEAR = 1900, 2200


class Error(Schema):
    """Every error answer: ``code`` (machine), ``message`` (Chinese), ``fields`` (field → Chinese messages) and,
    for a 422 from validation, ``detail`` (field → the validator's English text)."""

    code: str
    message: str
    fields: dict[str, list[str]] | None = None
    detail: dict[str, list[str]] | None = None


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description=f"每页条数 1–{MAX_LIMIT}")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="跳过的条数")

    def window(self, rows):
        """The page of a queryset or list."""
        return rows[self.offset: self.offset + self.limit]


Id = Annotated[int, Path(..., ge=1, le=INT64_MAX)]
RefId = Annotated[int, Field(ge=1, le=INT64_MAX)]
Count = Annotated[int, Field(ge=0, le=INT32_MAX)]
Lng = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
# a coordinate in a body whose service checks the range itself (its error names the field "location")
Coordinate = Annotated[float, Field(allow_inf_nan=False)]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
# a JSON number only (an integer too): never a boolean (true would read as 1) nor a numeric string — a 422 float_type
StrictCoordinate = Annotated[float, Strict(), Field(allow_inf_nan=False)]


def _moment_in_range(value: datetime) -> datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"年份须在 {MIN_YEAR}–{MAX_YEAR} 之间")
    return value


Moment = Annotated[datetime, AfterValidator(_moment_in_range)]

LONG_TEXT = 5000  # descriptions, notes, findings, minutes, terms: long enough for any real text, bounded


def text(max_length: int = LONG_TEXT):
    """A string of at most ``max_length`` characters (the model column's length): longer is a 422 field error
    ``不能超过 N 个字符``, never cut."""
    return Annotated[str, StringConstraints(max_length=max_length)]

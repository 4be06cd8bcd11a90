"""The risk matrix (风险矩阵) that grades a risk-register item from its likelihood and impact (1–5 each).

The matrix is written out cell by cell (not a formula) so that it reads the same here, in docs/assessments.md
and on the pages: rows are the likelihood (可能性) 5 → 1, columns the impact (影响程度) 1 → 5.

    可能性＼影响   1   2   3   4   5
        5         中  中  高  高  高
        4         低  中  中  高  高
        3         低  中  中  中  高
        2         低  低  中  中  中
        1         低  低  低  中  中

An item almost certain to happen with a serious impact is 高; a rare one with a small impact is 低; a
catastrophic impact (5) is never 低 however unlikely, and a certain one (5) never 低 however small.
"""

from __future__ import annotations

HIGH, MEDIUM, LOW = "high", "medium", "low"
ORDER = (LOW, MEDIUM, HIGH)

_ROWS = {  # likelihood → grades for impact 1..5
    5: "中中高高高",
    4: "低中中高高",
    3: "低中中中高",
    2: "低低中中中",
    1: "低低低中中",
}
_CODE = {"高": HIGH, "中": MEDIUM, "低": LOW}
MATRIX: dict[tuple[int, int], str] = {
    (likelihood, impact): _CODE[row[impact - 1]] for likelihood, row in _ROWS.items() for impact in range(1, 6)
}


def grade(likelihood: int, impact: int) -> str:
    """高 / 中 / 低 (``high`` / ``medium`` / ``low``) of an item; ValueError outside 1–5."""
    try:
        return MATRIX[(int(likelihood), int(impact))]
    except KeyError:
        raise ValueError(f"likelihood and impact must be 1–5, got {likelihood}, {impact}") from None


def highest(grades) -> str | None:
    """The highest grade among ``grades`` (None when there are none): the level the register suggests."""
    present = [g for g in grades if g in ORDER]
    return max(present, key=ORDER.index) if present else None


def rows_for_display() -> list[dict]:
    """The matrix as rows (likelihood 5 → 1) of cells (impact 1 → 5), for the pages."""
    return [{"likelihood": lk, "cells": [MATRIX[(lk, im)] for im in range(1, 6)]} for lk in range(5, 0, -1)]

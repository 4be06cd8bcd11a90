"""Small helpers the rule modules share: levels by a count against its threshold, a masked name, the place
code of a case."""

from __future__ import annotations

from gridgov.cases.warnrules import LEVELS


def level_by_multiple(n: float, k: float, base: str = "yellow") -> str | None:
    """None below ``k``; ``base`` from ``k``, one step up at 2k and again at 3k (at most red)."""
    if k <= 0 or n < k:
        return None
    steps = 0 if n < 2 * k else (1 if n < 3 * k else 2)
    return LEVELS[min(LEVELS.index(base) + steps, len(LEVELS) - 1)]


def step_up(level: str, steps: int = 1) -> str:
    return LEVELS[min(LEVELS.index(level) + steps, len(LEVELS) - 1)]


def masked(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the board and the feed are seen by many."""
    name = name or ""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else "—"


def place_code(grid_code: str | None, region_code: str | None) -> str:
    return grid_code or region_code or ""

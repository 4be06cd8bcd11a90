"""The registry of early-warning rules (预警规则) that the warning engine (gridgov.warnings) runs.

A rule is a function ``fn(now, params) -> Iterable[Signal]`` registered with :func:`rule` from the app that
knows the data (the engine's own cross-domain rules in gridgov.warnings, a domain's own rule in its app, e.g.
the 稳评 tracking rule in gridgov.assessments). It looks at the whole city and yields one :class:`Signal` per
condition that holds now. The engine turns signals into warnings: a signal whose ``key`` matches an open
warning updates that warning (its numbers, level and cases) instead of opening a second one.

``params`` are the rule's :class:`Param` defaults overlaid with what an administrator configured (thresholds,
windows); a rule switched off is not run. Every rule and its parameters are documented in docs/warnings.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _

# the levels, lowest first (蓝 / 黄 / 橙 / 红)
LEVELS = ("blue", "yellow", "orange", "red")
LEVEL_LABELS = {"blue": _("蓝色"), "yellow": _("黄色"), "orange": _("橙色"), "red": _("红色")}


def higher(a: str, b: str) -> str:
    """The higher of two levels."""
    return a if LEVELS.index(a) >= LEVELS.index(b) else b


@dataclass(frozen=True)
class Param:
    """One configurable parameter of a rule: ``kind`` is int, float or bool; ``low``/``high`` bound a number."""

    key: str
    label: str
    default: int | float | bool
    kind: type = int
    low: float | None = None
    high: float | None = None
    help: str = ""


@dataclass
class Signal:
    """One condition a rule found true now.

    ``key``: the condition's identity, stable across runs while it lasts (e.g. ``hotspot:event:<grid>:<category>``)
    — the engine's de-duplication key. ``code``: the region or grid code of the place it concerns (the owner
    center and the scope follow from it). ``explanation``: Chinese, with the numbers. ``numbers``: the figures
    behind it (JSON-serialisable). ``cases``: ``(kind, id)`` of the cases behind it (``kind`` as the kernel's
    lifecycles name it, or ``keyperson``/``assessment``)."""

    rule: str
    key: str
    level: str
    code: str
    title: str
    explanation: str
    numbers: dict = field(default_factory=dict)
    cases: list[tuple[str, int]] = field(default_factory=list)
    point: tuple[float, float] | None = None  # (lng, lat), when the condition has a place on the map


@dataclass(frozen=True)
class RuleSpec:
    key: str
    label: str
    description: str
    params: tuple[Param, ...]
    fn: Callable[[datetime, dict], Iterable[Signal]]
    enabled: bool = True  # switched on until an administrator says otherwise

    def defaults(self) -> dict:
        return {p.key: p.default for p in self.params}


_rules: dict[str, RuleSpec] = {}


def rule(key: str, label: str, description: str, params: tuple[Param, ...] = (), enabled: bool = True):
    """Register the decorated function as the rule ``key`` (registering again replaces it)."""

    def register(fn):
        _rules[key] = RuleSpec(key, label, description, tuple(params), fn, enabled)
        return fn

    return register


def rules() -> list[RuleSpec]:
    """Every registered rule, in the order of their keys."""
    return [_rules[k] for k in sorted(_rules)]


def spec(key: str) -> RuleSpec:
    return _rules[key]

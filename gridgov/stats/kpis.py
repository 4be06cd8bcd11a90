"""The KPIs (考核指标): each a ratio of two counts, with its published formula (docs/evaluation.md).

The counts of a region and period are :class:`Counts`: the rollup measures summed over the cases reported in
the period (a cohort: what those cases have become by the moment of evaluation) plus what the open ones of the
cohort owe at that moment. A KPI is ``numerator / denominator``; with a zero denominator it has no value
(None, shown as "—"), never 0 % or 100 %.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import TALLY_MEASURES

# what the open cases of a cohort add at the moment of evaluation (gridgov.stats.queries)
OPEN_MEASURES = ("open", "open_due", "overdue", "near_due")


@dataclass
class Counts:
    """The counts of one region (or department) for one period."""

    values: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, name: str) -> int:
        if name == "due":
            return self.due
        return int(self.values.get(name, 0) or 0)

    @property
    def due(self) -> int:
        """应结案数: the cohort's closed cases, and its open ones whose 办结时限 has passed."""
        return self["closed"] + self["open_due"]

    def add(self, other: Counts) -> Counts:
        keys = set(self.values) | set(other.values)
        return Counts({k: self[k] + other[k] for k in keys})

    def as_dict(self) -> dict[str, int]:
        out = {k: self[k] for k in (*TALLY_MEASURES, *OPEN_MEASURES)}
        out["due"] = self.due
        return out


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    numerator: str
    denominator: str
    formula: str
    kinds: tuple[str, ...] = ("event",)
    higher_is_better: bool = True

    def value(self, counts: Counts) -> float | None:
        den = counts[self.denominator]
        if not den:
            return None
        return counts[self.numerator] / den


def percent(value: float | None, places: int = 2) -> str:
    """A ratio as the 通报 print it: 0.937242 → "93.72%" (half up, as people round); None → "—"."""
    if value is None:
        return "—"
    q = Decimal(1).scaleb(-places)
    return f"{(Decimal(str(value)) * 100).quantize(q, rounding=ROUND_HALF_UP)}%"


KPIS: tuple[Kpi, ...] = (
    Kpi("close_rate", _("结案率"), "closed", "due", _("结案数 ÷ 应结案数")),
    Kpi("on_time_close_rate", _("按期结案率"), "closed_on_time", "due", _("按期结案数 ÷ 应结案数")),
    Kpi("rework_rate", _("返工率"), "reworked", "due", _("返工案件数 ÷ 应结案数"), higher_is_better=False),
    Kpi("extension_rate", _("延期率"), "extended", "due", _("延期案件数 ÷ 应结案数"), higher_is_better=False),
    Kpi("return_rate", _("退回率"), "returned", "dispatched", _("退回案件数 ÷ 派遣案件数"), higher_is_better=False),
    Kpi("satisfaction_rate", _("满意率"), "satisfied", "rated", _("(满意 + 基本满意) ÷ 评价数"),
        kinds=("event",)),
    Kpi("in_grid_rate", _("小事不出格率"), "resolved_grid", "closed", _("网格内就地解决的结案数 ÷ 结案数")),
    Kpi("local_rate", _("就地化解率"), "resolved_local", "resolved_any",
        _("网格和乡镇(街道)层级化解数 ÷ 各层级化解数"), kinds=("event", "dispute")),
    Kpi("dispute_resolution_rate", _("矛盾纠纷化解率"), "succeeded", "valid", _("调解成功数 ÷ 受理数"),
        kinds=("dispute",)),
    Kpi("reply_rate", _("七日内回复率"), "replied_on_time", "reply_due",
        _("按期(7日内)程序性回复的来信和网上信访 ÷ 应回复数"), kinds=("petition",)),
)
KPI_BY_KEY = {k.key: k for k in KPIS}


def with_derived(counts: Counts) -> Counts:
    """Add the sums some KPIs divide: resolved in the grid or township, and resolved at any level."""
    v = dict(counts.values)
    v["resolved_local"] = counts["resolved_grid"] + counts["resolved_township"]
    v["resolved_any"] = v["resolved_local"] + counts["resolved_county"] + counts["resolved_city"]
    return Counts(v)


def kpis_of(counts: Counts, kind: str = "event") -> dict[str, float | None]:
    counts = with_derived(counts)
    return {k.key: k.value(counts) for k in KPIS if kind in k.kinds}

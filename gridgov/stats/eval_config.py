"""The evaluation's (考核) weights, targets and star thresholds: defaults, overrides and checks.

Three layers, the later overriding the earlier key by key (docs/evaluation.md, "## 考核 (evaluation)"):

1. the defaults below (documented in docs/evaluation.md);
2. ``settings.GRIDGOV["EVAL_WEIGHTS"]`` (``{"region"|"department"|"worker": {key: weight}}``),
   ``settings.GRIDGOV["EVAL_TARGETS"]`` (the grid workers' weekly targets) and
   ``settings.GRIDGOV["STAR_THRESHOLDS"]`` (``{"center"|"grid": [four ascending index values]}``) — a
   deployment's own scheme;
3. the administrator's 考核方案 (:class:`gridgov.stats.models.EvaluationScheme`, one row per subject), edited
   in the admin — what a city changes without a deployment.

A weight is a non-negative number; only their proportions matter (an index is the weighted mean of its
components' scores). A component without a denominator in a period (no disputes, no key persons) is left
out and the other weights count for the whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

SUBJECTS = ("region", "department", "worker")

# 平安指数 of a region or grid: each component a rate in [0, 1]
REGION_WEIGHTS = {
    "on_time_close_rate": 30,       # 按期结案率 (events)
    "in_grid_rate": 15,             # 小事不出格率 (events)
    "dispute_resolution_rate": 15,  # 矛盾纠纷化解率 (disputes)
    "reply_rate": 10,               # 七日内回复率 (petitions)
    "backlog_free_rate": 10,        # 1 − 信访积案 ÷ 在办信访 (at the period's moment)
    "control_rate": 20,             # 动态掌控率 (key persons)
}
# 综合指标值 of a department: the "bad" rates count as (1 − rate)
DEPARTMENT_WEIGHTS = {
    "sign_rate": 15,          # 按时签收率
    "handle_rate": 35,        # 按期处置率
    "rework_rate": 15,        # 返工率 (1 − rate)
    "return_rate": 10,        # 退回率 (1 − rate)
    "extension_rate": 10,     # 延期率 (1 − rate)
    "satisfaction_rate": 15,  # 满意率
}
# a grid worker's score: each component min(1, value ÷ target) (control_rate is a rate already)
WORKER_WEIGHTS = {
    "active_days": 20,   # 活跃天数 ÷ 工作日数
    "records": 20,       # 信息采集/更新条数 ÷ target
    "events": 25,        # 有效上报事件数 ÷ target
    "on_spot": 10,       # 就地解决数 ÷ target
    "control_rate": 25,  # 本人负责重点人员的动态掌控率
}
# what a grid worker is expected to do in a week (prorated by the days of the period that have passed)
WORKER_TARGETS = {"records": 10, "events": 5, "on_spot": 2}
# index from which a center (county, township, community) or a grid gets 2, 3, 4 and 5 stars
STAR_THRESHOLDS = {"center": [60, 70, 80, 90], "grid": [60, 70, 80, 90]}

DEFAULT_WEIGHTS = {"region": REGION_WEIGHTS, "department": DEPARTMENT_WEIGHTS, "worker": WORKER_WEIGHTS}


@dataclass(frozen=True)
class Scheme:
    subject: str
    weights: dict[str, float]
    targets: dict[str, float]
    stars: dict[str, list[float]]


def check_weights(subject: str, weights) -> dict[str, list[str]]:
    """Field errors of a weights mapping for ``subject`` (empty: good)."""
    known = DEFAULT_WEIGHTS[subject]
    if not isinstance(weights, dict):
        return {"weights": [_("权重必须是“指标: 权重”的对象")]}
    errors = []
    for key, value in weights.items():
        if key not in known:
            errors.append(_("未知指标：%(key)s（可用：%(known)s）") % {"key": key, "known": "、".join(known)})
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            errors.append(_("指标 %(key)s 的权重必须是不小于0的数") % {"key": key})
    if not errors and not any(v > 0 for v in {**known, **weights}.values()):
        errors.append(_("至少一个指标的权重要大于0"))
    return {"weights": errors} if errors else {}


def check_targets(targets) -> dict[str, list[str]]:
    if not isinstance(targets, dict):
        return {"targets": [_("目标值必须是“指标: 每周目标”的对象")]}
    errors = []
    for key, value in targets.items():
        if key not in WORKER_TARGETS:
            errors.append(_("未知目标：%(key)s（可用：%(known)s）") % {"key": key, "known": "、".join(WORKER_TARGETS)})
        elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            errors.append(_("目标 %(key)s 必须是大于0的数") % {"key": key})
    return {"targets": errors} if errors else {}


def check_stars(stars) -> dict[str, list[str]]:
    if not isinstance(stars, dict):
        return {"star_thresholds": [_("星级阈值必须是 {\"center\": […], \"grid\": […]} 形式的对象")]}
    errors = []
    for key, values in stars.items():
        if key not in STAR_THRESHOLDS:
            errors.append(_("未知对象：%(key)s（可用：center、grid）") % {"key": key})
            continue
        ok = (isinstance(values, list) and len(values) == 4
              and all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 100 for v in values)
              and all(a < b for a, b in zip(values, values[1:], strict=False)))
        if not ok:
            errors.append(_("%(key)s 的星级阈值必须是4个0–100之间、由小到大的数（二至五星的起点）") % {"key": key})
    return {"star_thresholds": errors} if errors else {}


def _from_settings(subject: str) -> tuple[dict, dict, dict]:
    conf = getattr(settings, "GRIDGOV", {}) or {}
    weights = (conf.get("EVAL_WEIGHTS") or {}).get(subject) or {}
    targets = (conf.get("EVAL_TARGETS") or {}) if subject == "worker" else {}
    stars = (conf.get("STAR_THRESHOLDS") or {}) if subject == "region" else {}
    return weights, targets, stars


def scheme(subject: str) -> Scheme:
    """The weights (and targets, star thresholds) in force for ``subject``."""
    from gridgov.stats.models import EvaluationScheme

    weights = dict(DEFAULT_WEIGHTS[subject])
    targets = dict(WORKER_TARGETS) if subject == "worker" else {}
    stars = {k: list(v) for k, v in STAR_THRESHOLDS.items()} if subject == "region" else {}
    layers = [_from_settings(subject)]
    row = EvaluationScheme.objects.filter(subject=subject).values("weights", "targets", "star_thresholds").first()
    if row:
        layers.append((row["weights"] or {}, row["targets"] or {}, row["star_thresholds"] or {}))
    for w, t, s in layers:
        if not check_weights(subject, w):
            weights.update(w)
        if subject == "worker" and not check_targets(t):
            targets.update(t)
        if subject == "region" and not check_stars(s):
            stars.update({k: list(v) for k, v in s.items()})
    return Scheme(subject, {k: float(v) for k, v in weights.items()}, targets, stars)

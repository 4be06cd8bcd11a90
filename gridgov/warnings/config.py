"""What an administrator configures per rule (:class:`~gridgov.warnings.models.RuleConfig`): validation of
the parameters against the rule's :class:`~gridgov.cases.warnrules.Param` list, and the effective settings
(the rule's defaults overlaid with the configured values)."""

from __future__ import annotations

import math

from django.utils.translation import gettext as _

from gridgov.cases import warnrules


def _number(param: warnrules.Param, value):
    """The value as the parameter's kind, or a Chinese message saying why not."""
    if param.kind is bool:
        if isinstance(value, bool):
            return value, None
        return None, _("请填写“是”或“否”")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None, _("请填写数字")
    try:
        number = param.kind(value) if not isinstance(value, str) else param.kind(value.strip())
    except (TypeError, ValueError):
        return None, _("请填写整数") if param.kind is int else _("请填写数字")
    if param.kind is int and isinstance(value, float) and not value.is_integer():
        return None, _("请填写整数")
    if isinstance(number, float) and not math.isfinite(number):
        return None, _("请填写有限的数字")
    if param.low is not None and number < param.low:
        return None, _("不能小于 %(n)s") % {"n": _fmt(param.low)}
    if param.high is not None and number > param.high:
        return None, _("不能大于 %(n)s") % {"n": _fmt(param.high)}
    return number, None


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def clean_params(rule_key: str, params) -> tuple[dict, dict[str, list[str]]]:
    """``(cleaned, errors)``: each given value converted to its parameter's kind and checked against its
    bounds; an unknown rule or parameter is an error (field-level, Chinese)."""
    try:
        spec = warnrules.spec(rule_key)
    except KeyError:
        return {}, {"rule": [_("未知的预警规则：%(r)s") % {"r": rule_key}]}
    if not isinstance(params, dict):
        return {}, {"params": [_("参数应为对象")]}
    known = {p.key: p for p in spec.params}
    cleaned, errors = {}, {}
    for key, value in params.items():
        param = known.get(key)
        if param is None:
            errors[str(key)] = [_("该规则没有此参数")]
            continue
        number, message = _number(param, value)
        if message:
            errors[key] = [message]
        else:
            cleaned[key] = number
    return cleaned, errors


def validate_params(rule_key: str, params) -> dict[str, list[str]]:
    return clean_params(rule_key, params)[1]


def effective(spec: warnrules.RuleSpec, configs: dict | None = None) -> tuple[bool, dict]:
    """``(enabled, params)`` of a rule: its defaults overlaid with the configured values (a stored value that
    no longer validates — the rule's bounds changed — falls back to the default)."""
    from gridgov.warnings.models import RuleConfig

    cfg = (configs or {}).get(spec.key) if configs is not None else RuleConfig.objects.filter(rule=spec.key).first()
    params = spec.defaults()
    if cfg is None:
        return spec.enabled, params
    cleaned, _errors = clean_params(spec.key, {k: v for k, v in (cfg.params or {}).items()
                                               if k in params and not validate_params(spec.key, {k: v})})
    params.update(cleaned)
    return cfg.enabled, params

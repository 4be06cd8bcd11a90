"""Template helpers for the registry pages: visit badges, rates, masked values, attribute rows."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from gridgov.core import crypto

register = template.Library()

# visit states use the colours of the event deadline badges
VISIT_CLASSES = {"ok": "sla-normal", "due_soon": "sla-near_due", "overdue": "sla-overdue"}


def visit_state_label(state: str) -> str:
    return {"ok": _("正常"), "due_soon": _("即将到期"), "overdue": _("已逾期")}.get(state, state)


@register.inclusion_tag("registry/_visit_badge.html")
def visit_badge(state: str):
    return {"state": state, "cls": VISIT_CLASSES.get(state, ""), "label": visit_state_label(state)}


@register.filter
def visit_label(state: str) -> str:
    return visit_state_label(state)


@register.filter
def pct(rate) -> str:
    """0.6667 → "66.7%", 1 → "100%"; no rate (nobody to visit) → "—"."""
    if rate is None:
        return "—"
    text = f"{float(rate) * 100:.1f}".removesuffix(".0")
    return f"{text}%"


@register.filter
def masked_phone(value: str) -> str:
    return crypto.mask_phone(value or "")


@register.filter
def attr_rows(key_person) -> list[tuple[str, str]]:
    """A key person's category attributes as (label, value), in the category's order."""
    values = key_person.attributes or {}
    rows = []
    for spec in key_person.category.attributes or []:
        value = values.get(spec.get("key"))
        if value not in (None, ""):
            rows.append((spec.get("label") or spec.get("key"), str(value)))
    return rows


@register.filter
def risk_class(level: str) -> str:
    return {"high": "risk-high", "medium": "risk-medium", "low": "risk-low"}.get(level, "")


@register.filter
def startswith(value, prefix) -> bool:
    return str(value or "").startswith(str(prefix))

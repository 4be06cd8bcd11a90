"""Template helpers for petition pages: SLA state of the stage and of a letter's 7-day reply."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html

from gridgov.petitions import sla

register = template.Library()


@register.filter
def petition_sla(p) -> str | None:
    return sla.sla_state(p)


@register.filter
def petition_backlog(p) -> bool:
    return sla.is_backlog(p)


@register.simple_tag
def petition_sla_badge(p):
    parts = []
    state = sla.sla_state(p)
    if state:
        parts.append(format_html('<span class="badge sla-{}">{}</span> <span class="deadline">{}</span>', state,
                                 sla.LABELS[state], timezone.localtime(p.deadline).strftime("%m-%d") if p.deadline else ""))
    ack = sla.ack_state(p)
    if ack in (sla.NEAR_DUE, sla.OVERDUE):
        parts.append(format_html(' <span class="badge sla-{}">{}</span>', ack,
                                 "七日回复即将到期" if ack == sla.NEAR_DUE else "七日未回复"))
    return format_html("".join(["{}"] * len(parts)), *parts) if parts else ""


@register.filter
def petition_action_label(code: str) -> str:
    from gridgov.petitions.workflow import TRANSITIONS

    if code == "register":
        return "登记"
    t = TRANSITIONS.get(code)
    return str(t.label) if t else code


@register.filter
def petition_status_label(code: str) -> str:
    from gridgov.petitions.models import Status

    return str(dict(Status.choices).get(code, code)) if code else ""


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping and key else None

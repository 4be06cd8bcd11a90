"""Template helpers for the event pages: state and action labels, the SLA, status and supervision
badges, the time left.  ``{% load events_tags %}``; the generic ones (``query_with``, ``get_item`` …)
are the shell's ``gridgov_web``."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.events import sla, workflow
from gridgov.events.models import Status, Supervision

register = template.Library()

STATUS_LABELS = dict(Status.choices)


@register.filter
def status_label(code: str) -> str:
    if not code:
        return ""
    return str(STATUS_LABELS.get(code, code))


@register.filter
def action_label(code: str) -> str:
    if code == "report":
        return _("上报")
    t = workflow.TRANSITIONS.get(code)
    return str(t.label) if t else code


@register.filter
def mask_phone(phone: str) -> str:
    return workflow.mask_phone(phone) if phone else ""


@register.filter
def sla_of(event) -> str | None:
    return sla.sla_state(event)


@register.inclusion_tag("events/_sla_badge.html")
def sla_badge(event, with_deadline: bool = False):
    state = sla.sla_state(event)
    return {
        "state": state,
        "label": sla.LABELS.get(state, "") if state else "",
        "event": event,
        "with_deadline": with_deadline,
        "remaining": deadline_text(event) if state else "",
    }


@register.simple_tag
def deadline_text(event, now: datetime | None = None) -> str:
    """The time left ("剩余 x 小时") or overdue ("已超期 x 小时") in wall-clock time; minutes under an hour."""
    if event.deadline is None or event.status not in workflow.OPEN_STATUSES:
        return ""
    now = now or timezone.now()
    seconds = int((event.deadline - now).total_seconds())
    overdue = seconds <= 0
    seconds = abs(seconds)
    hours, minutes = seconds // 3600, (seconds % 3600) // 60
    if overdue:
        if hours:
            return _("已超期 %(n)d 小时") % {"n": hours}
        return _("已超期 %(n)d 分钟") % {"n": max(minutes, 1)}
    if hours:
        return _("剩余 %(n)d 小时") % {"n": hours}
    return _("剩余 %(n)d 分钟") % {"n": max(minutes, 1)}


@register.inclusion_tag("events/_status_badge.html")
def status_badge(event):
    return {"status": event.status, "label": event.get_status_display()}


@register.inclusion_tag("events/_supervision_badge.html")
def supervision_badge(event):
    labels = {Supervision.YELLOW: _("黄牌"), Supervision.RED: _("红牌")}
    return {"level": event.supervision, "label": labels.get(event.supervision, "")}

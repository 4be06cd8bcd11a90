"""Template helpers for the event pages: state and action labels, the SLA, status and supervision
badges, the time left.  ``{% load events_tags %}``; the generic ones (``query_with``, ``get_item`` …)
are the shell's ``gridgov_web``."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html
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


# The badges are built in Python (format_html escapes every value), not as inclusion templates: a worklist
# page draws three a row, 90 a page, and a sub-template render each was a fifth of the page's time.


@register.simple_tag
def sla_badge(event, with_deadline: bool = False):
    state = sla.sla_state(event)
    if not state:
        return ""
    badge = format_html('<span class="badge sla-{}">{}</span>', state, sla.LABELS.get(state, ""))
    if not with_deadline:
        return badge
    provisional = format_html(' <abbr class="provisional" title="{}">{}</abbr>',
                              _("该期限所在年份的法定节假日安排尚未公布，暂按周末计算，可能调整"), _("暂定")
                              ) if event.deadline_provisional else ""
    return format_html('{} <span class="deadline">{} · {}{}</span>', badge, _local(event.deadline, "m-d H:i"),
                       deadline_text(event), provisional)


def _local(value: datetime | None, fmt: str) -> str:
    """``value|date:fmt`` as a template shows it: in the current time zone; nothing for no value."""
    if value is None:
        return ""
    return dateformat.format(timezone.localtime(value) if timezone.is_aware(value) else value, fmt)


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


@register.simple_tag
def status_badge(event):
    return format_html('<span class="badge st-{}" data-testid="status-badge">{}</span>', event.status,
                       event.get_status_display())


@register.simple_tag
def supervision_badge(event):
    if not event.supervision:
        return ""
    labels = {Supervision.YELLOW: _("黄牌"), Supervision.RED: _("红牌")}
    return format_html('<span class="badge sup-{}">{}</span>', event.supervision, labels.get(event.supervision, ""))

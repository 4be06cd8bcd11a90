"""Template helpers for the web pages: badges, labels, deadlines, the header's notifications."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.models import Notification
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


@register.inclusion_tag("web/_sla_badge.html")
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


@register.inclusion_tag("web/_status_badge.html")
def status_badge(event):
    return {"status": event.status, "label": event.get_status_display()}


@register.inclusion_tag("web/_supervision_badge.html")
def supervision_badge(event):
    labels = {Supervision.YELLOW: _("黄牌"), Supervision.RED: _("红牌")}
    return {"level": event.supervision, "label": labels.get(event.supervision, "")}


@register.filter
def user_unit(user) -> str:
    """The center or department a user works for, for the header."""
    if not isinstance(user, User):
        return ""
    if user.role == User.Role.LIAISON and user.department_id:
        return user.department.name
    if user.region_id:
        region = user.region
        if user.role in (User.Role.OPERATOR, User.Role.LEADER) and region.has_center:
            return region.center_name
        return region.name
    return ""


@register.inclusion_tag("web/_notifications_menu.html", takes_context=True)
def notifications_menu(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    return {"show": True, "count": unread.count(), "latest": list(unread.order_by("-created_at")[:5])}


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (empty value: removed); page resets."""
    request = context["request"]
    q: QueryDict = request.GET.copy()
    q.pop("page", None)
    for key, value in changes.items():
        q.pop(key, None)
        if value not in (None, ""):
            q[key] = value
    encoded = q.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def get_item(mapping, key):
    if not mapping:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def minutes(delta) -> int:
    try:
        return int(delta.total_seconds() // 60)
    except AttributeError:
        return 0

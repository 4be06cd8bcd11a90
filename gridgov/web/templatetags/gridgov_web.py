"""Template helpers of the shell, for every app's pages: the header (the user's unit, the notifications
menu), query strings, dictionary lookups.  The event pages' own badges and labels are in
``events_tags`` (``gridgov/events/templatetags``)."""

from __future__ import annotations

from django import template
from django.http import QueryDict

from gridgov.accounts.models import User
from gridgov.core.models import Notification

register = template.Library()


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


NOTIFICATIONS_SHOWN = 5  # the header menu's latest unread messages


@register.inclusion_tag("web/_notifications_menu.html", takes_context=True)
def notifications_menu(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    latest = list(unread.order_by("-created_at", "-id")[:NOTIFICATIONS_SHOWN])
    # fewer than the menu holds: they are all of them, no need to count (one statement less on every page)
    count = len(latest) if len(latest) < NOTIFICATIONS_SHOWN else unread.count()
    return {"show": True, "count": count, "latest": latest}


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


@register.simple_tag(takes_context=True)
def map_spans(context) -> str:
    """The place layer's limits for this page's user, as data attributes (a visitor's views are smaller)."""
    from django.utils.html import format_html

    from gridgov.regions.outlines import outline_spans

    view, grids = outline_spans(getattr(context.get("request"), "user", None) or context.get("user"))
    return format_html('data-outlines-span="{}" data-outlines-grid-span="{}"', view, grids)

"""What the disputes app shows on other domains' pages, through ``gridgov.core.providers`` slots.

Registered from ``DisputesConfig.ready()``.  Slots filled here:

``event.banners`` — ``(event, user)`` → ``None`` or a dict with ``template`` (rendered with the dict as
    ``banner`` and the page's own context, e.g. ``event``) plus that template's values.  Shown in the
    head of the event page (``events/event_detail.html``).  Here: the link to the dispute the event was
    converted into, or — for an operator or administrator looking at an unconverted event of the 矛盾纠纷
    group — the 转为矛盾纠纷调解 button (``disputes.services.may_convert``).
"""

from __future__ import annotations

from gridgov.core import providers

EVENT_BANNER_TEMPLATE = "disputes/_event_banner.html"


def event_banner(event, user) -> dict | None:
    """The dispute an event became, or the offer to convert it; ``None`` for neither."""
    from gridgov.disputes.models import Dispute
    from gridgov.disputes.services import may_convert

    dispute = Dispute.objects.filter(event=event).only("number").first()
    if dispute is not None:
        return {"template": EVENT_BANNER_TEMPLATE, "dispute": dispute}
    if may_convert(user, event):
        return {"template": EVENT_BANNER_TEMPLATE, "may_convert": True}
    return None


def register() -> None:
    providers.provide("event.banners", event_banner)

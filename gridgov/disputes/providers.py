"""What the disputes app shows on other domains' pages, through ``gridgov.core.providers`` slots.

Registered from ``DisputesConfig.ready()``.  Slots filled here:

``event.banners`` — ``(event, user)`` → ``None`` or a dict with ``template`` (rendered with the dict as
    ``banner`` and the page's own context, e.g. ``event``) plus that template's values.  Shown in the
    head of the event page (``events/event_detail.html``).  Here: the link to the dispute the event was
    converted into, or — for an operator or administrator looking at an unconverted event of the 矛盾纠纷
    group — the 转为矛盾纠纷调解 button (``disputes.services.may_convert``).

``resident.cases`` — ``(resident, user)`` → a list of rows for the 矛盾纠纷与信访 card of the registry's resident
    page (``registry/resident_detail.html``), one per case: a dict with ``url``, ``number``, ``kind``, ``detail``,
    ``status``, ``date`` (a datetime, shown as its day) and ``object`` (the case itself).  Here: the disputes
    the resident is a party to, as far as ``user`` may see them, newest first, at most 50 (order 10: before
    the petitions).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.core import providers

EVENT_BANNER_TEMPLATE = "disputes/_event_banner.html"
RESIDENT_CASES_LIMIT = 50


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


def disputes_of_resident(resident, user) -> list[dict]:
    from gridgov.disputes.models import Dispute

    disputes = (Dispute.objects.visible_to(user).filter(parties__resident=resident)
                .distinct().order_by("-created_at")[:RESIDENT_CASES_LIMIT])
    return [{"url": reverse("disputes:detail", args=[d.number]), "number": d.number, "kind": _("纠纷"),
             "detail": d.get_dispute_type_display(), "status": d.get_status_display(), "date": d.created_at,
             "object": d} for d in disputes]


def register() -> None:
    providers.provide("event.banners", event_banner)
    providers.provide("resident.cases", disputes_of_resident, order=10)

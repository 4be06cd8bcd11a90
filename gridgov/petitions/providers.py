"""What the petitions app shows on other domains' pages, through ``gridgov.core.providers`` slots.

Registered from ``PetitionsConfig.ready()``.  Slots filled here:

``resident.cases`` — ``(resident, user)`` → a list of rows for the 矛盾纠纷与信访 card of the registry's resident
    page (``registry/resident_detail.html``), one per case: a dict with ``url``, ``number``, ``kind``, ``detail``,
    ``status``, ``date`` (a datetime, shown as its day) and ``object`` (the case itself).  Here: the petitions
    the resident is a petitioner of, as far as ``user`` may see them, newest first, at most 50 (order 20: after
    the disputes).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.core import providers

RESIDENT_CASES_LIMIT = 50


def petitions_of_resident(resident, user) -> list[dict]:
    from gridgov.petitions.models import Petition

    petitions = (Petition.objects.visible_to(user).filter(petitioners__resident=resident)
                 .distinct().order_by("-registered_at")[:RESIDENT_CASES_LIMIT])
    return [{"url": reverse("petitions:detail", args=[p.number]), "number": p.number, "kind": _("信访"),
             "detail": p.subject, "status": p.get_status_display(), "date": p.registered_at, "object": p}
            for p in petitions]


def register() -> None:
    providers.provide("resident.cases", petitions_of_resident, order=20)

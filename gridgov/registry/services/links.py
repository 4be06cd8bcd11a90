"""What other domains hold about a registry record: the events that name a resident, house or unit, and the
disputes and petitions of a resident.

The registry sits below events, disputes and petitions and imports none of them: it asks
:mod:`gridgov.core.providers` slots, which those apps fill from their ``AppConfig.ready()``:

* ``event.by_number`` (number, user) — the event with that number ``user`` may see, or None
  (``gridgov/events/providers.py``);
* ``registry.events`` (record, user) — the events naming a resident, house or unit that ``user`` may see,
  newest first (``gridgov/events/providers.py``);
* ``registry.events_table`` () — the template that lists them (the events app's own table partial);
* ``resident.cases`` (resident, user) — rows for the resident page's 矛盾纠纷与信访 card
  (``gridgov/disputes/providers.py``, ``gridgov/petitions/providers.py``).

No provider (the app not installed): nothing to show and no event to link.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from gridgov.core import providers
from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.registry.models import EventSubject, House, Resident, Unit
from gridgov.registry.services.access import can_write

LINKED_LIMIT = 50  # rows a record's page shows per list


def find_event(user, number: str):
    """The event with this number that ``user`` may see, or None."""
    return providers.first("event.by_number", number, user) if number else None


def link_event(user, number: str, *, resident: Resident | None = None, house: House | None = None,
               unit: Unit | None = None):
    """Record that an event concerns a resident, house or unit (the pages' link form): (EventSubject, created).

    The user must be a registry writer, see the record (the caller checks) and see the event."""
    if not can_write(user):
        raise ValidationFailed(_("您无权维护基础数据"))
    number = (number or "").strip().upper()
    event = find_event(user, number)
    if event is None:
        raise ValidationFailed(_("未找到该事件"), {"number": [_("未找到该事件，或该事件不在您的管辖范围内")]})
    subject = {"resident": resident, "house": house, "unit": unit}
    subject = {k: v for k, v in subject.items() if v is not None}
    if len(subject) != 1:
        raise ValidationFailed(_("请指定一个关联对象"))
    return EventSubject.objects.get_or_create(event=event, **subject)


def link_to_event(user, event_number: str, obj):
    """Name a resident, house or unit on an event; both must be visible to ``user``."""
    event = find_event(user, (event_number or "").strip())
    if event is None:
        raise ValidationFailed(_("未找到该事件"), {"event": [_("未找到该事件，或不在您的管辖范围内")]})
    model = type(obj)
    if not model.objects.visible_to(user).filter(pk=obj.pk).exists():
        raise NotFound(_("未找到该记录"))
    field_name = {Resident: "resident", House: "house", Unit: "unit"}[model]
    link, _created = EventSubject.objects.get_or_create(event=event, **{field_name: obj})
    return link


def linked_cases(user, resident: Resident) -> list[dict]:
    """The disputes a resident is a party to and the petitions they brought, as far as ``user`` may see them:
    one row per case (``url``, ``number``, ``kind``, ``detail``, ``status``, ``date``, ``object``)."""
    return [row for rows in providers.collect("resident.cases", resident, user) for row in rows]


def events_table_template() -> str | None:
    """The template the 关联事件 card includes to list the events (None: no events app, nothing listed)."""
    return providers.first("registry.events_table")


def linked_events(user, obj, limit: int = LINKED_LIMIT) -> list:
    """The events naming this record that ``user`` may see, newest first."""
    events = providers.first("registry.events", obj, user)
    return list(events[:limit]) if events is not None else []

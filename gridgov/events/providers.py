"""What the events app gives other domains' pages, through ``gridgov.core.providers`` slots.

Registered from ``EventsConfig.ready()``.  Slots filled here:

``event.by_number`` — ``(number, user)`` → the event with that number (as typed, already trimmed) that
    ``user`` may see, or ``None``.  Asked by the registry when a writer links an event to a resident, house
    or unit (``registry.services.links``).

``registry.events`` — ``(record, user)`` → the events naming a registry record (a resident, house or unit,
    through ``registry.EventSubject``) that ``user`` may see, newest first: a queryset, which the asker
    slices.  Shown in the 关联事件 card of the resident, house and unit pages (``registry/_linked_events.html``).

``registry.events_table`` — ``()`` → the template that card includes to list them (this app's event table).
"""

from __future__ import annotations

from gridgov.core import providers


def event_by_number(number: str, user):
    from gridgov.events.models import Event

    return Event.objects.visible_to(user).filter(number=number).first() if number else None


def events_of_record(record, user):
    from gridgov.events.models import Event

    field_name = type(record)._meta.model_name  # resident / house / unit: EventSubject's field
    return (Event.objects.visible_to(user).filter(**{f"subjects__{field_name}": record}).distinct()
            .select_related("category", "region", "grid", "center").order_by("-created_at"))


def event_table_template() -> str:
    return "events/_event_table.html"


def register() -> None:
    providers.provide("event.by_number", event_by_number)
    providers.provide("registry.events", events_of_record)
    providers.provide("registry.events_table", event_table_template)

"""The slots the events app fills for the registry (gridgov/events/providers.py): finding an event to link to a
resident, house or unit, and the events a record's page lists."""

import pytest

from gridgov.core import providers
from gridgov.core.errors import ValidationFailed
from gridgov.events import services as events
from gridgov.events.taxonomy import install_default_categories
from gridgov.registry.services.links import link_to_event, linked_events
from gridgov.registry.tests.conftest import flat, resident  # noqa: F401


def test_the_events_app_fills_the_registry_slots():
    assert providers.registered("event.by_number") == ["gridgov.events.providers.event_by_number"]
    assert providers.registered("registry.events") == ["gridgov.events.providers.events_of_record"]


def test_an_event_names_a_resident_and_the_resident_page_lists_it(city, resident, client):  # noqa: F811
    install_default_categories()
    e, _ = events.create_event(city.worker_a, events.EventInput(category="0101", description="楼上漏水邻里争吵",
                                                                lng=116.005, lat=36.405))
    link_to_event(city.worker_a, e.number, resident)
    link_to_event(city.worker_a, e.number, resident)  # once is enough
    assert list(linked_events(city.operator_a, resident)) == [e]
    assert linked_events(city.liaison_cg, resident) == []
    with pytest.raises(ValidationFailed):
        link_to_event(city.worker_b, e.number, resident)
    client.force_login(city.operator_a)
    page = client.get(f"/registry/residents/{resident.pk}/").content.decode()
    assert e.number in page


def test_the_link_form_names_an_event_on_a_house_and_the_house_page_lists_it(city, flat, client):  # noqa: F811
    install_default_categories()
    e, _ = events.create_event(city.worker_a, events.EventInput(category="0101", description="楼道堆放杂物",
                                                                lng=116.005, lat=36.405))
    client.force_login(city.worker_a)
    r = client.post(f"/registry/houses/{flat.pk}/link-event/", {"number": e.number.lower()})
    assert r.status_code == 302
    assert e.number in client.get(f"/registry/houses/{flat.pk}/").content.decode()
    client.force_login(city.worker_b)  # an event and a house outside the user's scope: not found
    assert client.post(f"/registry/houses/{flat.pk}/link-event/", {"number": e.number}).status_code == 404

"""The slots the disputes app fills on other domains' pages (gridgov/disputes/providers.py)."""

from gridgov.core import providers
from gridgov.disputes import services
from gridgov.disputes.providers import EVENT_BANNER_TEMPLATE, event_banner
from gridgov.events import services as event_services
from gridgov.events.taxonomy import install_default_categories


def test_the_disputes_app_fills_the_event_banner_slot():
    assert "gridgov.disputes.providers.event_banner" in providers.registered("event.banners")


def test_the_event_banner_offers_conversion_then_links_the_dispute(city):
    install_default_categories()
    event, _ = event_services.create_event(city.worker_a, event_services.EventInput(
        category="0101", description="两户邻居因排水沟发生争吵", lng=116.005, lat=36.405))
    assert event_banner(event, city.worker_a) is None  # grid workers do not convert
    assert event_banner(event, city.operator_a) == {"template": EVENT_BANNER_TEMPLATE, "may_convert": True}
    parties = [{"role": "applicant", "name": "甲"}, {"role": "respondent", "name": "乙"}]
    dispute = services.convert_event(city.operator_a, event.number, parties)
    for user in (city.worker_a, city.operator_a):
        assert event_banner(event, user) == {"template": EVENT_BANNER_TEMPLATE, "dispute": dispute}


def test_an_event_outside_the_dispute_group_gets_no_banner(city):
    install_default_categories()
    event, _ = event_services.create_event(city.worker_a, event_services.EventInput(
        category="0301", description="道路垃圾未清理", lng=116.005, lat=36.405))
    assert event_banner(event, city.operator_a) is None

"""Open311 settings: ``settings.OPEN311`` (a dict, optional) over these defaults (docs/open311.md)."""

from __future__ import annotations

from django.conf import settings

DEFAULTS = {
    # the jurisdiction_id this server answers to (e.g. the city's domain "liaocheng.gov.cn"); empty: the host
    # name the request was sent to. A request naming another jurisdiction gets 404.
    "JURISDICTION": "",
    # discovery: who to contact about the API, and where a developer asks for a key
    "CONTACT": "",
    "KEY_SERVICE": "",
    # public reads (GET) per client address an hour
    "READS_PER_HOUR": 1200,
    # GET requests.*: the default and widest window of requested_datetime (days) and the largest page
    "WINDOW_DAYS": 90,
    "MAX_PAGE_SIZE": 1000,
}

# the day this server's interface last changed (discovery's changeset)
CHANGESET = "2026-12-02T00:00:00+08:00"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def get(name: str):
    return {**DEFAULTS, **getattr(settings, "OPEN311", {})}[name]

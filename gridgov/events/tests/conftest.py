from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gridgov.events import services
from gridgov.events.models import Category
from gridgov.events.taxonomy import install_default_categories

TZ = ZoneInfo("Asia/Shanghai")
# a Tuesday in an ordinary working week
MONDAY_0900 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


@pytest.fixture
def cats(city):
    install_default_categories()
    return {c.code: c for c in Category.objects.all()}


@pytest.fixture
def report(city, cats):
    """Report an event in grid A1 (township A) as worker A, or as someone else."""

    def _report(actor=None, lng=116.005, lat=36.405, category="0301", now=MONDAY_0900, **kw):
        data = services.EventInput(category=category, description=kw.pop("description", "路面有大量垃圾未清理"),
                                   lng=lng, lat=lat, **kw)
        event, _ = services.create_event(actor or city.worker_a, data, now=now)
        return event

    return _report

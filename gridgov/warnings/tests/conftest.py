from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridgov.cases.warnrules import Signal
from gridgov.events import services as event_services
from gridgov.events.models import Category
from gridgov.events.taxonomy import install_default_categories

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # a Monday
LATER = T0 + timedelta(hours=2)


@pytest.fixture
def cats(city):
    install_default_categories()
    return {c.code: c for c in Category.objects.all()}


@pytest.fixture
def report(city, cats):
    """Report an event in grid A1 (township A) as worker A, at T0 unless told otherwise."""

    def _report(actor=None, lng=116.005, lat=36.405, category="0301", now=T0, **kw):
        data = event_services.EventInput(category=category, description=kw.pop("description", "路面有大量垃圾未清理"),
                                         lng=lng, lat=lat, **kw)
        event, _ = event_services.create_event(actor or city.worker_a, data, now=now)
        return event

    return _report


def signal(code="371502001001001", key="hotspot:event:371502001001001:0301", level="yellow", cases=(), **kw):
    """A hotspot-like signal in grid A1 (township A) unless told otherwise."""
    kw.setdefault("title", "网格“市容环境”事件异常增多")
    kw.setdefault("explanation", "近 7 日发生 9 起，基线期望 2.1 起，泊松上界检验 p<0.01。")
    kw.setdefault("numbers", {"observed": 9, "expected": 2.1})
    return Signal(rule=kw.pop("rule", "hotspot"), key=key, level=level, code=code, cases=list(cases),
                  point=kw.pop("point", (116.005, 36.405)), **kw)

"""A small set of events for the command center's tests (API, pages, browser): reported twenty days ago in the
test city (gridgov.testing.make_city), in both townships, in every broad state — so that some are closed on
time, some open and already overdue, one rejected, one by hotline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from gridgov.events import services
from gridgov.events.models import Event
from gridgov.events.taxonomy import install_default_categories

A1 = (116.005, 36.405)
A2 = (116.015, 36.405)
B1 = (116.105, 36.405)


@dataclass
class World:
    t0: datetime
    events: list[Event]

    @property
    def month(self) -> str:
        return timezone.localtime(self.t0).strftime("%Y-%m")

    @property
    def day(self) -> str:
        return timezone.localdate(self.t0).isoformat()


def _act(user, e, action, now, **raw):
    services.perform_action(user, Event.objects.get(pk=e.pk), action, raw, now=now)


def _report(actor, where, now, category="0301", **kw):
    data = services.EventInput(category=category, description=kw.pop("description", "路面有大量垃圾未清理"),
                               lng=where[0], lat=where[1], **kw)
    return services.create_event(actor, data, now=now)[0]


def build_world(city, now: datetime | None = None) -> World:
    install_default_categories()
    now = now or timezone.now()
    # nine in the morning twenty days ago (local), so that every case of the set is reported on one day
    t0 = timezone.localtime(now - timedelta(days=20)).replace(hour=9, minute=0, second=0, microsecond=0)
    made = []
    made.append(_report(city.worker_a, A1, t0))                      # open, overdue by now
    e = _report(city.worker_a, A1, t0 + timedelta(minutes=10))
    _act(city.operator_a, e, "reject", t0 + timedelta(minutes=30), note="不属于受理范围")
    made.append(e)
    e = _report(city.worker_a, A1, t0 + timedelta(minutes=20), category="0101")
    _act(city.operator_a, e, "accept", t0 + timedelta(hours=1))
    _act(city.operator_a, e, "dispatch", t0 + timedelta(hours=1), lead_department="CG")
    _act(city.liaison_cg, e, "sign", t0 + timedelta(hours=2))
    _act(city.liaison_cg, e, "feedback", t0 + timedelta(hours=3), note="已处理")
    _act(city.operator_a, e, "verify_pass", t0 + timedelta(hours=4))
    _act(city.worker_a, e, "rate", t0 + timedelta(hours=5), rating="satisfied")
    made.append(e)                                                   # closed on time, satisfied
    e = _report(city.worker_a, A2, t0 + timedelta(minutes=30))
    _act(city.operator_a, e, "accept", t0 + timedelta(hours=1))
    _act(city.operator_a, e, "dispatch", t0 + timedelta(hours=1), lead_department="CG")
    made.append(e)                                                   # dispatched, overdue by now
    made.append(_report(city.operator_b, B1, t0 + timedelta(minutes=40), source="hotline"))
    e = _report(city.operator_b, B1, t0 + timedelta(minutes=50), source="hotline")
    _act(city.operator_b, e, "accept", t0 + timedelta(hours=1))
    _act(city.operator_b, e, "dispatch", t0 + timedelta(hours=1), lead_department="ZJ")
    _act(city.liaison_zj, e, "sign", t0 + timedelta(hours=2))
    _act(city.liaison_zj, e, "feedback", t0 + timedelta(hours=3), note="已处理")
    _act(city.operator_b, e, "verify_pass", t0 + timedelta(hours=4))
    made.append(e)                                                   # closed on time
    made.append(_report(city.worker_a, A1, now - timedelta(hours=1)))  # new today: not yet overdue
    return World(t0=t0, events=[Event.objects.get(pk=x.pk) for x in made])

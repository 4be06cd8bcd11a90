"""bench/generate.py's city, generated small on the test database, holds what the services would have written.

The generator writes events, log rows and statistics records in bulk (no workflow call), so these tests are
what keeps it honest: every event's log ends in its status, numbers are unique and the day counters ahead of
them, open cases carry the deadline and warning moment the calendar gives, closed ones the closing facts,
the rollups equal the kernel's recomputation, a sample replayed through the real engine writes the same
event fields and records, the worklist renders and a new report after the generation gets a fresh number.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

BENCH = Path(__file__).resolve().parents[3] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

N_EVENTS = 2_000


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    """The 聊城 divisions, the demo grids, people and 2,000 generated events, as bench/generate.py makes them —
    made once for this module inside a transaction that is rolled back after its last test (each test runs in
    a savepoint of it, so what one test writes is gone before the next)."""
    import generate

    from gridgov.core.notify import muted
    from gridgov.regions import services as regions

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            as_of = timezone.now().replace(microsecond=0)
            with muted():
                regions.import_divisions(BENCH.parent / "data" / "divisions" / "3715", "3715")
                regions.generate_demo_grids("3715", per_community=2)
                generate.subdivide_grids(5_000)
                generate.create_people()
                made = generate.generate_events(N_EVENTS, 7, as_of)
            yield {"as_of": as_of, "made": made}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def city(generated, db):
    return generated


def test_every_event_has_its_log_and_records_ending_in_its_status(city):
    from gridgov.cases.models import TransitionRecord
    from gridgov.events.models import Event, EventLog

    assert Event.objects.count() == N_EVENTS
    logs = Counter(EventLog.objects.values_list("event_id", flat=True))
    records = Counter(TransitionRecord.objects.filter(kind="event").values_list("case_id", flat=True))
    assert logs == records and len(logs) == N_EVENTS
    first = dict(EventLog.objects.filter(action="report").values_list("event_id", "created_at"))
    last_id = EventLog.objects.values("event_id").annotate(last=Max("id")).values_list("last", flat=True)
    last_to = dict(EventLog.objects.filter(id__in=list(last_id)).values_list("event_id", "to_status"))
    for pk, status, created in Event.objects.values_list("id", "status", "created_at"):
        assert first[pk] == created
        assert last_to[pk] == status
    # logs of an event run forward in time, in id order
    rows = list(EventLog.objects.order_by("event_id", "id").values_list("event_id", "created_at"))
    assert all(a[1] <= b[1] for a, b in zip(rows, rows[1:], strict=False) if a[0] == b[0])


def test_numbers_are_unique_and_the_day_counters_are_ahead_of_them(city):
    from gridgov.cases.models import DailySequence
    from gridgov.cases.numbers import next_number
    from gridgov.events.models import Event

    numbers = list(Event.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)
    per_day = Counter(n[2:10] for n in numbers)
    seq = {d.strftime("%Y%m%d"): last for d, last in DailySequence.objects.filter(prefix="SJ").values_list("day", "last")}
    assert seq == dict(per_day)
    assert max(int(n[10:]) for n in numbers if n[2:10] == max(per_day)) == per_day[max(per_day)]
    busiest = max(per_day, key=per_day.get)
    fresh = next_number(date(int(busiest[:4]), int(busiest[4:6]), int(busiest[6:])))
    assert int(fresh[10:]) == per_day[busiest] + 1 and fresh not in numbers
    # numbers follow the report order
    ordered = list(Event.objects.order_by("created_at", "id").values_list("number", flat=True))
    assert ordered == sorted(ordered)


def test_states_agree_with_closing_and_stage_fields(city):
    from gridgov.events.models import OPEN_STATUSES, Event

    as_of = city["as_of"]
    for e in Event.objects.all():
        closed = e.status == "closed"
        assert (e.closed_at is not None) == closed
        assert (e.closed_on_time is not None) == closed
        if closed:
            assert e.closed_on_time == (e.closed_at <= e.due_at)
        if e.status in OPEN_STATUSES:
            assert e.deadline is not None and e.stage_started_at <= e.warn_at <= e.deadline
        else:
            assert e.deadline is None and e.warn_at is None and e.deadline_unit == ""
        assert (e.merged_into_id is not None) == (e.status == "merged")
        assert e.created_at <= as_of
    merged = Event.objects.filter(status="merged").select_related("merged_into")
    for e in merged:
        assert e.merged_into.created_at < e.created_at


def test_grids_regions_centers_and_departments_link_up(city):
    from gridgov.events.models import Event

    for e in Event.objects.select_related("grid", "center", "region"):
        assert e.region_id == e.grid.community_id
        assert e.center.code == e.grid.code[:9]
        assert e.region.code == e.grid.code[:12]
    dispatched = Event.objects.filter(log__action="dispatch").distinct()
    leads = set(Event.objects.filter(lead_department__isnull=False).values_list("id", "lead_department_id"))
    assert set(dispatched.values_list("id", flat=True)) == {pk for pk, _d in leads}
    involved = set(Event.involved_departments.through.objects.values_list("event_id", "department_id"))
    assisting = set(Event.assisting_departments.through.objects.values_list("event_id", "department_id"))
    assert leads | assisting == involved and not leads & assisting


def test_open_deadlines_and_due_moments_are_the_calendars(city):
    from django.conf import settings

    from gridgov.cases import sla
    from gridgov.events import workflow
    from gridgov.events.models import OPEN_STATUSES, Event
    from gridgov.worktime import calendar as workcal

    open_ = list(Event.objects.filter(status__in=OPEN_STATUSES).select_related("category"))
    assert open_, "a year of cases leaves some open at as_of"
    for e in open_:
        if e.status in ("reported",):
            amount, unit = workcal.parse_limit(settings.GRIDGOV["ACCEPT_LIMIT"])
        elif e.status == "handled":
            amount, unit = workcal.parse_limit(settings.GRIDGOV["VERIFY_LIMIT"])
        else:
            amount, unit = e.category.time_limit, e.category.time_unit
        d = workcal.add_time(e.stage_started_at, amount, unit)
        assert (e.deadline, e.deadline_unit, e.deadline_provisional) == (d.at, unit, d.provisional)
        assert e.warn_at == sla.warn_moment(e.stage_started_at, e.deadline, unit)
    for e in Event.objects.select_related("category").order_by("?")[:200]:
        assert e.due_at == workflow.due_moment(e, e.created_at)


def test_rollups_equal_the_recomputation_and_the_engine_replays_the_same(city):
    import rollups

    rollups.rebuild_sql()
    assert rollups.check()["due_at_sample"] > 0  # exits (SystemExit) at the first difference
    assert rollups.replay(40) == {"replayed": 40}


def test_the_city_worklist_renders_and_a_new_report_gets_a_fresh_number(city, client):
    from gridgov.accounts.models import User
    from gridgov.cases.models import DailySequence
    from gridgov.events import services
    from gridgov.events.models import Event

    client.force_login(User.objects.get(username="op_city"))
    page = client.get(reverse("events:list"), {"status": "closed,rejected,merged,reported,accepted,dispatched,"
                                                              "handling,handled"})
    assert page.status_code == 200
    latest = Event.objects.order_by("-created_at").first()
    assert latest.number in page.content.decode()

    from gridgov.regions.models import GridStaff

    worker = User.objects.filter(username__startswith="gw_", username__endswith="002").order_by("id").first()
    grid = GridStaff.objects.select_related("grid").get(user=worker).grid
    ring = grid.boundary["coordinates"][0]
    lng = sum(p[0] for p in ring[:4]) / 4
    lat = sum(p[1] for p in ring[:4]) / 4
    event, created = services.create_event(worker, services.EventInput(category="0301", description="路面有垃圾",
                                                                       lng=lng, lat=lat))
    assert created and event.grid_id == grid.id
    today = timezone.localdate()
    assert DailySequence.objects.get(prefix="SJ", day=today).last == int(event.number[10:])
    assert Event.objects.filter(number=event.number).count() == 1


def test_the_working_time_axis_matches_the_calendar(db):
    import gen_calendar

    from gridgov.cases import sla
    from gridgov.worktime import calendar as workcal

    rng = random.Random(5)
    zone = workcal.local_zone()
    # the end of the package's years: deadlines into the next (unknown) year are provisional
    axis = gen_calendar.WorkAxis(date(2025, 11, 1), date(2027, 3, 31))
    cal = workcal.Calendar()
    base = datetime(2025, 12, 1, tzinfo=UTC)
    starts = [base + timedelta(seconds=rng.randrange(0, 395 * 86400)) for _ in range(300)]
    starts += [datetime(2026, 1, 5, 9, 30, tzinfo=zone), datetime(2026, 1, 5, 17, 30, tzinfo=zone),
               datetime(2026, 12, 31, 16, 0, tzinfo=zone), datetime(2026, 10, 1, 10, 0, tzinfo=zone)]
    for unit, amounts in (("working_hours", [1, 4, 7, 30]), ("working_days", [1, 3, 15]), ("natural_hours", [24])):
        for amount in amounts:
            us = np.array([gen_calendar.to_us(s) for s in starts])
            at, prov = axis.add_time(us, np.full(len(us), amount), np.full(len(us), gen_calendar.UNIT_CODES[unit]))
            for s, a, p in zip(starts, at.tolist(), prov.tolist(), strict=True):
                d = cal.add_time(s, amount, unit)
                assert (gen_calendar.from_us(a), p) == (d.at, d.provisional), (s, amount, unit)
            if unit != "natural_hours":
                warn = axis.warn_at(us, at, np.full(len(us), 1), 0.8)
                for s, a, w in zip(starts, at.tolist(), warn.tolist(), strict=True):
                    assert gen_calendar.from_us(w) == sla.warn_moment(s, gen_calendar.from_us(a), unit)

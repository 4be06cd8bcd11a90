"""The worklist filters behind the command center's numbers: report period, source, grid and ``measure``
(what a statistic counts). Each measure's filter selects exactly the events whose rollup share
(``EventLifecycle.tally_counts``) counts for it; bad input is a 400 with the field named, never a 500."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.events import counted, services, workflow
from gridgov.events.models import OPEN_STATUSES, Event, Status
from gridgov.events.tests.conftest import MONDAY_0900
from gridgov.events.workflow import LIFECYCLE
from gridgov.testing import image_bytes

T0 = MONDAY_0900


def act(user, event, action, now, **raw):
    services.perform_action(user, Event.objects.get(pk=event.pk), action, raw, now=now)


def close(city, e, now, fail_first=False):
    act(city.operator_a, e, "accept", now)
    act(city.operator_a, e, "dispatch", now, lead_department="CG")
    act(city.liaison_cg, e, "sign", now)
    act(city.liaison_cg, e, "feedback", now, note="已处理")
    if fail_first:
        act(city.operator_a, e, "verify_fail", now, note="未整改到位")
        act(city.liaison_cg, e, "sign", now)
        act(city.liaison_cg, e, "feedback", now, note="已返工")
    act(city.operator_a, e, "verify_pass", now)


@pytest.fixture
def varied(city, report):
    """Events in every state the counts tell apart, over three days and two townships."""
    made = []
    made.append(report())                                        # reported, open
    e = report(now=T0 + timedelta(hours=1))
    act(city.operator_a, e, "reject", T0 + timedelta(hours=2), note="不属于受理范围")
    made.append(e)
    e = report(now=T0 + timedelta(hours=2))
    close(city, e, T0 + timedelta(hours=5))
    act(city.worker_a, e, "rate", T0 + timedelta(hours=6), rating="satisfied")
    made.append(e)                                               # closed on time, satisfied
    e = report(lng=116.015, now=T0 + timedelta(days=1))          # grid A2
    close(city, e, T0 + timedelta(days=1, hours=3), fail_first=True)
    act(city.worker_a, e, "rate", T0 + timedelta(days=1, hours=4), rating="unsatisfied")
    made.append(e)                                               # reworked, rated, not satisfied
    e = report(now=T0 + timedelta(days=1))
    act(city.operator_a, e, "accept", T0 + timedelta(days=1, hours=1))
    act(city.operator_a, e, "dispatch", T0 + timedelta(days=1, hours=1), lead_department="CG")
    act(city.liaison_cg, e, "return", T0 + timedelta(days=1, hours=2), note="不属于本部门")
    made.append(e)                                               # returned, back at the center
    e = report(now=T0 + timedelta(days=1))
    act(city.operator_a, e, "accept", T0 + timedelta(days=1, hours=1))
    act(city.operator_a, e, "dispatch", T0 + timedelta(days=1, hours=1), lead_department="CG")
    act(city.liaison_cg, e, "sign", T0 + timedelta(days=1, hours=1))
    deadline = Event.objects.get(pk=e.pk).deadline
    act(city.liaison_cg, e, "request_extension", T0 + timedelta(days=1, hours=2), note="需采购材料",
        requested_deadline=(deadline + timedelta(days=7)).replace(microsecond=0).isoformat())
    act(city.operator_a, e, "approve_extension", T0 + timedelta(days=1, hours=3))
    made.append(e)                                               # extended, handling
    e, _ = services.create_event(city.worker_a, services.EventInput(
        category="0301", description="路边有垃圾袋，已当场清理", lng=116.005, lat=36.405, resolve_on_spot=True,
        on_spot_result="已清理", attachments=[SimpleUploadedFile("p.jpg", image_bytes("JPEG"), content_type="image/jpeg")]),
        now=T0 + timedelta(days=2))
    act(city.operator_a, e, "verify_pass", T0 + timedelta(days=2, hours=1))
    made.append(e)                                               # resolved in the grid
    e = report(now=T0 + timedelta(days=2))
    act(city.operator_a, e, "escalate", T0 + timedelta(days=2, hours=1), note="需区级协调")
    act(city.county_operator, e, "dispatch", T0 + timedelta(days=2, hours=1), lead_department="CG")
    act(city.liaison_cg, e, "sign", T0 + timedelta(days=2, hours=1))
    act(city.liaison_cg, e, "feedback", T0 + timedelta(days=2, hours=2), note="已处理")
    act(city.county_operator, e, "verify_pass", T0 + timedelta(days=2, hours=3))
    made.append(e)                                               # resolved by the county
    e = report(now=T0 + timedelta(days=2))
    act(city.operator_a, e, "escalate", T0 + timedelta(days=2, hours=1), note="需区级协调")
    act(city.county_operator, e, "escalate", T0 + timedelta(days=2, hours=1), note="需市级协调")
    act(city.city_operator, e, "dispatch", T0 + timedelta(days=2, hours=1), lead_department="CG")
    act(city.liaison_cg, e, "sign", T0 + timedelta(days=2, hours=1))
    act(city.liaison_cg, e, "feedback", T0 + timedelta(days=2, hours=2), note="已处理")
    act(city.city_operator, e, "verify_pass", T0 + timedelta(days=2, hours=3))
    made.append(e)                                               # resolved by the city
    e = report(now=T0 + timedelta(days=2))
    close(city, e, T0 + timedelta(days=60))
    made.append(e)                                               # closed late
    e = report(actor=city.operator_b, lng=116.105, source="hotline", now=T0 + timedelta(days=2))
    made.append(e)                                               # township B, hotline
    return [Event.objects.select_related("center", "region", "grid", "category").get(pk=x.pk) for x in made]


def expected(events, measure, moment):
    if measure == "due":
        return {e.pk for e in events if e.status == Status.CLOSED or (
            e.status in OPEN_STATUSES and e.due_at is not None and e.due_at < moment)}
    if measure == "open":
        return {e.pk for e in events if e.status in OPEN_STATUSES}
    if measure == "closed_late":
        return {e.pk for e in events if e.status == Status.CLOSED and e.closed_on_time is not True}
    shares = {e.pk: LIFECYCLE.tally_counts(e) for e in events}
    if measure == "resolved_local":
        return {pk for pk, c in shares.items() if c["resolved_grid"] or c["resolved_township"]}
    if measure == "resolved_any":
        return {pk for pk, c in shares.items()
                if c["resolved_grid"] or c["resolved_township"] or c["resolved_county"] or c["resolved_city"]}
    return {pk for pk, c in shares.items() if c[measure]}


@pytest.mark.parametrize("measure", sorted(counted.MEASURE_LABELS))
def test_each_measure_filter_selects_exactly_the_events_the_rollup_counts(city, varied, measure):
    now = T0 + timedelta(days=90)
    got = set(services.filtered_events(city.admin, measure=measure, now=now).values_list("pk", flat=True))
    assert got == expected(varied, measure, now)


def test_the_scenario_covers_every_measure_at_least_once_and_leaves_some_out(city, varied):
    """The measure test above can fail: every measure selects some events and not all of them."""
    now = T0 + timedelta(days=90)
    for measure in counted.MEASURE_LABELS:
        ids = expected(varied, measure, now)
        assert 0 < len(ids) < len(varied), measure


def test_due_is_judged_at_the_end_of_the_period_not_now(city, varied):
    before = services.filtered_events(city.admin, measure="due", reported_to="2026-11-25", now=T0 + timedelta(days=90))
    later = services.filtered_events(city.admin, measure="due", now=T0 + timedelta(days=90))
    moment = counted.day_start(T0.date() + timedelta(days=3))
    assert set(before.values_list("pk", flat=True)) == expected(varied, "due", moment)
    assert before.count() < later.count()


def test_the_report_period_counts_local_days_both_ends_included(city, report):
    late = report(now=T0.replace(hour=23, minute=30))          # 15:30 UTC the same day
    after_midnight = report(now=T0.replace(hour=0, minute=30) + timedelta(days=1))  # 16:30 UTC the day before
    day = services.filtered_events(city.admin, reported_from="2026-11-23", reported_to="2026-11-23")
    assert list(day.values_list("pk", flat=True)) == [late.pk]
    nxt = services.filtered_events(city.admin, reported_from="2026-11-24")
    assert list(nxt.values_list("pk", flat=True)) == [after_midnight.pk]


def test_source_and_grid_filters(city, varied):
    hotline = services.filtered_events(city.admin, source="hotline")
    assert [e.source for e in hotline] == ["hotline"]
    a2 = services.filtered_events(city.admin, grid=city.grid_a2.code)
    assert {e.grid_id for e in a2} == {city.grid_a2.pk} and a2.count() == 1


@pytest.mark.parametrize("params,field", [
    ({"reported_from": "2026-13-01"}, "reported_from"),
    ({"reported_to": "yesterday"}, "reported_to"),
    ({"reported_from": "0001-01-01"}, "reported_from"),
    ({"reported_from": "2026-11-25", "reported_to": "2026-11-01"}, "reported_to"),
    ({"measure": "everything"}, "measure"),
    ({"source": "telepathy"}, "source"),
    ({"grid": "abc"}, "grid"),
])
def test_a_bad_filter_on_the_worklist_is_a_400_naming_the_field(client, city, params, field):
    client.force_login(city.leader_county)
    resp = client.get("/events/", params)
    assert resp.status_code == 400
    assert field in resp.context["errors"]


def test_the_worklist_page_shows_the_count_of_a_measure_link(client, city, varied):
    client.force_login(city.leader_county)
    resp = client.get("/events/", {"region": city.township_a.code, "reported_from": "2026-11-23",
                                   "reported_to": "2026-11-30", "measure": "closed"})
    assert resp.status_code == 200
    closed_in_a = [e for e in varied if e.status == Status.CLOSED and e.region.code.startswith(city.township_a.code)]
    assert resp.context["page"].paginator.count == len(closed_in_a) == 6
    assert f'data-testid="worklist-count">{len(closed_in_a)}<' in resp.content.decode()


def test_every_measure_the_rollup_keeps_has_a_filter(city, varied):
    """A new rollup measure needs a filter here (or the numbers behind it cannot be opened)."""
    kept = set(workflow.LIFECYCLE.tally_counts(varied[0])) - {"reported"}
    assert kept <= set(counted.MEASURE_LABELS)


def test_the_events_api_takes_a_statistic_link_filters_like_the_worklist(api, client, city, varied):
    params = {"region": city.township_a.code, "reported_from": "2026-11-23", "reported_to": "2026-11-30",
              "measure": "closed", "limit": 50}
    status, body = api("get", "/events", user=city.leader_county, data=params)
    client.force_login(city.leader_county)
    page = client.get("/events/", {k: v for k, v in params.items() if k != "limit"}).context["page"]
    assert status == 200 and body["count"] == page.paginator.count == 6
    assert {r["number"] for r in body["results"]} == {e.number for e in page.object_list}
    status, body = api("get", "/events", user=city.admin, data={"grid": city.grid_a2.code, "source": "grid_patrol"})
    assert status == 200 and body["count"] == services.filtered_events(
        city.admin, grid=city.grid_a2.code, source="grid_patrol").count() > 0


@pytest.mark.parametrize("params,field", [
    ({"reported_from": "2026-13-01"}, "reported_from"),
    ({"measure": "everything"}, "measure"),
    ({"source": "telepathy"}, "source"),
    ({"grid": "abc"}, "grid"),
])
def test_a_bad_filter_on_the_events_api_is_a_422_naming_the_field(api, city, params, field):
    status, body = api("get", "/events", user=city.leader_county, data=params)
    assert status == 422 and field in body["fields"]

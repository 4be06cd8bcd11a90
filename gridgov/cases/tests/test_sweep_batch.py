"""The sweep's set-based batch writes what the per-case engine writes: the same log rows, statistics records
and case fields; its two forms — in SQL (a SetEffect, no Python per case) and through instances — write the
same rows and stage the same digests; and its bulk insert stores what Django's ``bulk_create`` stores."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from gridgov.cases import bulk, sweep
from gridgov.cases.engine import SYSTEM
from gridgov.cases.models import SweepDigest, TransitionRecord
from gridgov.cases.tests.test_sweep_digest import EVENTS, LATE, T0, overdue
from gridgov.events.models import Event, EventLog, SlaNotice

LOG_FIELDS = ("actor_id", "actor_label", "action", "from_status", "to_status", "note", "data", "created_at")
RECORD_FIELDS = ("kind", "region_id", "center_id", "category", "action", "from_status", "to_status", "actor_role",
                 "department_id", "flows", "on_time", "at")


def written(events: list[Event]) -> tuple[list, list, list]:
    ids = [e.pk for e in events]
    logs = list(EventLog.objects.filter(event_id__in=ids, action="sla_escalate").order_by("event_id")
                .values_list(*LOG_FIELDS))
    records = list(TransitionRecord.objects.filter(kind="event", case_id__in=ids, action="sla_escalate")
                   .order_by("case_id").values_list(*RECORD_FIELDS))
    cases = list(Event.objects.filter(pk__in=ids).order_by("pk").values_list("status", "escalated_center_id"))
    return logs, records, cases


def test_the_sweeps_batch_writes_the_log_rows_records_and_fields_the_per_case_engine_writes(city):
    swept = overdue(city, 3)
    assert sweep.sweep_lifecycle(EVENTS, LATE)["escalated"] == 3
    assert SlaNotice.objects.filter(event__in=swept, kind="escalate").count() == 3
    one_by_one = overdue(city, 3)
    for e in one_by_one:
        EVENTS.perform(e, "sla_escalate", SYSTEM, now=LATE)
    batch, single = written(swept), written(one_by_one)
    assert len(batch[0]) == len(batch[1]) == 3
    assert batch == single
    assert batch[2][0][1] == city.county.pk  # a township's case goes up to its county


def test_the_bulk_insert_stores_what_bulk_create_stores(city):
    at = datetime(2026, 11, 23, 9, 0, 1, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
    values = dict(kind="event", case_id=10**12, number="SJ-测试-1", region_id=city.township_a.pk,
                  center_id=city.township_a.pk, category="0301", action="sla_escalate", from_status="dispatched",
                  to_status="dispatched", actor_role="system", department_id=None, flows="", on_time=None, at=at)
    bulk.insert(TransitionRecord, [values, {**values, "number": "SJ-测试-2", "on_time": False,
                                            "at": at + timedelta(microseconds=1)}])
    TransitionRecord.objects.bulk_create([TransitionRecord(**{**values, "number": "SJ-测试-3"})])
    rows = list(TransitionRecord.objects.filter(case_id=10**12).order_by("number").values_list(*RECORD_FIELDS))
    assert rows[0] == rows[2]
    assert rows[1][-2:] == (False, at + timedelta(microseconds=1))

    e = overdue(city, 1)[0]
    data = {"to_center": "3701", "nested": {"list": [1, 2.5, None, True], "text": "升级督办 \"quoted\""}}
    row = dict(event_id=e.pk, actor_id=None, actor_label="系统", action="probe", from_status="a", to_status="b",
               note="", data=data, created_at=at)
    bulk.insert(EventLog, [row])
    EventLog.objects.bulk_create([EventLog(**{**row, "action": "probe2"})])
    got = [EventLog.objects.filter(event=e, action=a).values_list(*LOG_FIELDS[:2], *LOG_FIELDS[3:]).get()
           for a in ("probe", "probe2")]
    assert got[0] == got[1] and got[0][-2:] == (data, at)


# --- the batch in SQL, the batch through instances, perform(): the same rows ----------------------------------

CASE_FIELDS = ("status", "center_id", "escalated_center_id", "lead_department_id", "sla_overdue_for",
               "sla_near_due_for", "deadline", "warn_at")
NEAR = T0 + timedelta(hours=1, minutes=45)  # past the 2 h deadline's warning moment (80 %), before the deadline


def mixed(city) -> list[Event]:
    """Cases whose digests differ: two townships' centers, one already at the county's center (escalated to the
    city's), one at the city's own center (escalated to itself), one handled (its lead department's liaisons are
    no longer told), one accepted (no lead department), one handling."""
    cases = overdue(city, 5, "a") + overdue(city, 3, "b")
    Event.objects.filter(pk=cases[1].pk).update(center=city.county)
    Event.objects.filter(pk=cases[2].pk).update(center=city.city)
    Event.objects.filter(pk=cases[3].pk).update(status="handled")
    Event.objects.filter(pk=cases[4].pk).update(status="accepted", lead_department=None)
    Event.objects.filter(pk=cases[6].pk).update(status="handling")
    return cases


def outcome(cases: list[Event], action: str) -> dict:
    ids = [e.pk for e in cases]
    return {
        "logs": list(EventLog.objects.filter(event_id__in=ids, action=action).order_by("event_id")
                     .values_list("event_id", *LOG_FIELDS)),
        "records": list(TransitionRecord.objects.filter(kind="event", case_id__in=ids, action=action)
                        .order_by("case_id").values_list("case_id", "number", *RECORD_FIELDS)),
        "cases": list(Event.objects.filter(pk__in=ids).order_by("pk").values_list("pk", *CASE_FIELDS)),
        "notices": list(SlaNotice.objects.filter(event_id__in=ids).order_by("event_id", "kind")
                        .values_list("event_id", "kind", "deadline")),
        "digests": sorted(SweepDigest.objects.values_list("action", "audience", "target", "count", "numbers")),
    }


def swept(monkeypatch, cases, now, action, set_based: bool) -> dict:
    """The sweep's writes and staged digests (the flush left out), then rolled back."""
    monkeypatch.setattr(sweep.digest, "flush", lambda lc: 0)
    real = sweep.set_based
    used = []
    monkeypatch.setattr(sweep, "set_based", lambda lc, plan: used.append(real(lc, plan)) or (set_based and used[-1]))
    with transaction.atomic():
        counts = sweep.sweep_lifecycle(EVENTS, now)
        out = outcome(cases, action)
        transaction.set_rollback(True)
    monkeypatch.undo()
    assert sum(counts.values()) == len(cases), counts
    assert True in used  # the plan is one the SQL form takes
    return out


def performed(cases, now, action) -> dict:
    """perform() case by case (no notices, no digests), then rolled back."""
    with transaction.atomic():
        for e in cases:
            EVENTS.perform(e, action, SYSTEM, now=now)
        out = outcome(cases, action)
        transaction.set_rollback(True)
    return out


@pytest.mark.parametrize("action,now", [("sla_escalate", LATE), ("sla_remind", NEAR)])
def test_the_batch_in_sql_writes_what_the_batch_through_instances_and_perform_write(city, monkeypatch, action, now):
    cases = mixed(city)
    in_sql = swept(monkeypatch, cases, now, action, set_based=True)
    through_instances = swept(monkeypatch, cases, now, action, set_based=False)
    one_by_one = performed(cases, now, action)
    assert len(in_sql["logs"]) == len(in_sql["records"]) == len(in_sql["notices"]) == len(cases)
    assert in_sql == through_instances
    for key in ("logs", "records"):
        assert in_sql[key] == one_by_one[key], key
    # perform() leaves the sweep's marks alone (they are the sweep's); every other field the same
    assert [c[:5] + c[7:] for c in in_sql["cases"]] == [c[:5] + c[7:] for c in one_by_one["cases"]]
    # the digests: one row per audience of the batch, with the cases it concerns
    digests = {(a, t): (n, numbers) for _act, a, t, n, numbers in in_sql["digests"]}
    numbers = {e.pk: e.number for e in cases}
    assert digests[("operator", str(city.township_a.pk))][0] == 3  # cases 0, 3, 4 stayed at township A's center
    assert digests[("operator", str(city.township_b.pk))] == (3, [numbers[e.pk] for e in cases[5:]])
    if action == "sla_escalate":
        assert digests[("operator", str(city.city.pk))][0] == 2  # escalated from the county's center, and its own
        assert in_sql["logs"][2][-2]["to_center"] == city.city.code
        assert in_sql["logs"][0][-2] == {"to_center": city.county.code, "deadline": "2026-11-23T03:00:00+00:00"}
    assert digests[("liaison", str(city.dept_cg.pk))][0] == len(cases) - 2  # all but the handled and the accepted


def test_the_batch_in_sql_takes_a_handful_of_statements_and_no_instance_per_case(city, monkeypatch):
    cases = overdue(city, 30)
    made = []
    real_init = Event.__init__

    def counting_init(self, *args, **kwargs):
        made.append(1)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(Event, "__init__", counting_init)
    with CaptureQueriesContext(connection) as ctx:
        assert sweep.run_plan(EVENTS, EVENTS.sweeps[0], LATE) == len(cases)
    # the rollup check and the digest read one case each; the batch of 30 is not read as instances
    assert len(made) <= 4, len(made)
    assert len(ctx.captured_queries) < 20, [q["sql"][:80] for q in ctx.captured_queries]

"""The sweep's set-based batch writes what the per-case engine writes: the same log rows, statistics records
and case fields; and its bulk insert stores what Django's ``bulk_create`` stores."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gridgov.cases import bulk, sweep
from gridgov.cases.engine import SYSTEM
from gridgov.cases.models import TransitionRecord
from gridgov.cases.tests.test_sweep_digest import EVENTS, LATE, overdue
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

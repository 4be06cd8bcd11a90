"""The 稳评跟踪 rule: a rise of events, disputes and petitions in the affected area after implementation fires a
signal with the numbers; a flat count, another area's cases or an assessment not in 跟踪 fire nothing."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.assessments import warnrule
from gridgov.assessments.tests.conftest import TZ
from gridgov.cases import warnrules
from gridgov.disputes import services as disputes
from gridgov.events import services as events
from gridgov.events.taxonomy import install_default_categories
from gridgov.petitions import services as petitions

START = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # the walk records implementation on 2026-11-23
NOW = START + timedelta(days=9)  # day 10 of the implementation: both windows are 10 days
PARAMS = warnrules.spec("assessment_tracking").defaults()


@pytest.fixture
def cases(city):
    install_default_categories()

    def event(day_offset, lng=116.005):
        return events.create_event(city.worker_a, events.EventInput(
            category="0301", description="小区门口聚集，反映补偿问题", lng=lng, lat=36.405),
            now=START + timedelta(days=day_offset))[0]

    def dispute(day_offset):
        return disputes.create_dispute(city.worker_a, disputes.DisputeInput(
            dispute_type="neighbor", description="征收补偿引发邻里争执",
            parties=[{"role": "applicant", "name": "张三", "phone": "13800000001"},
                     {"role": "respondent", "name": "李四", "phone": "13800000002"}],
            lng=116.005, lat=36.405, address="古城路1号", people_count=2), now=START + timedelta(days=day_offset))

    def petition(day_offset):
        return petitions.create_petition(city.operator_a, petitions.PetitionInput(
            channel="visit", subject="征收补偿标准过低", demands="要求提高补偿标准", target_agency="区住建局",
            petitioners=[petitions.PetitionerInput(name="王五", phone="13800000009")]),
            now=START + timedelta(days=day_offset))

    return {"event": event, "dispute": dispute, "petition": petition}


def run(now=NOW, **params):
    return list(warnrule.assessment_tracking(now, {**PARAMS, **params}))


def test_the_rule_is_registered_with_its_parameters():
    spec = warnrules.spec("assessment_tracking")
    assert str(spec.label) == "稳评跟踪"
    assert {p.key for p in spec.params} == {"window_days", "rise_ratio", "min_count"}


def test_a_rise_after_implementation_fires_with_the_numbers_and_the_new_cases(city, create, walk, cases):
    a = walk(create(), "record_implementation")
    cases["event"](-5)  # before: 1
    after = [cases["event"](d) for d in (0, 1, 2, 8)] + [cases["dispute"](3)] + [cases["petition"](4)]
    cases["event"](2, lng=116.105)  # township B: not in the affected area
    cases["event"](-30)  # before the comparison window
    signals = run()
    assert len(signals) == 1
    s = signals[0]
    assert s.key == f"assessment_tracking:{a.pk}" and s.rule == "assessment_tracking" and s.code == city.township_a.code
    assert s.numbers["after"] == {"event": 4, "dispute": 1, "petition": 1} and s.numbers["before_total"] == 1
    assert s.numbers["days"] == 10
    assert s.level == "red"  # 6 ÷ 1 ≥ 4
    assert "共6件" in s.explanation and "实施前同期10日共1件" in s.explanation and a.number in s.explanation
    kinds = {"event", "dispute", "petition"}
    assert {k for k, _id in s.cases} == kinds and len(s.cases) == 6
    assert {pk for k, pk in s.cases if k == "event"} == {e.pk for e in after[:4]}


def test_a_flat_count_does_not_fire(city, create, walk, cases):
    walk(create(), "record_implementation")
    for d in (-9, -7, -5, -3, -1):
        cases["event"](d)
    for d in (0, 2, 4, 6, 8):
        cases["event"](d)
    assert run() == []
    # the same numbers fire once the rise ratio asked for is zero (after ≥ before)
    assert len(run(rise_ratio=0)) == 1


def test_few_cases_do_not_fire_below_the_minimum(city, create, walk, cases):
    walk(create(), "record_implementation")
    for d in (0, 1, 2):
        cases["event"](d)
    assert run() == []
    assert len(run(min_count=3)) == 1


def test_assessments_not_yet_implemented_are_not_tracked(city, create, walk, cases):
    walk(create(), "file")  # in 跟踪 but no implementation date
    walk(create(title="另一个项目"), "decide")
    for d in range(6):
        cases["event"](d)
    assert run() == []


def test_counting_is_a_few_grouped_queries_whatever_the_number_of_assessments(city, create, walk, cases):
    for i in range(4):
        walk(create(title=f"项目{i}"), "record_implementation")
    for d in range(6):
        cases["event"](d)
    with CaptureQueriesContext(connection) as ctx:
        signals = run()
    assert len(signals) == 4
    assert len(ctx.captured_queries) <= 8  # assessments + regions, 3 counts, 3 case lists


@pytest.mark.parametrize("ratio,high,level", [(1.5, False, "blue"), (2, False, "yellow"), (3.5, False, "orange"),
                                              (4, False, "red"), (1.5, True, "yellow"), (5, True, "red")])
def test_the_level_follows_the_ratio_and_a_high_risk_raises_it(ratio, high, level):
    assert warnrule.level_for(ratio, high) == level


def test_the_windows_split_at_local_midnight_of_the_implementation_day(city, create, walk):
    from gridgov.assessments import tracking
    from gridgov.assessments.models import Assessment

    install_default_categories()
    a = walk(create(), "record_implementation")
    for moment in (datetime(2026, 11, 22, 23, 59, tzinfo=TZ), datetime(2026, 11, 23, 0, 0, tzinfo=TZ),
                   datetime(2026, 11, 13, 0, 0, tzinfo=TZ), datetime(2026, 11, 12, 23, 59, tzinfo=TZ)):
        events.create_event(city.worker_a, events.EventInput(
            category="0301", description="小区门口聚集，反映补偿问题", lng=116.005, lat=36.405), now=moment)
    t = tracking.measure([Assessment.objects.get(pk=a.pk)], NOW)[a.pk]
    assert (t.before_from.isoformat(), t.after_from.isoformat(), t.days) == ("2026-11-13", "2026-11-23", 10)
    assert t.before["event"] == 2 and t.after["event"] == 1  # 11-12 23:59 is outside both windows

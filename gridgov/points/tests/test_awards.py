"""Points from the event lifecycle: an accepted citizen report earns, a rejected one does not, a merged one
gives back what it earned; a useful 回访 and a confirmed hazard earn; the daily cap; never twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from gridgov.cases.signals import transitioned
from gridgov.events import services
from gridgov.events.models import Event, Source
from gridgov.events.tests.conftest import MONDAY_0900
from gridgov.events.workflow import LIFECYCLE, Citizen
from gridgov.points import services as points
from gridgov.points.models import EntryKind, Participant, PointEntry
from gridgov.testing import at_once

T0 = MONDAY_0900
PHONE = "13800001234"


def act(user, event, action, now=T0, **raw):
    return services.perform_action(user, Event.objects.get(pk=event.pk), action, raw, now=now)


@pytest.fixture
def citizen_report(report):
    def _make(phone=PHONE, category="0301", now=T0, **kw):
        return report(actor=Citizen(phone), reporter_phone=phone, category=category, now=now, **kw)

    return _make


def balance(phone=PHONE) -> int:
    from gridgov.core.crypto import phone_hash

    p = Participant.objects.filter(phone_hash=phone_hash(phone)).first()
    return p.balance if p else 0


def assert_cache_is_the_ledger():
    for p in Participant.objects.all():
        assert p.balance == (p.entries.aggregate(s=Sum("points"))["s"] or 0), p.pk
        earned = p.entries.filter(kind__in=["award", "reversal"]).aggregate(s=Sum("points"))["s"] or 0
        assert p.earned == earned, p.pk


def test_an_accepted_citizen_report_earns_its_reporter_points(city, rules, citizen_report):
    e = citizen_report()
    act(city.operator_a, e, "accept")
    entry = PointEntry.objects.get()
    assert (entry.points, entry.kind, entry.rule.code, entry.source) == (5, "award", "report_accepted", f"event:{e.pk}")
    assert balance() == 5
    who = entry.participant
    assert who.phone == PHONE and who.community == city.community_a  # the community of the event's grid
    assert_cache_is_the_ledger()


def test_a_rejected_report_earns_nothing(city, rules, citizen_report):
    e = citizen_report()
    act(city.operator_a, e, "reject", note="不属于受理范围")
    assert PointEntry.objects.count() == 0 and balance() == 0


def test_merging_an_accepted_report_reverses_its_award(city, rules, citizen_report, report):
    target = report()
    act(city.operator_a, target, "accept")
    e = citizen_report()
    act(city.operator_a, e, "accept")
    assert balance() == 5
    act(city.operator_a, e, "merge", target=Event.objects.get(pk=target.pk).number)
    reversal = PointEntry.objects.get(kind=EntryKind.REVERSAL)
    assert reversal.points == -5 and reversal.source == f"event:{e.pk}" and target.number in reversal.reason
    assert balance() == 0
    assert_cache_is_the_ledger()


def test_a_report_merged_before_acceptance_earns_nothing(city, rules, citizen_report, report):
    target = report()
    act(city.operator_a, target, "accept")
    e = citizen_report()
    act(city.operator_a, e, "merge", target=Event.objects.get(pk=target.pk).number)
    assert PointEntry.objects.count() == 0 and balance() == 0


def test_a_grid_workers_own_report_earns_nothing(city, rules, report):
    e = report()  # worker A, source 网格员巡查
    act(city.operator_a, e, "accept")
    assert PointEntry.objects.count() == 0 and Participant.objects.count() == 0


def test_a_hotline_caller_with_a_phone_earns(city, rules, report):
    e = report(actor=city.operator_a, source=Source.HOTLINE, reporter_name="王小明", reporter_phone="13900002222")
    act(city.operator_a, e, "accept")
    who = Participant.objects.get()
    assert who.balance == 5 and who.name == "王小明"


def test_the_daily_cap_gives_a_zero_entry_with_the_reason_and_a_new_day_pays_again(city, rules, citizen_report):
    events = [citizen_report() for _ in range(6)]
    for e in events[:5]:
        act(city.operator_a, e, "accept")
    got = list(PointEntry.objects.order_by("id").values_list("points", flat=True))
    assert got == [5, 5, 5, 5, 0]  # cap 20 a day
    over = PointEntry.objects.order_by("id").last()
    assert "每日上限" in over.reason
    act(city.operator_a, events[5], "accept", now=T0 + timedelta(days=1))
    assert balance() == 25
    # the capped event was handled: replaying it the next day pays nothing
    entry = Event.objects.get(pk=events[4].pk).log.get(action="accept")
    assert points.award_for(Event.objects.get(pk=events[4].pk), entry) is None
    assert_cache_is_the_ledger()


def test_a_cap_cuts_the_last_award_to_what_is_left(city, rules, citizen_report):
    rules["report_accepted"].daily_cap = 12
    rules["report_accepted"].save()
    for _ in range(3):
        act(city.operator_a, citizen_report(), "accept")
    assert list(PointEntry.objects.order_by("id").values_list("points", flat=True)) == [5, 5, 2]


def test_a_replayed_signal_or_a_retried_award_inserts_nothing(city, rules, citizen_report):
    e = citizen_report()
    entry = act(city.operator_a, e, "accept")
    e = Event.objects.get(pk=e.pk)
    with transaction.atomic():
        transitioned.send(sender=type(LIFECYCLE), lifecycle=LIFECYCLE, case=e, entry=entry)
        assert points.award(e, "report_accepted", f"event:{e.pk}", T0, "重试") is None
        # straight into the unique constraint: refused in a savepoint, the outer transaction still usable
        who = Participant.objects.select_for_update().get()
        assert points._write(who, rules["report_accepted"], EntryKind.AWARD, 5, f"event:{e.pk}", "", T0) is None
        assert Participant.objects.count() == 1
    assert PointEntry.objects.count() == 1 and balance() == 5
    assert_cache_is_the_ledger()


def test_a_merge_replayed_reverses_once(city, rules, citizen_report, report):
    target = report()
    act(city.operator_a, target, "accept")
    e = citizen_report()
    act(city.operator_a, e, "accept")
    entry = act(city.operator_a, e, "merge", target=Event.objects.get(pk=target.pk).number)
    assert points.award_for(Event.objects.get(pk=e.pk), entry) is None
    assert PointEntry.objects.filter(kind=EntryKind.REVERSAL).count() == 1 and balance() == 0


def close(city, e, now=T0):
    act(city.operator_a, e, "accept", now)
    act(city.operator_a, e, "dispatch", now, lead_department="CG")
    act(city.liaison_cg, e, "sign", now)
    act(city.liaison_cg, e, "feedback", now, note="已处理")
    act(city.operator_a, e, "verify_pass", now)
    return Event.objects.get(pk=e.pk)


ASKED_REPORTER = {"method": "phone", "respondent": "reporter", "satisfaction": "satisfied", "note": "已清理"}
ASKED_NEIGHBOUR = {"method": "visit", "respondent": "other", "respondent_name": "李大妈",
                   "relationship": "住户", "satisfaction": "satisfied", "note": "已清理"}


def test_a_follow_up_that_reached_the_reporter_earns_once_a_case(city, rules, citizen_report):
    e = close(city, citizen_report())
    act(city.operator_a, e, "follow_up", **ASKED_NEIGHBOUR)
    assert not PointEntry.objects.filter(rule__code="followup_useful").exists()
    act(city.operator_a, e, "follow_up", **ASKED_REPORTER)
    act(city.operator_a, e, "follow_up", **ASKED_REPORTER)
    assert PointEntry.objects.filter(rule__code="followup_useful").get().points == 2
    assert balance() == 5 + 2


def test_a_confirmed_safety_hazard_earns_and_other_categories_do_not(city, rules, citizen_report):
    close(city, citizen_report(category="0203"))  # 消防隐患 (问题隐患)
    close(city, citizen_report(category="0301"))  # 道路保洁
    hazard = PointEntry.objects.get(rule__code="hazard_confirmed")
    assert hazard.points == 10 and Event.objects.get(pk=hazard.source.split(":")[1]).category.code == "0203"
    assert balance() == 5 + 5 + 10
    assert_cache_is_the_ledger()


def test_an_inactive_rule_awards_nothing(city, rules, citizen_report):
    rules["report_accepted"].active = False
    rules["report_accepted"].save()
    act(city.operator_a, citizen_report(), "accept")
    assert PointEntry.objects.count() == 0


def test_a_rolled_back_transition_leaves_no_points(city, rules, citizen_report):
    e = citizen_report()
    with pytest.raises(RuntimeError), transaction.atomic():
        act(city.operator_a, e, "accept")
        raise RuntimeError("the transition's transaction fails after the signal")
    assert PointEntry.objects.count() == 0 and balance() == 0


@pytest.mark.django_db(transaction=True)
def test_two_connections_awarding_the_same_report_at_once_write_one_entry(city, rules, citizen_report):
    if connection.vendor != "postgresql":
        pytest.skip("two writers racing on one participant row need PostgreSQL (SQLite serialises writers)")
    events = [citizen_report() for _ in range(3)]
    for e in events:
        act(city.operator_a, e, "accept")
    # the first awards are committed; now award each 回访 in two connections at once
    fresh = [Event.objects.get(pk=e.pk) for e in events]

    def run():
        out = []
        for e in fresh:
            with transaction.atomic():
                out.append(points.award(e, "followup_useful", f"event:{e.pk}", T0, "并发"))
        return out

    results = [r for batch in at_once(run) for r in batch]
    assert PointEntry.objects.filter(rule__code="followup_useful").count() == 3
    assert sum(r is not None for r in results) == 3
    assert balance() == 15 + 6
    assert_cache_is_the_ledger()

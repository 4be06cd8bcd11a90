"""Evaluation of grid workers (网格员考核) on a hand-built week, expected figures worked out first.

The week of Monday 23 November 2026 (five working days, no holiday), evaluated on 2 December (the week is
over: targets for a whole week — 10 records, 5 valid events, 2 on-the-spot resolutions), against the
week before.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from gridgov.accounts.models import User
from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.events.models import Category, Event, EventLog
from gridgov.registry.models import Change, KeyCategory, KeyPerson, Resident, Visit
from gridgov.stats import eval_workers
from gridgov.stats.models import EvaluationScheme
from gridgov.stats.queries import node, period

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=TZ)
WEEK = period("week", "2026-11-23")
_n = iter(range(1, 10_000))


def at(m, d, h=10):
    return datetime(2026, m, d, h, 0, tzinfo=TZ)


def event(city, reporter, when, status="accepted", on_spot=False, log=True):
    cat = Category.objects.get_or_create(code="T01", defaults={"name": "测试"})[0]
    e = Event.objects.create(number=f"SJ{next(_n):08d}", source="grid_patrol", category=cat, description="测试事件",
                             region=city.community_a, center=city.township_a, status=status, reporter=reporter,
                             resolved_on_spot=on_spot, created_at=when)
    if log:
        EventLog.objects.create(event=e, actor=reporter, action="report", to_status="reported", created_at=when)
    return e


def change(user, when, action="update", n=1):
    for _i in range(n):
        Change.objects.create(model="resident", object_id=next(_n), action=action, actor=user, created_at=when)


@pytest.fixture
def week(city):
    """worker_a (古楼): events reported 23, 24, 24, 26 Nov — one closed on the spot, one in hand, one
    rejected, one merged → reported 4, valid 2, on the spot 1; registry changes on 25 Nov (3 created,
    2 updated) and 27 Nov (1 moved, 1 deleted: a day of activity, not a record) → 6 records; visits on
    28 Nov to 甲 (last visit 1 Nov + 30 days: due 1 Dec → on time) and 29 Nov to 乙 (listed 1 Sep, never
    visited: due 1 Oct → late) → 2 visits, 1 on time; both in hand on 29 Nov → 2/2. Activity on every day
    of the week (and on 22 and 30 Nov, outside it) → 7 active days of 5 working days → capped at 1.
    Score = 20×1 + 20×6/10 + 25×2/5 + 10×1/2 + 25×1 = 20 + 12 + 10 + 5 + 25 = 72.00.

    worker_a2 (古楼): 10 records created and 5 valid events reported on 24 Nov (no log rows: only the
    registry's changes say they were active) → 1 day; no key persons (left out):
    (20×1/5 + 20×1 + 25×1 + 10×0) ÷ 75 × 100 = 65.33.

    worker_b (柳园): logged in on 26 Nov, nothing else → (20×1/5) ÷ 75 × 100 = 5.33.

    Week before (16–22 Nov): a2 created 10 records on 17 Nov → (4 + 20) ÷ 75 = 32.00; worker_a updated
    1 record on 22 Nov, 甲 in hand and 乙 overdue on 22 Nov → 20×1/5 + 20×1/10 + 25×1/2 = 18.50; b 0.
    Ranks in 古楼: a 1, a2 2 (before: a2 1, a 2); county: a 1, a2 2, b 3 (before: a2, a, b).
    """
    a, b = city.worker_a, city.worker_b
    a2 = User.objects.create_user(username="worker_a2", password="x", role=User.Role.GRID_WORKER,
                                  region=city.township_a, full_name="古楼网格员二")
    event(city, a, at(11, 23), status="closed", on_spot=True)
    event(city, a, at(11, 24), status="handling")
    event(city, a, at(11, 24), status="rejected")
    event(city, a, at(11, 26), status="merged")
    change(a, at(11, 25), "create", 3)
    change(a, at(11, 25), "update", 2)
    change(a, at(11, 27), "move")
    change(a, at(11, 27), "delete")
    change(a, at(11, 22), "update")   # the week before
    change(a, at(11, 30), "update")   # the week after
    cat = KeyCategory.objects.create(code="test", name="测试类", intervals={"low": 30})
    jia = KeyPerson.objects.create(resident=Resident.objects.create(name="甲", region=city.community_a),
                                   category=cat, risk_level="low", since=date(2026, 10, 1), worker=a)
    yi = KeyPerson.objects.create(resident=Resident.objects.create(name="乙", region=city.community_a),
                                  category=cat, risk_level="low", since=date(2026, 9, 1), worker=a)
    Visit.objects.create(key_person=jia, worker=a, visited_at=at(11, 1), findings="正常")
    Visit.objects.create(key_person=jia, worker=a, visited_at=at(11, 28), findings="正常")
    Visit.objects.create(key_person=yi, worker=a, visited_at=at(11, 29), findings="正常")
    change(a2, at(11, 24), "create", 10)
    for _i in range(5):
        event(city, a2, at(11, 24), log=False)
    change(a2, at(11, 17), "create", 10)
    User.objects.filter(pk=b.pk).update(last_login=at(11, 26))
    return city, a, a2, b


def rows_for(user, code, p=WEEK):
    return {r["username"]: r for r in eval_workers.rank_workers(user, node(user, code), p, now=NOW)}


def test_each_worker_figure_is_the_hand_counted_one(week):
    city, *_ = week
    a = rows_for(city.leader_county, "371502")["worker_a"]
    assert (a["active_days"], a["workdays"]) == (7, 5)
    assert (a["records_created"], a["records_updated"], a["records"]) == (3, 3, 6)
    assert (a["events_reported"], a["events_valid"], a["on_spot"]) == (4, 2, 1)
    assert (a["visits"], a["visits_on_time"]) == (2, 1)
    assert (a["key_persons"], a["key_persons_in_hand"]) == (2, 2)
    assert a["targets"] == {"records": 10.0, "events": 5.0, "on_spot": 2.0}


def test_scores_ranks_within_township_and_county_and_change(week):
    city, *_ = week
    rows = rows_for(city.leader_county, "371502")
    a, a2, b = rows["worker_a"], rows["worker_a2"], rows["worker_b"]
    assert (a["score"], a2["score"], b["score"]) == (72.0, 65.33, 5.33)
    assert (a["township_rank"], a2["township_rank"], b["township_rank"]) == (1, 2, 1)
    assert (a["county_rank"], a2["county_rank"], b["county_rank"]) == (1, 2, 3)
    assert (a["previous_score"], a2["previous_score"], b["previous_score"]) == (18.5, 32.0, 0.0)
    assert (a["township_rank_change"], a2["township_rank_change"]) == (1, -1)
    assert (a["county_rank_change"], b["county_rank_change"]) == (1, 0)
    assert a["score_change"] == 53.5


def test_a_township_operator_ranks_only_its_own_workers_and_sees_no_county_rank(week):
    city, *_ = week
    rows = rows_for(city.operator_a, "371502001")
    assert set(rows) == {"worker_a", "worker_a2"}
    assert rows["worker_a"]["township_rank"] == 1
    assert rows["worker_a"]["county_rank"] is None and rows["worker_a"]["county_rank_change"] is None


def test_a_township_operator_cannot_rank_another_townships_workers(week):
    city, *_ = week
    with pytest.raises(NotFound):
        rows_for(city.operator_b, "371502001")
    with pytest.raises(NotFound):
        rows_for(city.operator_a, "371502")


def test_the_month_prorates_nothing_once_over_and_the_weekly_targets_scale(week):
    city, *_ = week
    a = rows_for(city.leader_county, "371502", period("month", "2026-11"))["worker_a"]
    # November has 30 days: targets × 30/7; all the week's records and the 1 Nov visit's and 22/30 Nov's
    assert a["targets"]["records"] == round(10 * 30 / 7, 2)
    assert a["records"] == 8 and a["visits"] == 3


def test_worker_weights_and_targets_from_the_admin_scheme_change_the_ranking(week):
    city, *_ = week
    # only events count, target 2 a week: a 2/2 → 100, a2 5/2 → capped 100: equal, rank shared
    EvaluationScheme.objects.create(subject="worker", targets={"events": 2}, weights={
        "active_days": 0, "records": 0, "on_spot": 0, "control_rate": 0})
    rows = rows_for(city.leader_county, "371502")
    assert (rows["worker_a"]["score"], rows["worker_a2"]["score"]) == (100.0, 100.0)
    assert rows["worker_a"]["township_rank"] == rows["worker_a2"]["township_rank"] == 1


def test_workers_ranking_asks_for_a_county_township_or_community(week):
    city, *_ = week
    with pytest.raises(ValidationFailed):
        rows_for(city.admin, "3715")


def test_an_event_reported_and_resolved_on_the_spot_through_the_workflow_counts(city):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.events import services, workflow
    from gridgov.events.taxonomy import install_default_categories
    from gridgov.testing import image_bytes

    install_default_categories()
    photo = SimpleUploadedFile("p.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    data = services.EventInput(category="0301", description="路面有大量垃圾未清理", lng=116.005, lat=36.405,
                               resolve_on_spot=True, on_spot_result="已当场清理", attachments=[photo])
    e, _ = services.create_event(city.worker_a, data, now=at(11, 24))
    workflow.perform(e, "verify_pass", city.operator_a, {}, now=at(11, 24, 15))
    a = rows_for(city.leader_county, "371502")["worker_a"]
    assert (a["events_valid"], a["on_spot"], a["active_days"]) == (1, 1, 1)


def test_ranking_costs_the_same_queries_for_three_workers_or_thirty(week):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    city, a, *_ = week
    user, n = city.leader_county, node(city.leader_county, "371502")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            eval_workers.rank_workers(user, n, WEEK, now=NOW)
        return len(ctx.captured_queries)

    before = count()
    cat = KeyCategory.objects.get(code="test")
    for i in range(27):
        w = User.objects.create_user(username=f"gw{i}", password="x", role=User.Role.GRID_WORKER,
                                     region=city.township_b if i % 2 else city.township_a)
        event(city, w, at(11, 24))
        change(w, at(11, 25), "create", 2)
        kp = KeyPerson.objects.create(resident=Resident.objects.create(name=f"丙{i}", region=city.community_b),
                                      category=cat, risk_level="low", since=date(2026, 10, 1), worker=w)
        Visit.objects.create(key_person=kp, worker=w, visited_at=at(11, 26), findings="正常")
    assert len(eval_workers.rank_workers(user, n, WEEK, now=NOW)) == 30
    assert count() == before

"""Evaluation of regions (平安指数, 星级, rank and change) and departments (综合指标值) on hand-built rollups.

The rollup rows are written directly (what the kernel would have kept), with the expected figures worked
out by hand in the comments first. November 2026 is evaluated on 5 December (the period is over: its open
cases are judged at 1 December 00:00), against October.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridgov.cases.models import DeptTally, OpenCase, Tally
from gridgov.core.errors import ValidationFailed
from gridgov.petitions.models import Petition
from gridgov.registry.models import KeyCategory, KeyPerson, Resident, Visit
from gridgov.stats import eval_config, evaluation
from gridgov.stats.models import EvaluationScheme
from gridgov.stats.queries import Node, period

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=TZ)
NOV = period("month", "2026-11")
A, B = "371502001", "371502002"


def at(y, m, d, h=9):
    return datetime(y, m, d, h, 0, tzinfo=TZ)


def tally(kind, code, day, **measures):
    level = {4: 2, 6: 3, 9: 4, 12: 5, 15: 6}[len(code)]
    Tally.objects.create(kind=kind, level=level, code=code, day=day, **measures)


def open_case(kind, code, day, due_at, case_id):
    OpenCase.objects.create(kind=kind, case_id=case_id, code=code, day=day, status="handling", due_at=due_at,
                            deadline=due_at)


def petition(city, number, registered, status="handling", closed_at=None):
    return Petition.objects.create(number=number, channel="visit", subject="诉求", demands="诉求内容",
                                   region=city.community_a, center=city.township_a,
                                   registered_by=city.operator_a, registered_at=registered, status=status,
                                   closed_at=closed_at)


def key_person(city, name, since, cat, visits=(), grid=None):
    r = Resident.objects.create(name=name, region=city.community_a, grid=grid)
    kp = KeyPerson.objects.create(resident=r, category=cat, risk_level="low", since=since, worker=city.worker_a)
    for v in visits:
        Visit.objects.create(key_person=kp, worker=city.worker_a, visited_at=v, findings="正常")
    return kp


@pytest.fixture
def data(city):
    """Township A and B, November and October (expected figures by hand):

    November, A: events closed 8+2=10, on time 6+2=8, in the grid 4+1=5; open 5 of which 3 past their
    办结时限 at 1 Dec → 应结案 13: 按期结案率 8/13, 小事不出格率 5/10. Disputes 3 of 4 化解 → 0.75.
    Petitions: 1 of 2 replies on time → 0.5; open at 1 Dec: the August and the November petition, the
    August one over 90 days → 积案 1/2 → 信访积案控制率 0.5. Key persons (interval 30 days): one visited
    25 Nov (in hand on 30 Nov), one listed 1 Sep and never visited (due 1 Oct) → 1/2.
    Index = (30×8/13 + 15×0.5 + 15×0.75 + 10×0.5 + 10×0.5 + 20×0.5) ÷ 100 × 100 = 57.2115… → 57.21, 1 star.

    November, B: events closed 10, on time 9, in the grid 8, nothing open → 0.9 and 0.8; nothing else →
    (30×0.9 + 15×0.8) ÷ 45 × 100 = 86.666… → 86.67, 4 stars. Ranks: B 1, A 2.

    October, A: closed 5 all on time, all in the grid → 1, 1; petitions open at 1 Nov: the August one
    (registered before 3 Aug, so 积案) → 0; key persons on 31 Oct: the first listed 1 Oct, due 31 Oct → in
    hand, the second overdue → 0.5. Index = (30 + 15 + 0 + 20×0.5) ÷ 75 × 100 = 73.33.
    October, B: closed 4, on time 2, in the grid 1 → (30×0.5 + 15×0.25) ÷ 45 × 100 = 41.67.
    Ranks: A 1, B 2 → in November A moved down one (−1), B up one (+1); A −16.12, B +45.00.
    """
    tally("event", A, date(2026, 11, 3), reported=10, valid=10, closed=8, closed_on_time=6, resolved_grid=4)
    tally("event", A, date(2026, 11, 20), reported=5, valid=5, closed=2, closed_on_time=2, resolved_grid=1)
    for i, due in enumerate([at(2026, 11, 25), at(2026, 11, 28), at(2026, 11, 30, 23), at(2026, 12, 1, 9),
                             at(2026, 12, 8)]):
        open_case("event", "371502001001001", date(2026, 11, 20), due, case_id=100 + i)
    tally("dispute", A, date(2026, 11, 4), reported=4, valid=4, succeeded=3)
    tally("petition", A, date(2026, 11, 10), reported=2, valid=2, reply_due=2, replied_on_time=1)
    petition(city, "XF1", at(2026, 8, 1))
    petition(city, "XF2", at(2026, 11, 10))
    petition(city, "XF3", at(2026, 7, 1), status="closed", closed_at=at(2026, 11, 30))  # closed before 1 Dec
    cat = KeyCategory.objects.create(code="test", name="测试类", intervals={"low": 30})
    key_person(city, "甲", date(2026, 10, 1), cat, visits=[at(2026, 11, 25)])
    key_person(city, "乙", date(2026, 9, 1), cat)
    tally("event", B, date(2026, 11, 5), reported=10, valid=10, closed=10, closed_on_time=9, resolved_grid=8)
    tally("event", A, date(2026, 10, 10), reported=5, valid=5, closed=5, closed_on_time=5, resolved_grid=5)
    tally("event", B, date(2026, 10, 10), reported=4, valid=4, closed=4, closed_on_time=2, resolved_grid=1)
    return city


def township_rows(data):
    county = Node("371502", "东昌府区", 3)
    return {r["code"]: r for r in evaluation.rank_children(county, NOV, now=NOW)}


def test_each_region_component_is_the_hand_computed_rate(data):
    a = township_rows(data)[A]["components"]
    assert a["on_time_close_rate"]["numerator"] == 8 and a["on_time_close_rate"]["denominator"] == 13
    assert a["in_grid_rate"]["value"] == 0.5
    assert a["dispute_resolution_rate"]["value"] == 0.75
    assert a["reply_rate"]["value"] == 0.5
    assert (a["backlog_free_rate"]["numerator"], a["backlog_free_rate"]["denominator"]) == (1, 2)
    assert a["backlog_free_rate"]["score"] == 0.5
    assert (a["control_rate"]["numerator"], a["control_rate"]["denominator"]) == (1, 2)


def test_safety_index_stars_rank_and_change_against_the_previous_month(data):
    rows = township_rows(data)
    a, b = rows[A], rows[B]
    assert (a["index"], a["stars"], a["rank"]) == (57.21, 1, 2)
    assert (b["index"], b["stars"], b["rank"]) == (86.67, 4, 1)
    assert (a["previous_index"], a["previous_rank"]) == (73.33, 1)
    assert (b["previous_index"], b["previous_rank"]) == (41.67, 2)
    assert (a["rank_change"], a["index_change"]) == (-1, -16.12)
    assert (b["rank_change"], b["index_change"]) == (1, 45.0)


def test_a_component_without_a_denominator_is_left_out_not_counted_as_zero(data):
    b = township_rows(data)[B]["components"]
    assert b["dispute_resolution_rate"]["value"] is None
    assert b["control_rate"]["score"] is None


def test_a_region_without_any_figure_has_no_index_no_stars_and_no_rank(data):
    Tally.objects.filter(code=B).delete()
    b = township_rows(data)[B]
    assert (b["index"], b["stars"], b["rank"]) == (None, None, None)
    assert township_rows(data)[A]["rank"] == 1


def test_changing_the_weights_in_the_admin_scheme_changes_the_ranking(data):
    # only 动态掌控率 and 信访积案控制率 count: A = 0.5 and 0.5 → 50; B has neither → no index, unranked
    EvaluationScheme.objects.create(subject="region", weights={
        "on_time_close_rate": 0, "in_grid_rate": 0, "dispute_resolution_rate": 0, "reply_rate": 0})
    rows = township_rows(data)
    assert (rows[A]["index"], rows[A]["rank"]) == (50.0, 1)
    assert rows[B]["rank"] is None


def test_weights_from_settings_are_used_and_the_admin_scheme_wins_over_them(data, settings):
    # settings: only 小事不出格率 → A 0.5 (50), B 0.8 (80): B first; admin: only 矛盾纠纷化解率 → A 75 alone
    settings.GRIDGOV = {**settings.GRIDGOV, "EVAL_WEIGHTS": {"region": {
        "on_time_close_rate": 0, "dispute_resolution_rate": 0, "reply_rate": 0, "backlog_free_rate": 0,
        "control_rate": 0}}}
    rows = township_rows(data)
    assert (rows[A]["index"], rows[B]["index"]) == (50.0, 80.0)
    EvaluationScheme.objects.create(subject="region", weights={"in_grid_rate": 0, "dispute_resolution_rate": 1})
    rows = township_rows(data)
    assert (rows[A]["index"], rows[A]["rank"], rows[B]["index"]) == (75.0, 1, None)


def test_star_thresholds_are_configurable(data):
    # A 57.21 reaches 50 and 55 → 3 stars; B 86.67 reaches 50, 55 and 85 → 4
    EvaluationScheme.objects.create(subject="region", star_thresholds={"center": [50, 55, 85, 95]})
    rows = township_rows(data)
    assert (rows[A]["stars"], rows[B]["stars"]) == (3, 4)
    EvaluationScheme.objects.filter(subject="region").update(star_thresholds={"center": [10, 20, 30, 40]})
    rows = township_rows(data)
    assert (rows[A]["stars"], rows[B]["stars"]) == (5, 5)


@pytest.mark.parametrize(("index", "stars"), [(None, None), (0, 1), (59.99, 1), (60, 2), (79.99, 3), (80, 4),
                                              (90, 5), (100, 5)])
def test_stars_from_the_default_thresholds(index, stars):
    assert evaluation.stars_of(index, eval_config.STAR_THRESHOLDS["center"]) == stars


def test_equal_indices_share_a_rank_and_the_next_rank_skips():
    rows = [{"index": 80.0}, {"index": 90.0}, {"index": 80.0}, {"index": None}, {"index": 70.0}]
    evaluation.assign_ranks(rows)
    assert [r["rank"] for r in rows] == [2, 1, 2, None, 4]


def test_grid_ranking_uses_grid_rollups_and_grid_stars(data):
    tally("event", "371502001001001", date(2026, 11, 3), reported=4, valid=4, closed=4, closed_on_time=4,
          resolved_grid=4)
    tally("event", "371502001001002", date(2026, 11, 3), reported=4, valid=4, closed=4, closed_on_time=1,
          resolved_grid=0)
    EvaluationScheme.objects.create(subject="region", star_thresholds={"grid": [10, 20, 30, 99]})
    rows = {r["code"]: r for r in evaluation.rank_grids(Node(A, "古楼街道", 4), NOV, now=NOW)}
    assert set(rows) == {"371502001001001", "371502001001002"}  # township B's grid is not among them
    g1, g2 = rows["371502001001001"], rows["371502001001002"]
    # g1: 应结案 4 + the 3 open cases past due in its grid = 7 → 4/7; in the grid 4/4 → (30×4/7 + 15) ÷ 45
    assert g1["components"]["on_time_close_rate"]["denominator"] == 7
    assert g1["index"] == 71.43 and g1["stars"] == 4
    # g2: 1/4 and 0/4 → 30×0.25 ÷ 45 = 16.67 → 2 stars (grid thresholds)
    assert (g2["index"], g2["stars"], g2["rank"]) == (16.67, 2, 2)


def test_safety_index_by_child_for_the_map(data):
    got = evaluation.safety_index_by_child(None, "371502", NOV, now=NOW)
    assert got[A] == {"index": 57.21, "stars": 1, "rank": 2, "change": -1, "index_change": -16.12}
    assert got[B]["rank"] == 1


def test_grids_ranking_refuses_the_city_level(data):
    with pytest.raises(ValidationFailed) as exc:
        evaluation.rank_grids(Node("3715", "聊城市", 2), NOV, now=NOW)
    assert "code" in exc.value.fields


# --- departments ----------------------------------------------------------------------------------


def dept(city, d, day, **measures):
    DeptTally.objects.create(kind="event", department=d, day=day, **measures)


def test_department_rates_and_score_by_hand(city):
    """城管 in November: received 20 (10 + 10), signed 18 of which 15 on time → 按时签收率 15/18; handled 16,
    12 on time → 12/16 = 0.75; reworked 2, returned 1, extended 4 per received → 0.1, 0.05, 0.2; rated 10,
    satisfied 9 → 0.9. Score = (15×15/18 + 35×0.75 + 15×0.9 + 10×0.95 + 10×0.8 + 15×0.9) ÷ 100 × 100
    = 12.5 + 26.25 + 13.5 + 9.5 + 8 + 13.5 = 83.25.
    住建: received 5, signed 5 on time, handled 5 on time, nothing else → (15 + 35 + 15 + 10 + 10) ÷ 85 = 100.
    """
    dept(city, city.dept_cg, date(2026, 11, 2), received=10, signed=9, signed_on_time=8, handled=8,
         handled_on_time=6, reworked=1, extended=2, rated=5, satisfied=5)
    dept(city, city.dept_cg, date(2026, 11, 20), received=10, signed=9, signed_on_time=7, handled=8,
         handled_on_time=6, reworked=1, returned=1, extended=2, rated=5, satisfied=4)
    dept(city, city.dept_cg, date(2026, 12, 1), received=50, handled=50)  # another month: not counted
    dept(city, city.dept_zj, date(2026, 11, 2), received=5, signed=5, signed_on_time=5, handled=5, handled_on_time=5)
    dept(city, city.dept_zj, date(2026, 10, 2), received=5, signed=5, signed_on_time=0)
    rows = {r["code"]: r for r in evaluation.rank_departments(Node("371502", "东昌府区", 3), NOV)}
    cg, zj = rows["CG"], rows["ZJ"]
    assert cg["counts"]["received"] == 20 and cg["counts"]["handled_on_time"] == 12
    c = cg["components"]
    assert (c["sign_rate"]["numerator"], c["sign_rate"]["denominator"]) == (15, 18)
    assert c["handle_rate"]["value"] == 0.75
    assert (c["rework_rate"]["value"], c["return_rate"]["value"], c["extension_rate"]["value"]) == (0.1, 0.05, 0.2)
    assert c["rework_rate"]["score"] == 0.9
    assert c["satisfaction_rate"]["value"] == 0.9
    assert cg["score"] == 83.25 and zj["score"] == 100.0
    assert (zj["rank"], cg["rank"]) == (1, 2)
    # October: 住建 received 5, signed 5, none on time → (15×0 + 15 + 10 + 10) ÷ 50 = 70; 城管 nothing → unranked
    assert (zj["previous_score"], zj["previous_rank"], zj["rank_change"]) == (70.0, 1, 0)
    assert (cg["previous_score"], cg["rank_change"]) == (None, None)


def test_department_weights_change_the_department_ranking(city):
    dept(city, city.dept_cg, date(2026, 11, 2), received=10, signed=10, signed_on_time=10, handled=10,
         handled_on_time=5, rated=10, satisfied=10)
    dept(city, city.dept_zj, date(2026, 11, 2), received=10, signed=10, signed_on_time=5, handled=10,
         handled_on_time=10, rated=10, satisfied=5)
    county = Node("371502", "东昌府区", 3)
    first = {r["rank"]: r["code"] for r in evaluation.rank_departments(county, NOV)}
    assert first[1] == "ZJ"  # 按期处置率 weighs most by default
    EvaluationScheme.objects.create(subject="department", weights={"handle_rate": 0, "satisfaction_rate": 50})
    assert {r["rank"]: r["code"] for r in evaluation.rank_departments(county, NOV)}[1] == "CG"


def test_departments_of_another_county_are_not_listed(city):
    from gridgov.accounts.models import Department
    from gridgov.regions.models import Region

    other = Region.objects.create(code="371521", name="阳谷县", level=3, parent=city.city)
    Department.objects.create(code="YG", name="阳谷城管", region=other)
    codes = {r["code"] for r in evaluation.rank_departments(Node("371502", "东昌府区", 3), NOV)}
    assert codes == {"CG", "ZJ"}
    assert "YG" in {r["code"] for r in evaluation.rank_departments(Node("3715", "聊城市", 2), NOV)}


def test_an_invalid_admin_scheme_is_refused_by_the_form_check(db):
    from django.core.exceptions import ValidationError

    s = EvaluationScheme(subject="region", weights={"nonsense": 3, "control_rate": -1},
                         star_thresholds={"center": [90, 80, 70, 60]})
    with pytest.raises(ValidationError) as exc:
        s.full_clean()
    assert set(exc.value.message_dict) == {"weights", "star_thresholds"}
    assert eval_config.scheme("region").weights == {k: float(v) for k, v in eval_config.REGION_WEIGHTS.items()}


def test_previous_periods_of_a_week_and_a_month():
    assert period("month", "2026-01").previous().start == date(2025, 12, 1)
    w = period("week", "2026-11-26")
    assert (w.start, w.previous().start) == (date(2026, 11, 23), date(2026, 11, 16))
    assert w.previous().end == w.start - timedelta(days=1)


# --- set-based: the number of queries does not grow with the number of nodes ranked -------------------


def _queries(fn) -> int:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()  # count the queries of a cold computation (the key persons' figures are cached)
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_ranking_regions_and_departments_costs_the_same_queries_for_two_or_twelve(data):
    from gridgov.accounts.models import Department
    from gridgov.regions.models import Region

    county = Node("371502", "东昌府区", 3)
    regions_before = _queries(lambda: evaluation.rank_children(county, NOV, now=NOW))
    depts_before = _queries(lambda: evaluation.rank_departments(county, NOV))
    for i in range(3, 13):
        code = f"371502{i:03d}"
        Region.objects.create(code=code, name=f"街道{i}", level=4, parent=data.county)
        tally("event", code, date(2026, 11, 3), reported=3, valid=3, closed=3, closed_on_time=i % 3)
        d = Department.objects.create(code=f"D{i}", name=f"部门{i}", region=data.county)
        DeptTally.objects.create(kind="event", department=d, day=date(2026, 11, 3), received=2, signed=2)
    assert len(evaluation.rank_children(county, NOV, now=NOW)) == 12
    assert _queries(lambda: evaluation.rank_children(county, NOV, now=NOW)) == regions_before
    assert _queries(lambda: evaluation.rank_departments(county, NOV)) == depts_before


def test_control_rate_agrees_with_the_registry_rule_person_by_person(city):
    """动态掌控率 by GROUP BY equals the registry's own visit_status over the same people (coverage)."""
    from gridgov.registry.services.visits import coverage
    from gridgov.stats.eval_keypersons import control_by_node

    on = date(2026, 11, 30)
    cat = KeyCategory.objects.create(code="mix", name="混合", intervals={"high": 7, "medium": 15, "low": 30})

    def kp(name, risk, since, visits=(), until=None, region=None):
        r = Resident.objects.create(name=name, region=region or city.community_a)
        k = KeyPerson.objects.create(resident=r, category=cat, risk_level=risk, since=since, until=until)
        for v in visits:
            Visit.objects.create(key_person=k, worker=city.worker_a, visited_at=v, findings="正常")

    kp("高-8天前", "high", date(2026, 10, 1), [at(2026, 11, 22)])                    # due 29 Nov: overdue
    kp("高-7天前", "high", date(2026, 10, 1), [at(2026, 11, 1), at(2026, 11, 23)])    # due 30 Nov: in hand
    kp("高-访于次日", "high", date(2026, 10, 1), [at(2026, 11, 20), at(2026, 12, 1)])  # the 1 Dec visit is after D
    kp("中-新列管", "medium", date(2026, 11, 20))                                      # due 5 Dec: in hand
    kp("中-列管早", "medium", date(2026, 11, 1))                                       # due 16 Nov: overdue
    kp("低-31天前", "low", date(2026, 9, 1), [at(2026, 10, 30)])                       # due 29 Nov: overdue
    kp("低-30天前", "low", date(2026, 9, 1), [at(2026, 10, 31, 23)])                   # due 30 Nov: in hand
    kp("已解除", "low", date(2026, 9, 1), until=date(2026, 11, 15))                    # not managed on D
    kp("未列管", "low", date(2026, 12, 1))                                             # not yet
    kp("柳园", "high", date(2026, 11, 28), region=city.community_b)                    # township B
    expected = coverage(A, on)
    assert (expected["covered"], expected["total"]) == (3, 7)
    assert control_by_node(4, "371502", on) == {A: (3, 7), B: (1, 1)}


def test_the_key_person_figures_of_a_day_are_cached_and_recomputed_once_the_cache_is_cleared(data):
    from django.core.cache import cache

    from gridgov.stats.eval_keypersons import control_by_node

    on = date(2026, 11, 30)
    assert control_by_node(4, "371502", on)[A] == (1, 2)
    KeyPerson.objects.update(since=on)  # both listed on the day: in hand by their listing date
    assert control_by_node(4, "371502", on)[A] == (1, 2)
    cache.clear()
    assert control_by_node(4, "371502", on)[A] == (2, 2)

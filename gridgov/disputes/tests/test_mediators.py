"""Mediators: load and success rate computed from real cases, suggestion ordering and reasons."""

import pytest

from gridgov.disputes import services
from gridgov.disputes.mediators import browse_mediators, mediators_with_stats, success_rate, suggest_mediators
from gridgov.disputes.models import Mediator

from .test_workflow import SUCCEED


def _conclude(d, city, m, ok: bool):
    services.perform_action(city.operator_a, d, "accept")
    services.perform_action(city.operator_a, d, "assign", {"mediator": m.pk})
    actor = m.user or city.operator_a
    services.perform_action(actor, d, "start")
    if ok:
        services.perform_action(actor, d, "succeed", SUCCEED)
    else:
        services.perform_action(actor, d, "fail", {"note": "未达成", "referral": "arbitration"})


def stats(m):
    return mediators_with_stats(Mediator.objects.filter(pk=m.pk)).get()


def test_success_rate_is_succeeded_over_succeeded_plus_failed(make_dispute, city, mediators):
    m = mediators["a"]
    assert success_rate(stats(m)) is None
    for ok in (True, True, True, False):
        _conclude(make_dispute(), city, m, ok)
    d = make_dispute()
    services.perform_action(city.operator_a, d, "accept")
    services.perform_action(city.operator_a, d, "assign", {"mediator": m.pk})
    s = stats(m)
    assert (s.successes, s.failures, s.case_count, s.load) == (3, 1, 5, 1)
    assert success_rate(s) == pytest.approx(0.75)


def test_a_reopened_and_failed_case_counts_its_success_and_failure_once_each(make_dispute, city, mediators):
    m = mediators["c"]
    d = make_dispute()
    _conclude(d, city, m, True)
    services.perform_action(city.operator_a, d, "follow_up", {"note": "回访"})
    services.perform_action(city.operator_a, d, "close")
    services.perform_action(city.operator_a, d, "reopen", {"note": "未履行"})
    services.perform_action(city.operator_a, d, "assign", {"mediator": m.pk})
    services.perform_action(city.operator_a, d, "start")
    services.perform_action(city.operator_a, d, "fail", {"note": "再调不成", "referral": "litigation"})
    s = stats(m)
    assert (s.successes, s.failures) == (1, 1)


def test_suggestions_rank_specialty_then_region_then_record(make_dispute, city, mediators):
    d = make_dispute()  # a neighbour dispute in 古楼街道
    ranked = suggest_mediators(d)
    assert [s.mediator.name for s in ranked] == ["王调解", "赵老师", "李调解"]
    top = ranked[0]
    assert "擅长邻里纠纷" in top.reasons and any("包含纠纷发生地" in r for r in top.reasons)
    assert any("同属一区县" in r or "包含纠纷发生地" in r for r in ranked[1].reasons)


def test_a_better_record_and_a_lower_load_move_a_mediator_up(make_dispute, city, mediators):
    other = Mediator.objects.create(name="陈调解", org_name="古楼街道人民调解委员会", specialties=["neighbor"],
                                    region=city.township_a)
    for _ in range(2):
        _conclude(make_dispute(), city, other, True)
    for _ in range(2):
        d = make_dispute()
        services.perform_action(city.operator_a, d, "accept")
        services.perform_action(city.operator_a, d, "assign", {"mediator": mediators["a"].pk})
    ranked = suggest_mediators(make_dispute())
    assert ranked[0].mediator == other
    assert "调解成功率 100%（2/2）" in ranked[0].reasons and "当前在办 2 件" in ranked[1].reasons


def test_full_and_inactive_mediators_are_not_suggested(make_dispute, city, mediators, settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "MEDIATOR_MAX_LOAD": 1}
    d = make_dispute()
    services.perform_action(city.operator_a, d, "accept")
    services.perform_action(city.operator_a, d, "assign", {"mediator": mediators["a"].pk})
    Mediator.objects.filter(pk=mediators["b"].pk).update(active=False)
    names = [s.mediator.name for s in suggest_mediators(make_dispute())]
    assert names == ["赵老师"]


def test_browsing_filters_by_type_region_and_rate(make_dispute, city, mediators):
    assert [m.name for m in browse_mediators(dispute_type="labor")] == ["李调解"]
    assert {m.name for m in browse_mediators(region=city.township_a.code)} == {"王调解", "赵老师"}
    _conclude(make_dispute(), city, mediators["a"], True)
    assert [m.name for m in browse_mediators(min_rate=0.5)] == ["王调解"]

"""The analysis (一分析) on fixed data: its numbers are the statistics layer's, the trends, the dispute and
petition sections, the warning provider (used when registered, 无 when not) and the 重点整治 rule."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.analysis import rules, texts
from gridgov.analysis.analysis import WARNING_SLOT, analyse, change, pct_text, same_period_last_year
from gridgov.analysis.tests import world
from gridgov.core import providers
from gridgov.stats import queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(city):
    world.build(city)
    return city


@pytest.fixture
def no_provider(monkeypatch):
    """No warning provider registered (whatever the installed apps fill the slot with)."""
    slots = {k: v for k, v in providers._slots.items() if k != WARNING_SLOT}
    monkeypatch.setattr(providers, "_slots", slots)


@pytest.fixture
def fake_provider(monkeypatch):
    """A warning provider answering for township A only: one orange hotspot warning."""
    calls = []

    def answer(code, start, end):
        calls.append((code, start, end))
        if not code.startswith("371502001") and code != "371502":
            return None
        return {"opened": 2, "open_now": 1, "by_level": {"blue": 1, "yellow": 0, "orange": 1, "red": 0},
                "by_rule": {"hotspot": 1, "care_gap": 1}, "rule_labels": {"hotspot": "热点", "care_gap": "走访缺口"},
                "top": [{"number": "YJ2026110100001", "title": "古楼街道道路保洁事件异常增多", "level": "orange",
                         "rule": "hotspot", "code": "371502001", "status": "new", "status_label": "新预警",
                         "explanation": "近14天32件，预期12件", "link": "/warnings/YJ2026110100001/"}]}

    slots = {k: v for k, v in providers._slots.items() if k != WARNING_SLOT}
    monkeypatch.setattr(providers, "_slots", slots)
    providers.provide(WARNING_SLOT, answer)
    return calls


def month(value: str):
    return queries.period("month", value)


@pytest.mark.parametrize("code", ["371502", "371502001", "371502002"])
def test_event_numbers_equal_the_statistics_summary_and_mix(built, api_response, no_provider, code):
    a = analyse(code, month(world.MONTH))
    q = f"code={code}&period=month&value={world.MONTH}"
    summary = api_response("get", f"/stats/summary?kind=event&{q}", user=built.county_operator).json()
    mix = api_response("get", f"/stats/mix?kind=event&by=category&{q}", user=built.county_operator).json()
    for key, value in a["events"]["counts"].items():
        assert value == summary["counts"][key], key
    assert a["events"]["reported"]["now"] == summary["counts"]["reported"]
    assert {r["key"]: r["now"] for r in a["events"]["by_category"] if r["now"]} == {
        r["key"]: r["reported"] for r in mix["rows"]}
    assert sum(r["now"] for r in a["events"]["by_category"]) == summary["counts"]["reported"]


def test_events_by_child_place_equal_each_childs_summary(built, api_response, no_provider):
    a = analyse(built.county.code, month(world.MONTH))
    for row in a["events"]["by_place"]:
        s = api_response("get", f"/stats/summary?kind=event&code={row['code']}&period=month&value={world.MONTH}",
                         user=built.county_operator).json()
        assert row["now"] == s["counts"]["reported"]
    assert {r["name"]: r["now"] for r in a["events"]["by_place"]} == {"古楼街道": 3, "柳园街道": 1}


def test_trends_against_the_previous_month_and_the_same_month_last_year(built, no_provider):
    a = analyse(built.township_a.code, month(world.MONTH))
    assert a["previous"]["value"] == world.PREV and a["last_year"]["value"] == world.LAST_YEAR
    t = a["events"]["reported"]
    assert (t["now"], t["prev"]["base"], t["prev"]["diff"], t["prev"]["pct"]) == (3, 1, 2, 200.0)
    assert (t["yoy"]["base"], t["yoy"]["diff"], t["yoy"]["pct"]) == (0, 3, None)  # base 0: no percentage
    county = analyse(built.county.code, month(world.MONTH))["events"]["by_place"]
    b = next(r for r in county if r["code"] == built.township_b.code)
    assert (b["prev"]["pct"], b["yoy"]["pct"]) == (0.0, 0.0)


def test_a_change_from_zero_has_no_percentage_and_prints_a_dash():
    assert change(5, 0) == {"now": 5, "base": 0, "diff": 5, "pct": None}
    assert pct_text(change(5, 0)["pct"]) == "—"
    assert pct_text(change(3, 4)["pct"]) == "-25.0%"


def test_the_same_period_last_year_of_a_month_a_week_and_a_leap_day():
    assert same_period_last_year(month("2026-03")).start == date(2025, 3, 1)
    w = same_period_last_year(queries.period("week", "2026-11-25"))
    assert (w.start.isocalendar()[1], w.start.year, (w.end - w.start).days) == (48, 2025, 6)
    assert same_period_last_year(queries.period("day", "2028-02-29")).start == date(2027, 2, 28)


def test_disputes_by_type_grade_and_outcome(built, no_provider):
    d = analyse(built.township_a.code, month(world.MONTH))["disputes"]
    assert d["reported"]["now"] == 3
    assert {r["key"]: r["now"] for r in d["by_type"]} == {"neighbor": 2, "labor": 1}
    assert {r["key"]: r["count"] for r in d["by_grade"]} == {"general": 2, "serious": 1, "major": 0}
    assert {r["key"]: r["count"] for r in d["by_outcome"]} == {"succeeded": 0, "failed": 0, "rejected": 1, "open": 2}
    assert analyse(built.township_b.code, month(world.MONTH))["disputes"]["reported"]["now"] == 0


def test_petitions_received_repeats_and_backlog(built, no_provider):
    p = analyse(built.township_a.code, month(world.MONTH))["petitions"]
    assert p["received"]["now"] == 2 and p["received"]["prev"]["pct"] is None
    assert p["repeats"] == 1
    assert p["backlog_now"] == 2  # registered early in November and never accepted: past the 15-day deadline
    assert analyse(built.township_b.code, month(world.MONTH))["petitions"]["received"]["now"] == 0


def test_without_a_warning_provider_the_warnings_are_none_and_the_text_says_none(built, no_provider):
    a = analyse(built.county.code, month(world.MONTH))
    assert a["warnings"] is None and a["hotspots"]["warnings"] == []
    assert "无" in texts.warnings_text(a)


def test_a_registered_warning_provider_is_asked_for_the_region_and_period_and_shown(built, fake_provider):
    a = analyse(built.county.code, month(world.MONTH))
    assert (built.county.code, date(2026, 11, 1), date(2026, 11, 30)) in fake_provider
    assert a["warnings"]["opened"] == 2 and a["warnings"]["by_level"]["orange"] == 1
    assert [w["number"] for w in a["hotspots"]["warnings"]] == ["YJ2026110100001"]
    text = texts.warnings_text(a)
    assert "新发预警2条" in text and "橙色1条" in text and "古楼街道道路保洁事件异常增多" in text
    # an orange warning in township A makes it a 重点整治 place; township B has none
    rect = {r["code"]: r["reasons"] for r in a["rectification"]}
    assert built.township_b.code not in rect
    assert any("橙色" in reason for reason in rect[built.township_a.code])


def test_a_township_whose_events_rose_enough_and_has_overdue_cases_needs_rectification(built, no_provider, settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "ANALYSIS": {"RISE_PCT": 30, "RISE_MIN": 2}}
    a = analyse(built.county.code, month(world.MONTH))
    assert [r["code"] for r in a["rectification"]] == [built.township_a.code]  # +2 (200 %), overdue open events
    settings.GRIDGOV = {**settings.GRIDGOV, "ANALYSIS": {"RISE_PCT": 30, "RISE_MIN": 3}}
    assert analyse(built.county.code, month(world.MONTH))["rectification"] == []  # +2 is under the minimum
    assert rules.thresholds()["RISE_MIN"] == 3


def test_the_hotspots_are_the_places_and_categories_that_rose_most(built, no_provider):
    h = analyse(built.county.code, month(world.MONTH))["hotspots"]
    assert [r["name"] for r in h["places"]] == ["古楼街道"]  # 柳园 did not rise
    assert [r["key"] for r in h["categories"]] == ["0301", "0101"]


def test_key_person_care_counts_people_in_hand_and_visits_on_time(city, no_provider):
    from gridgov.registry.models import KeyCategory, KeyPerson, Resident, Visit

    cat = KeyCategory.objects.create(code="test", name="测试类", intervals={"low": 30})

    def person(name, region, since, visits=()):
        kp = KeyPerson.objects.create(resident=Resident.objects.create(name=name, region=region), category=cat,
                                      risk_level="low", since=since, worker=city.worker_a)
        for v in visits:
            Visit.objects.create(key_person=kp, worker=city.worker_a, visited_at=v, findings="正常")

    # 甲: due 10-31, visited 11-01 (late) and 11-28 (on time); 乙: due 10-01, visited 11-29 (late); 丙 never
    person("甲", city.community_a, date(2026, 10, 1), [world.at(2026, 11, 1), world.at(2026, 11, 28)])
    person("乙", city.community_a, date(2026, 9, 1), [world.at(2026, 11, 29)])
    person("丙", city.community_b, date(2026, 8, 1))
    a = analyse(city.township_a.code, month(world.MONTH))["keypersons"]
    assert (a["under_management"], a["in_hand"], a["visits"], a["visits_on_time"]) == (2, 2, 3, 1)
    assert a["on"] == "2026-11-30" and a["on_time_rate"] == "33.33%"
    c = analyse(city.county.code, month(world.MONTH))["keypersons"]
    assert (c["under_management"], c["in_hand"], c["not_in_hand"], c["control_rate"]) == (3, 2, 1, "66.67%")

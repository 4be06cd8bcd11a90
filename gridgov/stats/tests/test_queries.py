"""Reading the rollups (gridgov.stats.queries): counts by node at every level, periods and their moment,
the open cases now, trend and mix, and who may see what (404) and which periods are bad (400)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridgov.accounts.models import User
from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.events import services as events
from gridgov.events.models import Event
from gridgov.events.taxonomy import install_default_categories
from gridgov.petitions import services as petitions
from gridgov.stats import queries
from gridgov.stats.queries import Period, period

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # Monday
NOVEMBER = period("month", "2026-11")
LATER = datetime(2026, 12, 10, 9, 0, tzinfo=TZ)


def report(city, at=T0, actor=None, **kw) -> Event:
    data = events.EventInput(**{"category": "0301", "description": "路面有大量垃圾未清理", "lng": 116.005,
                                "lat": 36.405, **kw})
    return events.create_event(actor or city.worker_a, data, now=at)[0]


@pytest.fixture
def places(city):
    """Five events of November, one per kind of place: grid A1, grid A2 (township A, community A),
    township A without a grid, grid B1 (township B), and the county itself (no township)."""
    install_default_categories()
    return {
        "a1": report(city),
        "a2": report(city, lng=116.015),
        "township_a": report(city, actor=city.operator_a, lng=None, lat=None, address="古楼街道某路口"),
        "b1": report(city, actor=city.worker_b, lng=116.105),
        "county": report(city, actor=city.county_operator, lng=None, lat=None, address="区政府门前"),
    }


def reported(by: dict) -> dict[str, int]:
    return {code: c["reported"] for code, c in by.items()}


# --- counts by node, at each level -------------------------------------------------------------------

def test_counts_by_node_at_every_level_of_the_region_path(city, places):
    assert places["a2"].grid == city.grid_a2 and places["township_a"].grid is None
    by = lambda level, prefix: reported(queries.counts_by("event", level, prefix, NOVEMBER, now=LATER))  # noqa: E731
    assert by(2, "") == {"3715": 5}
    assert by(3, "3715") == {"371502": 5}
    # the county's own case is in no township; the township's own is in no community
    assert by(4, "371502") == {city.township_a.code: 3, city.township_b.code: 1}
    assert by(5, city.township_a.code) == {city.community_a.code: 2}
    assert by(6, city.community_a.code) == {city.grid_a1.code: 1, city.grid_a2.code: 1}
    assert by(6, city.grid_a1.code) == {city.grid_a1.code: 1}
    # the same node read alone
    assert queries.counts("event", city.township_a.code, NOVEMBER, now=LATER)["reported"] == 3
    assert queries.counts("event", city.county.code, NOVEMBER, now=LATER)["open"] == 5


def test_open_cases_above_a_level_are_no_node_of_it(city, places):
    """A case placed at the township (no community, no grid) is open, but it is no community: a level-5
    read under the township lists communities only — for the open counts as for the rollup ones."""
    by = queries.counts_by("event", 5, city.township_a.code, NOVEMBER, now=LATER)
    assert set(by) == {city.community_a.code}
    assert (by[city.community_a.code]["open"], by[city.community_a.code]["open_due"]) == (2, 2)
    now = queries.open_now("event", 5, city.township_a.code, now=LATER)
    assert set(now) == {city.community_a.code} and now[city.community_a.code]["open"] == 2
    assert set(queries.open_now("event", 4, "371502", now=LATER)) == {city.township_a.code, city.township_b.code}
    assert queries.open_now("event", 3, "3715", now=LATER)["371502"]["open"] == 5



def test_reading_the_known_places_gives_the_range_reads_figures(city, places, monkeypatch):
    """The map names the places it draws (probing the place index once each): the counts are those of the range
    read for them, a place with no case is simply absent, and past PLACES_IN_LIST the range is read instead."""
    codes = [city.grid_a1.code, city.grid_a2.code]
    whole = queries.counts_by("event", 6, city.community_a.code, NOVEMBER, now=LATER)
    named = queries.counts_by("event", 6, city.community_a.code, NOVEMBER, now=LATER, codes=codes)
    assert {c: v.values for c, v in named.items()} == {c: v.values for c, v in whole.items()} != {}
    assert set(queries.counts_by("event", 6, city.community_a.code, NOVEMBER, now=LATER,
                                 codes=[city.grid_a1.code])) == {city.grid_a1.code}
    assert queries.counts_by("event", 6, city.community_a.code, NOVEMBER, now=LATER, codes=[]) == {}
    monkeypatch.setattr(queries, "PLACES_IN_LIST", 1)
    assert set(queries.counts_by("event", 6, city.community_a.code, NOVEMBER, now=LATER,
                                 codes=[city.grid_a1.code, city.grid_a2.code])) == set(codes)


def test_the_open_cases_of_a_period_and_of_now_in_one_read_equal_the_two_reads(city, places):
    """open_counts answers the period's open / past-due counts and the ones open now in one GROUP BY: the same
    as counts_by's open counts and open_now — including a case reported before the period (open now, not in
    the period's counts)."""
    report(city, at=datetime(2026, 10, 12, 9, 0, tzinfo=TZ))
    period_open, now = queries.open_counts("event", 5, city.township_a.code, NOVEMBER, now=LATER)
    by = queries.counts_by("event", 5, city.township_a.code, NOVEMBER, now=LATER)
    assert period_open == {c: {"open": v["open"], "open_due": v["open_due"]} for c, v in by.items()}
    assert period_open[city.community_a.code]["open"] == 2
    assert now == queries.open_now("event", 5, city.township_a.code, now=LATER)
    assert now[city.community_a.code]["open"] == 3

def test_an_unknown_kind_is_a_bad_request(city):
    with pytest.raises(ValidationFailed) as err:
        queries.counts_by("parcel", 2, "", NOVEMBER)
    assert "kind" in err.value.fields


# --- periods and the moment ------------------------------------------------------------------------------

def test_a_week_a_day_and_a_year_hold_the_cases_reported_in_them(city, places):
    friday = report(city, at=datetime(2026, 11, 27, 10, 0, tzinfo=TZ))
    december = report(city, at=datetime(2026, 12, 1, 10, 0, tzinfo=TZ))
    code = city.county.code
    week = period("week", "2026-11-25")
    assert (week.start, week.end) == (date(2026, 11, 23), date(2026, 11, 29))
    assert queries.counts("event", code, week, now=LATER)["reported"] == 6
    assert queries.counts("event", code, period("day", "2026-11-23"), now=LATER)["reported"] == 5
    assert queries.counts("event", code, period("day", "2026-11-27"), now=LATER)["reported"] == 1
    assert queries.counts("event", code, period("year", "2026"), now=LATER)["reported"] == 7
    assert queries.counts("event", code, period("year", "2025"), now=LATER)["reported"] == 0
    assert queries.counts("event", code, period("month", "2026-12"), now=LATER)["reported"] == 1
    assert friday.pk and december.pk
    # the trend: by day for a month, by month for a year
    days = queries.trend("event", code, NOVEMBER)
    assert len(days) == 30 and days[22] == {"at": "2026-11-23", "reported": 5, "valid": 0, "closed": 0,
                                            "closed_on_time": 0}
    months = queries.trend("event", code, period("year", "2026"))
    assert [m["at"] for m in months][:2] == ["2026-01", "2026-02"] and months[10]["reported"] == 6


def test_the_moment_is_the_periods_end_or_now_while_it_runs():
    assert NOVEMBER.moment(LATER) == datetime(2026, 12, 1, 0, 0, tzinfo=TZ)
    during = datetime(2026, 11, 20, 15, 0, tzinfo=TZ)
    assert NOVEMBER.moment(during) == during
    assert period("day", "2026-11-23").moment(LATER) == datetime(2026, 11, 24, 0, 0, tzinfo=TZ)


def test_an_open_case_is_due_for_its_period_only_if_its_due_at_passed_by_the_moment(city):
    """应结案 = closed + open whose 办结时限 passed by the moment of evaluation. A case reported on the month's
    last afternoon whose 办结时限 falls in the next month is not due in that month's figures — not even when
    they are read after it has become overdue; a case reported early in the month is due once its 办结时限
    passed, and not before."""
    install_default_categories()
    early = report(city)
    late = report(city, at=datetime(2026, 11, 30, 16, 0, tzinfo=TZ))
    assert early.due_at < NOVEMBER.moment(LATER) < late.due_at < LATER
    code = city.township_a.code
    read = lambda now: queries.counts("event", code, NOVEMBER, now=now)  # noqa: E731
    assert (read(LATER)["open"], read(LATER)["open_due"], read(LATER).due) == (2, 1, 1)
    assert read(early.due_at - timedelta(minutes=1)).due == 0  # read while the month runs, before its limit
    assert read(early.due_at + timedelta(minutes=1)).due == 1
    # December's figures do not take November's cases, however late
    assert queries.counts("event", code, period("month", "2026-12"), now=LATER).due == 0


def test_period_labels_params_and_the_previous_one():
    assert (NOVEMBER.label, NOVEMBER.param) == ("2026年11月", "2026-11")
    assert NOVEMBER.previous() == Period("month", date(2026, 10, 1), date(2026, 10, 31))
    assert period("month", "2026-01").previous().param == "2025-12"
    assert period("year", "2026").previous() == Period("year", date(2025, 1, 1), date(2025, 12, 31))
    week = period("week", "2026-11-29")  # a Sunday: its week began on Monday
    assert week.previous() == Period("week", date(2026, 11, 16), date(2026, 11, 22))
    assert week.param == "2026-11-23" and week.label == "2026-11-23 — 2026-11-29"
    assert period("month", today=date(2026, 2, 14)) == Period("month", date(2026, 2, 1), date(2026, 2, 28))


@pytest.mark.parametrize("kind, value", [
    ("month", "2026-13"), ("month", "2026"), ("month", "abc"), ("month", "2026-11-05"), ("year", "x"),
    ("year", "20.26"), ("day", "2026-11-31"), ("week", "2026-02-30"), ("quarter", "2026-1"), ("", "2026"),
    # the moment of these would not be a datetime: a 4xx, not a 500
    ("year", "9999"), ("day", "9999-12-31"), ("week", "9999-12-31"), ("year", "1"), ("month", "0001-01"),
])
def test_a_bad_period_is_a_4xx_naming_the_field(kind, value):
    """The project's field errors (ValidationFailed) answer 422, with the field named."""
    with pytest.raises(ValidationFailed) as err:
        period(kind, value).moment(LATER)
    assert err.value.status == 422 and list(err.value.fields) == ["period"]


# --- scope ---------------------------------------------------------------------------------------------

def test_who_sees_which_nodes(city):
    assert queries.root_of(city.admin).code == "3715"
    assert queries.root_of(city.leader_county) == city.county
    assert queries.root_of(city.operator_b) == city.township_b
    assert queries.root_of(city.liaison_cg) is None and queries.root_of(city.worker_a) is None
    assert queries.root_of(None) is None
    n = queries.node(city.county_operator, city.grid_a1.code)
    assert (n.code, n.level, n.level_name, n.child_level) == (city.grid_a1.code, 6, "网格", None)
    assert [x.code for x in queries.path_of(city.county_operator, n)] == [
        city.county.code, city.township_a.code, city.community_a.code, city.grid_a1.code]
    assert queries.node(city.operator_a).code == city.township_a.code  # default: one's own region
    assert [c.code for c in queries.children(queries.node(city.admin, city.county.code))] == [
        city.township_a.code, city.township_b.code]
    assert [c.code for c in queries.children(queries.node(city.admin, city.community_a.code))] == [
        city.grid_a1.code, city.grid_a2.code]


@pytest.mark.parametrize("who, code", [
    ("operator_b", "371502001"),            # the township next door
    ("operator_b", "371502001001001"),      # a grid of it
    ("operator_a", "371502"),               # above one's own region
    ("leader_a", "3715"),
    ("county_operator", "371502003"),       # no such township
    ("county_operator", "3715020010"),      # no level has 10 digits
    ("county_operator", "371502001009009"),  # no such grid
    ("admin", "37"),                        # the province is above the city
    ("liaison_cg", "371502"),               # no statistics at all
    ("worker_a", "371502001"),
])
def test_a_code_outside_ones_scope_is_a_404(city, who, code):
    with pytest.raises(NotFound) as err:
        queries.node(getattr(city, who), code)
    assert err.value.status == 404


def test_an_inactive_user_sees_nothing(city):
    User.objects.filter(pk=city.county_operator.pk).update(is_active=False)
    user = User.objects.get(pk=city.county_operator.pk)
    with pytest.raises(NotFound):
        queries.node(user, city.county.code)


# --- open cases now, the feed, the mix --------------------------------------------------------------------

def test_open_now_counts_overdue_near_due_and_petition_backlog(city, places):
    deadline = Event.objects.get(pk=places["a1"].pk).deadline
    now = queries.open_now("event", 4, "371502", now=deadline + timedelta(minutes=1))
    assert now[city.township_a.code]["overdue"] == 3 and now[city.township_a.code]["open"] == 3
    early = queries.open_now("event", 4, "371502", now=T0 + timedelta(minutes=1))
    assert early[city.township_a.code]["overdue"] == 0
    feed = queries.open_feed("event", city.township_a.code, now=LATER)
    assert len(feed) == 3 and [d for _id, d in feed] == sorted(d for _id, d in feed)
    # a petition still open three months after it was registered is 积案
    petitions.create_petition(city.operator_a, petitions.PetitionInput(
        channel="visit", subject="小区物业乱收费", demands="要求物业退还多收的物业费", target_agency="某物业公司",
        petitioners=[petitions.PetitionerInput(name="王建国", phone="13800138000")]),
        now=datetime(2026, 8, 3, 9, 0, tzinfo=TZ))
    backlog = queries.open_now("petition", 4, "371502", now=LATER)[city.township_a.code]
    assert (backlog["open"], backlog["backlog"]) == (1, 1)
    assert queries.open_now("petition", 4, "371502", now=datetime(2026, 10, 1, tzinfo=TZ))[
        city.township_a.code]["backlog"] == 0


def test_the_mix_by_category_and_source(city, places):
    rows = queries.mix("event", city.township_a.code, NOVEMBER)  # a township: the monthly rollup
    assert rows == [{"key": "0301", "reported": 3, "valid": 0, "closed": 0, "closed_on_time": 0}]
    by_source = queries.mix("event", city.county.code, NOVEMBER, by="source")  # largest first
    assert [(r["key"], r["reported"]) for r in by_source] == [("grid_patrol", 3), ("department", 2)]
    # a community counts its own cases; so does a week at any level
    assert queries.mix("event", city.community_a.code, NOVEMBER) == [{"key": "0301", "reported": 2}]
    assert queries.mix("event", city.county.code, period("week", "2026-11-23")) == [{"key": "0301", "reported": 5}]
    with pytest.raises(ValidationFailed):
        queries.mix("event", city.county.code, NOVEMBER, by="colour")

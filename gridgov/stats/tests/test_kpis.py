"""The KPIs on fixed data, the expected values written down first (docs/evaluation.md, 指标).

1. 天门 (Tianmen), December 2016, as the city's bulletin printed it: 立案 996, 应结案 972, 结案 911, 按期结案 737
   → 结案率 93.72 %, 按期结案率 75.82 %. Rebuilt here as 1,000 real event rows of one month (four not taken
   up), the rollups recomputed from them by the kernel (``tally.rebuild``), read back by ``queries.counts``.
2. A month of a dozen events driven through the real workflow, each with a fate chosen to move one measure,
   and every event KPI of ``kpis.KPIS`` checked against a hand count.
3. Disputes (矛盾纠纷化解率, 就地化解率) and petitions (七日内回复率) the same way.
4. The arithmetic: no denominator → no value ("—"), never 0 % or 100 %; half-up rounding.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.cases import tally
from gridgov.cases.engine import Citizen, lifecycles
from gridgov.cases.tests.tally_world import make_mediators
from gridgov.disputes import services as disputes
from gridgov.events import services as events
from gridgov.events.models import Category, Event, Source, Status
from gridgov.events.taxonomy import install_default_categories
from gridgov.petitions import services as petitions
from gridgov.petitions.models import Petition
from gridgov.stats import kpis, queries
from gridgov.stats.kpis import KPI_BY_KEY, KPIS, Counts, kpis_of, percent
from gridgov.testing import image_bytes

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # Monday
AFTER = datetime(2026, 12, 10, 9, 0, tzinfo=TZ)  # the figures of November, read in December
NOVEMBER = queries.period("month", "2026-11")


@pytest.fixture
def cats(city):
    install_default_categories()


# --- 1. 天门, December 2016 ----------------------------------------------------------------------------

def test_tianmen_december_2016_prints_93_72_and_75_82(city, cats):
    """October 2026 stands in for December 2016 (the calendar of the deadlines does not matter here: every
    row's 办结时限 and outcome is set). Expected, from the bulletin: 立案 996, 应结案 972 (911 closed + 61
    open past their 办结时限 at the month's end; 24 open still inside it are not yet due), 结案 911, 按期结案
    737 (of the 911; 174 closed late)."""
    expected = {"valid": 996, "due": 972, "closed": 911, "closed_on_time": 737, "open": 85, "open_due": 61}
    cat = Category.objects.get(code="0301")
    month_end = datetime(2026, 11, 1, 0, 0, tzinfo=TZ)
    rows = []
    for i in range(1000):
        reported = datetime(2026, 10, 1 + i % 31, 8, 0, tzinfo=TZ) + timedelta(minutes=i % 600)
        if i < 4:  # not taken up (不予受理): reported, not 立案
            fate = dict(status=Status.REJECTED)
        elif i < 4 + 737:
            fate = dict(status=Status.CLOSED, closed_on_time=True, closed_at=reported + timedelta(hours=5))
        elif i < 4 + 911:
            fate = dict(status=Status.CLOSED, closed_on_time=False, closed_at=reported + timedelta(days=9))
        elif i < 4 + 911 + 61:
            fate = dict(status=Status.HANDLING, due_at=month_end - timedelta(hours=1 + i % 200))
        else:
            fate = dict(status=Status.HANDLING, due_at=month_end + timedelta(days=2))
        if fate["status"] in (Status.CLOSED, Status.HANDLING):
            fate["lead_department"] = city.dept_cg
        rows.append(Event(number=f"SJ20261000{i:04d}", source=Source.GRID_PATROL, category=cat, title="道路保洁",
                          description="路面有大量垃圾未清理", grid=city.grid_a1, region=city.community_a,
                          center=city.township_a, created_at=reported, **{"due_at": reported + timedelta(days=3),
                                                                          **fate}))
    Event.objects.bulk_create(rows)
    tally.rebuild(lifecycles())

    october = queries.period("month", "2026-10")
    for code in (city.city.code, city.county.code, city.township_a.code, city.community_a.code, city.grid_a1.code):
        c = queries.counts("event", code, october, now=AFTER)
        assert {k: c[k] for k in expected} == expected, code
        assert c["reported"] == 1000
        values = kpis_of(c)
        assert percent(values["close_rate"]) == "93.72%"
        assert percent(values["on_time_close_rate"]) == "75.82%"
    # the township next door had nothing
    assert queries.counts("event", city.township_b.code, october, now=AFTER) == Counts()
    # and November's cohort does not hold October's cases
    assert queries.counts("event", city.township_a.code, NOVEMBER, now=AFTER)["reported"] == 0


# --- 2. a month of events through the workflow --------------------------------------------------------

def act(user, e: Event, action: str, at: datetime, **raw):
    events.perform_action(user, Event.objects.get(pk=e.pk), action, raw, now=at)


def report(city, at: datetime, actor=None, **kw) -> Event:
    data = events.EventInput(**{"category": "0301", "description": "路面有大量垃圾未清理", "lng": 116.005,
                                "lat": 36.405, **kw})
    return events.create_event(actor or city.worker_a, data, now=at)[0]


def handled(city, e: Event, at: datetime, operator=None) -> None:
    op = operator or city.operator_a
    if Event.objects.get(pk=e.pk).status == Status.REPORTED:
        act(op, e, "accept", at)
    act(op, e, "dispatch", at + timedelta(minutes=5), lead_department="CG")
    act(city.liaison_cg, e, "sign", at + timedelta(minutes=10))
    act(city.liaison_cg, e, "feedback", at + timedelta(minutes=20), note="已清理")


def november_of_events(city) -> dict[str, Event]:
    """Twelve events of township A reported in November (and one in October), each with a fate:

    E1 closed on time, rated 满意       E2 closed after its 办结时限, rated 基本满意
    E3 reworked once, closed on time, rated 不满意 (not reopened)
    E4 extended (approved), closed after the first 办结时限 but within the extended one: on time
    E5 returned by the department once, dispatched again, closed on time
    E6 resolved on the spot by the grid worker, verified: closed in the grid
    E7 open, in handling, its 办结时限 passed in November: 应结案, not closed
    E8 reported on the month's last afternoon, accepted: its 办结时限 falls in December — not yet 应结案
    E9 rejected (不予受理)                E10 merged into E7
    E11 escalated to the county center, closed there on time
    E12 resolved on the spot, failed verification, dispatched, closed by the department on time
    E0 reported in October, closed: another month's cohort
    """
    e = {}
    t = T0
    e["E1"] = report(city, t)
    handled(city, e["E1"], t)
    act(city.operator_a, e["E1"], "verify_pass", t + timedelta(minutes=30))
    act(city.worker_a, e["E1"], "rate", t + timedelta(minutes=40), rating="satisfied")

    e["E2"] = report(city, t)
    handled(city, e["E2"], t)
    due = Event.objects.get(pk=e["E2"].pk).due_at
    act(city.operator_a, e["E2"], "verify_pass", due + timedelta(minutes=1))
    act(city.worker_a, e["E2"], "rate", due + timedelta(minutes=2), rating="basically")

    e["E3"] = report(city, t)
    handled(city, e["E3"], t)
    act(city.operator_a, e["E3"], "verify_fail", t + timedelta(minutes=30), note="仍有垃圾")
    act(city.liaison_cg, e["E3"], "sign", t + timedelta(minutes=35))
    act(city.liaison_cg, e["E3"], "feedback", t + timedelta(minutes=45), note="已彻底清理")
    act(city.operator_a, e["E3"], "verify_pass", t + timedelta(minutes=50))
    act(city.worker_a, e["E3"], "rate", t + timedelta(minutes=55), rating="unsatisfied")

    e["E4"] = report(city, t)
    act(city.operator_a, e["E4"], "accept", t)
    act(city.operator_a, e["E4"], "dispatch", t + timedelta(minutes=5), lead_department="CG")
    act(city.liaison_cg, e["E4"], "sign", t + timedelta(minutes=10))
    act(city.liaison_cg, e["E4"], "request_extension", t + timedelta(minutes=15), note="需采购材料",
        requested_deadline=(t + timedelta(days=5)).isoformat())
    act(city.operator_a, e["E4"], "approve_extension", t + timedelta(minutes=20))
    due = Event.objects.get(pk=e["E4"].pk).due_at
    act(city.liaison_cg, e["E4"], "feedback", t + timedelta(days=3), note="已修复")
    act(city.operator_a, e["E4"], "verify_pass", t + timedelta(days=3, minutes=10))
    assert t + timedelta(days=3, minutes=10) <= due

    e["E5"] = report(city, t)
    act(city.operator_a, e["E5"], "accept", t)
    act(city.operator_a, e["E5"], "dispatch", t + timedelta(minutes=5), lead_department="ZJ")
    act(city.liaison_zj, e["E5"], "return", t + timedelta(minutes=10), note="不属于本部门职责")
    act(city.operator_a, e["E5"], "dispatch", t + timedelta(minutes=15), lead_department="CG")
    act(city.liaison_cg, e["E5"], "sign", t + timedelta(minutes=20))
    act(city.liaison_cg, e["E5"], "feedback", t + timedelta(minutes=30), note="已清理")
    act(city.operator_a, e["E5"], "verify_pass", t + timedelta(minutes=40))

    photo = SimpleUploadedFile("p.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    e["E6"] = report(city, t, resolve_on_spot=True, on_spot_result="已当场清理", attachments=[photo])
    act(city.operator_a, e["E6"], "verify_pass", t + timedelta(minutes=30))

    e["E7"] = report(city, t)
    handled_at = t
    act(city.operator_a, e["E7"], "accept", handled_at)
    act(city.operator_a, e["E7"], "dispatch", handled_at + timedelta(minutes=5), lead_department="CG")
    act(city.liaison_cg, e["E7"], "sign", handled_at + timedelta(minutes=10))

    last_afternoon = datetime(2026, 11, 30, 16, 0, tzinfo=TZ)
    e["E8"] = report(city, last_afternoon)
    act(city.operator_a, e["E8"], "accept", last_afternoon + timedelta(minutes=5))

    e["E9"] = report(city, t)
    act(city.operator_a, e["E9"], "reject", t + timedelta(minutes=5), note="重复上报")

    e["E10"] = report(city, t)
    act(city.operator_a, e["E10"], "merge", t + timedelta(minutes=5), target=e["E7"].number)

    e["E11"] = report(city, t)
    act(city.operator_a, e["E11"], "escalate", t, note="需区级协调")
    handled(city, e["E11"], t + timedelta(minutes=1), operator=city.county_operator)
    act(city.county_operator, e["E11"], "verify_pass", t + timedelta(minutes=40))

    photo = SimpleUploadedFile("p.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    e["E12"] = report(city, t, resolve_on_spot=True, on_spot_result="已当场清理", attachments=[photo])
    act(city.operator_a, e["E12"], "dispatch", t + timedelta(minutes=30), lead_department="CG")
    act(city.liaison_cg, e["E12"], "sign", t + timedelta(minutes=35))
    act(city.liaison_cg, e["E12"], "feedback", t + timedelta(minutes=45), note="已清理")
    act(city.operator_a, e["E12"], "verify_pass", t + timedelta(minutes=50))

    october = datetime(2026, 10, 20, 9, 0, tzinfo=TZ)
    e["E0"] = report(city, october)
    handled(city, e["E0"], october)
    act(city.operator_a, e["E0"], "verify_pass", october + timedelta(minutes=30))
    return e


# The hand count, written before running anything (docstring of november_of_events):
EVENT_COUNTS = {
    "reported": 12,         # E1–E12
    "valid": 10,            # not E9 (rejected), not E10 (merged)
    "dispatched": 8,        # E1–E5, E7, E11, E12 (E6 never; E8 only accepted)
    "closed": 8,            # E1–E6, E11, E12
    "closed_on_time": 7,    # all closed but E2
    "open": 2,              # E7, E8
    "open_due": 1,          # E7 (E8's 办结时限 is in December)
    "due": 9,               # 应结案 = 8 closed + 1 open past its 办结时限
    "reworked": 1,          # E3
    "extended": 1,          # E4
    "returned": 1,          # E5
    "rated": 3,             # E1, E2, E3
    "satisfied": 2,         # E1 满意, E2 基本满意
    "resolved_grid": 1,     # E6 (E12 was handled by a department)
    "resolved_township": 6,  # E1–E5, E12
    "resolved_county": 1,   # E11
    "resolved_city": 0,
}
EVENT_KPIS = {
    "close_rate": "88.89%",          # 8 / 9
    "on_time_close_rate": "77.78%",  # 7 / 9
    "rework_rate": "11.11%",         # 1 / 9
    "extension_rate": "11.11%",      # 1 / 9
    "return_rate": "12.50%",         # 1 / 8
    "satisfaction_rate": "66.67%",   # 2 / 3
    "in_grid_rate": "12.50%",        # 1 / 8
    "local_rate": "87.50%",          # (1 + 6) / (1 + 6 + 1 + 0)
}


def test_every_event_kpi_on_a_month_of_events_driven_through_the_workflow(city, cats):
    november_of_events(city)
    c = queries.counts("event", city.township_a.code, NOVEMBER, now=AFTER)
    assert {k: c[k] for k in EVENT_COUNTS} == EVENT_COUNTS
    values = kpis_of(c, "event")
    assert set(values) == {k.key for k in KPIS if "event" in k.kinds} == set(EVENT_KPIS)
    assert {k: percent(v) for k, v in values.items()} == EVENT_KPIS
    # the same at every level above (nothing else in the city), and the rollups are what the cases say
    for code in (city.city.code, city.county.code):
        assert queries.counts("event", code, NOVEMBER, now=AFTER).as_dict() == c.as_dict()
    stored, expected = tally.stored(), tally.expected(tally.recompute(lifecycles()))
    assert stored == expected
    # October's one case is October's
    october = queries.counts("event", city.township_a.code, queries.period("month", "2026-10"), now=AFTER)
    assert (october["reported"], october["closed"], october["due"]) == (1, 1, 1)


def test_a_reopened_case_leaves_the_closed_count_until_closed_again(city, cats):
    """E3 of the month above rated 不满意 and reopened: no longer 结案 (its 办结时限 has passed, so it stays
    应结案 as an open case) — 结案率 8/9 → 7/9, 按期结案率 7/9 → 6/9; its rating is gone with it."""
    e = november_of_events(city)
    act(city.operator_a, e["E3"], "reopen", T0 + timedelta(hours=2), note="群众不满意，重新办理")
    c = queries.counts("event", city.township_a.code, NOVEMBER, now=AFTER)
    assert (c["closed"], c["closed_on_time"], c["open_due"], c["due"]) == (7, 6, 2, 9)
    assert (c["rated"], c["satisfied"], c["reworked"], c["dispatched"]) == (2, 2, 1, 8)
    values = kpis_of(c)
    assert (percent(values["close_rate"]), percent(values["on_time_close_rate"])) == ("77.78%", "66.67%")


# --- 3. disputes and petitions --------------------------------------------------------------------------

def dispute(city, at, actor=None, **kw):
    data = disputes.DisputeInput(**{
        "dispute_type": "neighbor", "description": "楼上漏水导致楼下天花板损坏，双方多次争吵",
        "parties": [{"role": "applicant", "name": "张三", "phone": "13800000001"},
                    {"role": "respondent", "name": "李四", "phone": "13800000002"}],
        "lng": 116.005, "lat": 36.405, "address": "古城路1号", "amount": 3000, "people_count": 2, **kw})
    return disputes.create_dispute(actor or city.worker_a, data, now=at)


def dact(user, d, action, at, **raw):
    disputes.perform_action(user, d, action, {"note": "说明", **raw}, now=at)


def test_dispute_resolution_and_local_rates(city):
    """D1 (township A) mediated to an agreement and closed; D2 (township A) mediation failed; D3 registered
    only; D4 (registered at the county) mediated to an agreement; D5 rejected. 受理 (valid) = D1, D2, D4;
    化解 (succeeded) = D1, D4 → 矛盾纠纷化解率 2/3; 就地化解率 = township's 1 / (township 1 + county 1)."""
    m = make_mediators(city)
    t = T0
    d1, d2, d3 = dispute(city, t), dispute(city, t), dispute(city, t)
    d4 = dispute(city, t, actor=city.county_operator, lng=None, lat=None, region=city.county.code)
    d5 = dispute(city, t)
    for d, op in ((d1, city.operator_a), (d2, city.operator_a), (d4, city.county_operator)):
        dact(op, d, "accept", t)
        dact(op, d, "assign", t, mediator=m["a"].pk)
        dact(m["a"].user, d, "start", t)
    dact(m["a"].user, d1, "succeed", t, terms="李四赔偿张三维修费3000元")
    dact(city.operator_a, d1, "follow_up", t, satisfaction="satisfied")
    dact(city.operator_a, d1, "close", t)
    dact(m["a"].user, d2, "fail", t, referral="litigation")
    dact(m["a"].user, d4, "succeed", t, terms="双方同意分摊维修费用")
    dact(city.operator_a, d5, "reject", t)
    assert d3.status == "registered"

    county = queries.counts("dispute", city.county.code, NOVEMBER, now=AFTER)
    assert {k: county[k] for k in ("reported", "valid", "succeeded", "closed", "resolved_township",
                                   "resolved_county")} == {"reported": 5, "valid": 3, "succeeded": 2, "closed": 1,
                                                           "resolved_township": 1, "resolved_county": 1}
    values = kpis_of(county, "dispute")
    assert set(values) == {"dispute_resolution_rate", "local_rate"}
    assert percent(values["dispute_resolution_rate"]) == "66.67%"
    assert percent(values["local_rate"]) == "50.00%"
    township = kpis_of(queries.counts("dispute", city.township_a.code, NOVEMBER, now=AFTER), "dispute")
    assert percent(township["dispute_resolution_rate"]) == "50.00%" and percent(township["local_rate"]) == "100.00%"


def pact(user, p, action, at, **raw):
    petitions.perform_action(user, Petition.objects.get(pk=p.pk), action, {"note": "说明", **raw}, now=at)


def petition(city, channel, at):
    return petitions.create_petition(city.operator_a, petitions.PetitionInput(
        channel=channel, subject="小区物业乱收费", demands="要求物业退还多收的物业费", target_agency="某物业公司",
        petitioners=[petitions.PetitionerInput(name="王建国", phone="13800138000")]), now=at)


def test_the_seven_day_reply_rate_of_letters(city):
    """P1 a letter answered by its acceptance the next day (in time); P2 a letter acknowledged a minute
    after its 7 days; P3 a letter never answered; P4 a visit (owes no written reply). 应回复 3, 按期 1."""
    t = T0
    p1, p2, p3, p4 = (petition(city, ch, t) for ch in ("letter", "letter", "letter", "visit"))
    pact(city.operator_a, p1, "accept", t + timedelta(days=1))
    pact(city.operator_a, p2, "acknowledge", Petition.objects.get(pk=p2.pk).ack_due_at + timedelta(minutes=1))
    pact(city.operator_a, p4, "accept", t + timedelta(days=1))
    c = queries.counts("petition", city.township_a.code, NOVEMBER, now=AFTER)
    assert (c["reported"], c["reply_due"], c["replied_on_time"], c["valid"]) == (4, 3, 1, 2)
    values = kpis_of(c, "petition")
    assert set(values) == {"reply_rate"} and percent(values["reply_rate"]) == "33.33%"
    assert p3.acked_at is None


# --- 4. the arithmetic -------------------------------------------------------------------------------------

def test_a_kpi_without_a_denominator_has_no_value_not_zero_or_a_hundred():
    empty = kpis_of(Counts(), "event")
    assert set(empty.values()) == {None}
    assert percent(None) == "—"
    only_open = Counts({"reported": 3, "valid": 3, "open": 3, "open_due": 0})
    assert kpis_of(only_open)["close_rate"] is None  # nothing due yet: no rate, not 0 %
    assert kpis_of(Counts({"closed": 0, "open_due": 2}))["close_rate"] == 0.0  # due and not closed: 0 %


@pytest.mark.parametrize("num, den, printed", [
    (911, 972, "93.72%"), (737, 972, "75.82%"), (1, 8, "12.50%"), (1, 800, "0.13%"), (2, 3, "66.67%"),
    (1, 3, "33.33%"), (5, 5, "100.00%"), (0, 7, "0.00%"), (1, 200000, "0.00%"), (1, 1600, "0.06%"),
])
def test_percent_rounds_half_up_to_two_places(num, den, printed):
    assert percent(KPI_BY_KEY["close_rate"].value(Counts({"closed": num, "open_due": den - num}))) == printed


def test_due_is_the_closed_and_the_open_past_their_due_at_and_counts_add_up():
    a = Counts({"closed": 3, "open_due": 2, "reworked": 1})
    b = Counts({"closed": 1, "open": 4})
    assert a.due == 5 and a["due"] == 5
    total = a.add(b)
    assert (total["closed"], total["open_due"], total.due, total["open"], total["reworked"]) == (4, 2, 6, 4, 1)
    assert total.as_dict()["due"] == 6 and total.as_dict()["succeeded"] == 0


def test_every_kpi_names_measures_that_exist_and_a_formula():
    names = set(kpis.with_derived(Counts()).values) | {"due"} | set(Counts().as_dict())
    for k in KPIS:
        assert k.numerator in names and k.denominator in names, k.key
        assert str(k.formula) and str(k.label)
    assert len({k.key for k in KPIS}) == len(KPIS)


def test_a_citizen_rating_counts_for_the_case_the_citizen_reported(city, cats):
    e = report(city, T0, actor=Citizen("13800001234"), reporter_phone="13800001234")
    handled(city, e, T0)
    act(city.operator_a, e, "verify_pass", T0 + timedelta(minutes=30))
    act(Citizen("13800001234"), e, "rate", T0 + timedelta(minutes=40), rating="satisfied")
    c = queries.counts("event", city.township_a.code, NOVEMBER, now=AFTER)
    assert (c["rated"], c["satisfied"]) == (1, 1)
    assert percent(kpis_of(c)["satisfaction_rate"]) == "100.00%"

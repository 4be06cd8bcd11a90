"""Each rule fires on a fixed case and does not fire just below its threshold (or without its condition)."""

from datetime import date, timedelta

from django.utils import timezone

from gridgov.cases.models import TransitionRecord
from gridgov.disputes import services as dispute_services
from gridgov.events.models import Event
from gridgov.petitions import services as petition_services
from gridgov.registry.models import KeyCategory, KeyPerson, Resident, Visit
from gridgov.warnings.rules_care_gap import care_gap
from gridgov.warnings.rules_criminal_turn import criminal_turn
from gridgov.warnings.rules_escalating_dispute import escalating_dispute
from gridgov.warnings.rules_petition_surge import petition_surge
from gridgov.warnings.rules_repeat_place import clusters, repeat_place
from gridgov.warnings.tests.conftest import LATER, T0

REPEAT = {"min_cases": 3, "radius_m": 200, "days": 14}


# --- repeat_place -----------------------------------------------------------------------------------

def test_repeat_place_fires_on_three_events_of_one_category_within_200_metres(city, report):
    ids = [report(lng=116.0050 + i * 0.0005, lat=36.405).pk for i in range(3)]  # ~45 m apart
    report(lng=116.0050, lat=36.405, category="0302")  # another category does not count
    [s] = list(repeat_place(LATER, REPEAT))
    assert s.level == "yellow" and s.numbers["count"] == 3 and sorted(c[1] for c in s.cases) == sorted(ids)
    assert s.code == "371502001001001" and "3 起" in s.explanation and "200 米" in s.explanation


def test_repeat_place_does_not_fire_on_two_or_when_spread_or_old(city, report):
    report(lng=116.005, lat=36.405)
    report(lng=116.0055, lat=36.405)
    report(lng=116.009, lat=36.409)  # ~560 m away
    report(lng=116.005, lat=36.405, now=T0 - timedelta(days=20))  # outside 14 days
    assert list(repeat_place(LATER, REPEAT)) == []


def test_repeat_place_levels_rise_at_twice_and_three_times_the_threshold(city, report):
    for _i in range(6):
        report(lng=116.005, lat=36.405)
    [s] = list(repeat_place(LATER, REPEAT))
    assert s.level == "orange"
    for _i in range(3):
        report(lng=116.005, lat=36.405)
    assert [s.level for s in repeat_place(LATER, REPEAT)] == ["red"]


def test_repeat_place_key_stays_while_the_cluster_grows(city, report):
    for _i in range(3):
        report(lng=116.005, lat=36.405)
    first = [s.key for s in repeat_place(LATER, REPEAT)]
    report(lng=116.0058, lat=36.4052)
    assert [s.key for s in repeat_place(LATER, REPEAT)] == first




def test_a_lasting_cluster_keeps_one_warning_while_its_first_events_leave_the_window(city, report):
    """An event every two days within ~100 m, the sweep every two days for four weeks: one warning, updated —
    never a second one because the cluster's earliest event (and so the map cell in its key) moved."""
    import math

    from gridgov.warnings.engine import upsert
    from gridgov.warnings.models import Warning
    from gridgov.warnings.rules_repeat_place import M_PER_DEG

    # the cluster straddles a cell boundary of the key (events ~20 m either side of it, turn about), so its
    # earliest event changes cell each time one leaves the window
    dlng = 200 / (M_PER_DEG * math.cos(math.radians(36.405)))
    edge = math.ceil(116.005 / dlng) * dlng
    for day in range(0, 28, 2):
        report(lng=edge + (0.0002 if day % 4 else -0.0002), lat=36.405, now=T0 + timedelta(days=day))
        upsert(repeat_place(T0 + timedelta(days=day, hours=1), REPEAT), now=T0 + timedelta(days=day, hours=1))
    assert Warning.objects.filter(rule="repeat_place").count() == 1
    w = Warning.objects.get(rule="repeat_place")
    assert w.times_seen >= 10 and w.numbers["count"] == 7  # the last 14 days' events

def test_two_clusters_whose_first_cases_share_a_map_cell_are_two_warnings(city, report):
    """The key names the map cell of a cluster's earliest case; two clusters more than R apart can still start
    in one cell (a cell is R wide, its diagonal longer): each keeps a key of its own, none is dropped."""
    import math

    from gridgov.warnings.rules_repeat_place import M_PER_DEG

    def cell(lng, lat):  # as the rule names it
        return (math.floor(lng / (200 / (M_PER_DEG * math.cos(math.radians(lat))))), math.floor(lat / (200 / M_PER_DEG)))

    def moved(lng, lat, east_m, north_m):
        return (lng + east_m / (M_PER_DEG * math.cos(math.radians(lat))), lat + north_m / M_PER_DEG)

    # A starts at a point; B starts 250 m or more north-east of it, in the same cell
    a0 = (116.005, 36.405)
    b0 = next(q for e in range(0, 200, 5) for n in range(0, 200, 5)
              if math.hypot(e, n) > 205 and cell(*(q := moved(*a0, e, n))) == cell(*a0))

    def at(point, east_m, north_m, minutes):
        lng, lat = moved(*point, east_m, north_m)
        return report(lng=lng, lat=lat, now=T0 + timedelta(minutes=minutes)).pk

    a = [at(a0, 0, 0, 0), at(a0, -60, -60, 10), at(a0, -120, -120, 20)]  # goes south-west
    b = [at(b0, 0, 0, 5), at(b0, 60, 60, 15), at(b0, 120, 120, 25)]       # goes north-east
    found = list(repeat_place(LATER, REPEAT))
    assert sorted(sorted(c[1] for c in s.cases) for s in found) == sorted([sorted(a), sorted(b)])
    assert len({s.key for s in found}) == 2

def test_clusters_looks_only_at_neighbouring_cells():
    far = [(i, T0, 116.0 + i * 0.05, 36.4) for i in range(50)]  # 50 points 4.5 km apart: no cluster
    assert clusters(far, 200, 2) == []
    near = [(i, T0, 116.0 + i * 0.0001, 36.4) for i in range(5)]
    assert [len(c) for c in clusters(near, 200, 3)] == [5]


# --- escalating_dispute ---------------------------------------------------------------------------

def _dispute_input(**kw):
    base = dict(dispute_type="neighbor", description="楼上漏水导致楼下天花板损坏，双方多次争吵",
                parties=[{"role": "applicant", "name": "张三", "phone": "13800000001"},
                         {"role": "respondent", "name": "李四", "phone": "13800000002"}],
                lng=116.005, lat=36.405, address="古城路1号", amount=3000, people_count=2)
    base.update(kw)
    return dispute_services.DisputeInput(**base)


def test_escalating_dispute_fires_when_the_same_parties_come_again(city):
    d1 = dispute_services.create_dispute(city.operator_a, _dispute_input())
    d2 = dispute_services.create_dispute(city.operator_a, _dispute_input(description="又因噪音发生争吵"))
    signals = {s.key: s for s in escalating_dispute(timezone.now(), {"days": 30, "repeat_days": 90})}
    assert set(signals) == {f"escalating_dispute:{d1.number}", f"escalating_dispute:{d2.number}"}
    s = signals[f"escalating_dispute:{d2.number}"]
    assert s.level == "yellow" and s.numbers["factors"] == ["repeat"] and s.cases == [("dispute", d2.pk)]


def test_escalating_dispute_threat_words_make_it_red_with_a_repeat(city):
    dispute_services.create_dispute(city.operator_a, _dispute_input())
    d = dispute_services.create_dispute(city.operator_a, _dispute_input(description="对方扬言要砍死他，同归于尽"))
    s = {s.key: s for s in escalating_dispute(timezone.now(), {"days": 30, "repeat_days": 90})}[
        f"escalating_dispute:{d.number}"]
    assert s.level == "red" and "threat" in s.numbers["factors"] and "砍死" in s.explanation


def test_escalating_dispute_does_not_fire_on_a_single_quiet_dispute(city):
    dispute_services.create_dispute(city.operator_a, _dispute_input(description="杀猪时的噪音问题"))
    assert list(escalating_dispute(timezone.now(), {"days": 30, "repeat_days": 90})) == []


def test_escalating_dispute_sees_a_raised_grade(city):
    from gridgov.disputes import services

    d = dispute_services.create_dispute(city.operator_a, _dispute_input(
        parties=[{"role": "applicant", "name": "王五", "phone": "13800000011"},
                 {"role": "respondent", "name": "赵六", "phone": "13800000012"}]))
    assert list(escalating_dispute(timezone.now(), {"days": 30, "repeat_days": 90})) == []
    services.perform_action(city.operator_a, d, "accept")
    services.perform_action(city.operator_a, d.__class__.objects.get(pk=d.pk), "regrade",
                            {"grade": "major", "note": "双方情绪激动"})
    [s] = list(escalating_dispute(timezone.now(), {"days": 30, "repeat_days": 90}))
    assert s.numbers["factors"] == ["regraded"]


# --- criminal_turn --------------------------------------------------------------------------------

def _key_person(city, risk="high", name="刘某某", phone="13900000001"):
    cat = KeyCategory.objects.create(code=f"c-{risk}-{phone}", name="社区矫正对象", intervals={"high": 7})
    r = Resident.objects.create(name=name, region=city.community_a, grid=city.grid_a1, phone=phone)
    return KeyPerson.objects.create(resident=r, category=cat, risk_level=risk, since=date(2026, 1, 1))


def test_criminal_turn_fires_when_a_key_person_is_party_of_a_new_dispute(city):
    kp = _key_person(city, risk="medium")
    d = dispute_services.create_dispute(city.operator_a, _dispute_input(parties=[
        {"role": "applicant", "name": "刘某某", "phone": "13900000001", "resident": kp.resident_id},
        {"role": "respondent", "name": "李四", "phone": "13800000002"}]))
    [s] = list(criminal_turn(timezone.now(), {"days": 30, "min_cases": 1}))
    assert s.key == f"criminal_turn:{kp.pk}" and s.level == "orange" and ("dispute", d.pk) in s.cases
    assert ("keyperson", kp.pk) in s.cases and "刘**" in s.explanation and "刘某某" not in s.explanation


def test_criminal_turn_does_not_fire_for_someone_no_longer_listed_or_without_a_case(city):
    kp = _key_person(city)
    assert list(criminal_turn(timezone.now(), {"days": 30, "min_cases": 1})) == []
    KeyPerson.objects.filter(pk=kp.pk).update(until=date(2026, 2, 1))
    dispute_services.create_dispute(city.operator_a, _dispute_input(parties=[
        {"role": "applicant", "name": "刘某某", "phone": "13900000001", "resident": kp.resident_id},
        {"role": "respondent", "name": "李四", "phone": "13800000002"}]))
    assert list(criminal_turn(timezone.now(), {"days": 30, "min_cases": 1})) == []


# --- petition_surge -------------------------------------------------------------------------------

def _petition(city, subject="小区物业乱收费", phone="13800138000", collective=False, now=T0):
    data = petition_services.PetitionInput(
        channel="visit", subject=subject, demands="要求退还多收的物业费", target_agency="某物业公司",
        petitioners=[petition_services.PetitionerInput(name="王建国", phone=phone)], collective=collective,
        people_count=12 if collective else 1)
    return petition_services.create_petition(city.operator_a, data, now=now)


PETITION = {"days": 30, "min_count": 3, "ratio": 1.5, "repeat_min": 3}


def test_petition_surge_fires_on_three_collective_petitions_in_a_township(city):
    for i in range(3):
        _petition(city, subject=f"征地补偿{i}", phone=f"1380013800{i}", collective=True, now=T0 - timedelta(days=i))
    [s] = list(petition_surge(LATER, PETITION))
    assert s.key == "petition_surge:region:371502001" and s.level == "yellow" and s.numbers["people"] == 36
    assert s.code == "371502001"


def test_petition_surge_does_not_fire_when_it_is_not_rising(city):
    for i in range(3):
        _petition(city, subject=f"征地补偿{i}", phone=f"1380013800{i}", collective=True, now=T0 - timedelta(days=i))
        _petition(city, subject=f"拆迁安置{i}", phone=f"1390013800{i}", collective=True, now=T0 - timedelta(days=35 + i))
    assert list(petition_surge(LATER, PETITION)) == []  # 3 now against 3 before: not 1.5 times


def test_petition_surge_fires_on_one_subject_repeated(city):
    first = _petition(city, now=T0 - timedelta(days=60))
    for i in range(3):
        _petition(city, now=T0 - timedelta(days=i))
    signals = {s.key: s for s in petition_surge(LATER, {**PETITION, "min_count": 10})}
    s = signals[f"petition_surge:subject:{first.number}"]
    assert s.numbers["repeats"] == 3 and ("petition", first.pk) in s.cases
    assert list(petition_surge(LATER, {**PETITION, "min_count": 10, "repeat_min": 4})) == []


# --- care_gap -------------------------------------------------------------------------------------

CARE = {"overdue_min": 1, "unsatisfied_min": 3, "days": 30}


def test_care_gap_fires_on_a_high_risk_person_not_visited_within_the_interval(city):
    kp = _key_person(city)
    Visit.objects.create(key_person=kp, worker=city.worker_a, findings="情况稳定",
                         visited_at=timezone.now() - timedelta(days=20))
    [s] = list(care_gap(timezone.now(), CARE))
    assert s.key == "care_gap:visits:371502001001001" and s.numbers["overdue"] == 1
    assert s.numbers["worst_days"] == 13 and s.level == "yellow" and s.cases == [("keyperson", kp.pk)]


def test_care_gap_does_not_fire_when_visited_or_not_high_risk(city):
    kp = _key_person(city)
    Visit.objects.create(key_person=kp, worker=city.worker_a, findings="情况稳定",
                         visited_at=timezone.now() - timedelta(days=2))
    _key_person(city, risk="low", name="周某", phone="13900000002")
    assert list(care_gap(timezone.now(), CARE)) == []


def _rated(event_id, action="rate", days_ago=1):
    """The kernel's statistics record of a rating (what ``rate`` and ``follow_up`` write through the engine)."""
    e = Event.objects.get(pk=event_id)
    TransitionRecord.objects.create(kind="event", case_id=e.pk, number=e.number, region=e.region, center=e.center,
                                    action=action, at=timezone.now() - timedelta(days=days_ago))


def test_care_gap_fires_on_repeated_dissatisfaction_in_a_grid_and_department(city, report):
    ids = [report().pk for _i in range(4)]
    Event.objects.filter(pk__in=ids[:2]).update(rating="unsatisfied", lead_department=city.dept_cg)
    _rated(ids[0])
    _rated(ids[1])
    assert list(care_gap(timezone.now(), CARE)) == []
    Event.objects.filter(pk=ids[2]).update(followup_rating="unsatisfied", lead_department=city.dept_cg)
    # rated 不满意 long ago, the event merely written now (updated_at moves): not a rating of the window
    Event.objects.filter(pk=ids[3]).update(rating="unsatisfied", lead_department=city.dept_cg)
    _rated(ids[3], days_ago=40)
    assert list(care_gap(timezone.now(), CARE)) == []
    _rated(ids[2], action="follow_up")
    keys = {s.key: s for s in care_gap(timezone.now(), CARE)}
    assert set(keys) == {"care_gap:unsatisfied:place:371502001001001", "care_gap:unsatisfied:dept:CG"}
    assert keys["care_gap:unsatisfied:dept:CG"].code == "371502" and "区城管局" in keys[
        "care_gap:unsatisfied:dept:CG"].title

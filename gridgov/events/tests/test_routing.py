"""Routing: hand-down (下派) to a lower center, correcting the place (更正位置), and the refusal at intake of a
point outside the city's area — through the services, the API and the event page; scope, bad targets,
deadlines, log rows, notifications, and the rollups following the place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from gridgov.cases import tally
from gridgov.cases.engine import lifecycles
from gridgov.cases.models import Tally
from gridgov.core.errors import Conflict, Forbidden, ValidationFailed
from gridgov.core.models import Notification
from gridgov.events import services, workflow
from gridgov.events.models import Event, EventLog, Status
from gridgov.events.tests.conftest import MONDAY_0900
from gridgov.events.workflow import Citizen
from gridgov.regions.models import Grid, Region
from gridgov.testing import square
from gridgov.worktime import calendar as workcal

PHONE = "13800001234"
T1 = MONDAY_0900 + timedelta(hours=1)
BEIJING = (116.40, 39.90)
IN_A2 = (116.015, 36.405)
IN_B1 = (116.105, 36.405)
GAP = (116.05, 36.405)  # between township A's grids and township B's: in no grid, inside the city's area


def accept_deadline(now):
    amount, unit = workcal.parse_limit(settings.GRIDGOV["ACCEPT_LIMIT"])
    return workcal.add_time(now, amount, unit).at


def fresh(e: Event) -> Event:
    return Event.objects.select_related("center", "region", "grid").get(pk=e.pk)


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def citizen_case(city, cats):
    """A citizen's report without a point: it lands at the city center."""
    data = services.EventInput(category="0301", description="小区门口垃圾堆积多日无人清理", address="古楼路12号",
                               reporter_phone=PHONE)
    e, _ = services.create_event(Citizen(PHONE), data, now=MONDAY_0900)
    return fresh(e)


@pytest.fixture
def other_county(city):
    county = Region.objects.create(code="371521", name="阳谷县", level=3, parent=city.city)
    town = Region.objects.create(code="371521001", name="博济桥街道", level=4, parent=county)
    return county, town


def notified(user, kind):
    return Notification.objects.filter(recipient=user, kind=kind)


# --- hand-down: the service -------------------------------------------------------------------------

def test_a_report_without_a_point_lands_at_the_city_center(citizen_case, city):
    assert citizen_case.center == city.city and citizen_case.region == city.city
    assert citizen_case.grid is None


def test_the_city_hands_a_case_down_to_a_township_which_sees_accepts_and_is_told(citizen_case, city):
    entry = services.perform_action(city.city_operator, citizen_case, "hand_down",
                                    {"center": city.township_a.code, "note": "请古楼街道核实处理"}, now=T1)
    e = fresh(citizen_case)
    assert (e.center, e.region, e.status) == (city.township_a, city.township_a, Status.REPORTED)
    assert e.deadline == accept_deadline(T1) and e.stage_started_at == T1 and e.warn_at < e.deadline
    assert entry.action == "hand_down" and entry.note == "请古楼街道核实处理"
    assert entry.data["from_center"] == city.city.code and entry.data["to_center"] == city.township_a.code
    assert notified(city.operator_a, "hand_down").count() == 1
    assert not notified(city.operator_b, "hand_down").exists()
    assert Event.objects.visible_to(city.operator_a).filter(pk=e.pk).exists()
    assert not Event.objects.visible_to(city.operator_b).filter(pk=e.pk).exists()
    services.perform_action(city.operator_a, e, "accept", {}, now=T1 + timedelta(minutes=5))
    assert fresh(e).status == Status.ACCEPTED


def test_an_accepted_case_handed_down_stays_accepted_with_a_fresh_deadline(citizen_case, city):
    services.perform_action(city.city_operator, citizen_case, "accept", {}, now=MONDAY_0900)
    later = MONDAY_0900 + timedelta(hours=2)
    services.perform_action(city.city_operator, citizen_case, "hand_down", {"note": "核实", "center": city.county.code}, now=later)
    e = fresh(citizen_case)
    assert (e.status, e.center, e.region) == (Status.ACCEPTED, city.county, city.county)
    assert e.deadline == accept_deadline(later)
    # and the county passes it on to a township of its own
    services.perform_action(city.county_operator, e, "hand_down", {"note": "核实", "center": city.township_b.code}, now=later)
    assert (fresh(e).center, fresh(e).region) == (city.township_b, city.township_b)


def test_a_township_has_no_lower_center_to_hand_down_to(report, city):
    e = report()
    assert "hand_down" not in workflow.allowed_actions(e, city.operator_a)
    with pytest.raises(Conflict) as exc:
        services.perform_action(city.operator_a, e, "hand_down", {"note": "核实", "center": city.township_a.code})
    assert exc.value.code == "guard_failed"


@pytest.mark.parametrize("target", ["3715", "371502", "371502001001", "37", "999999999", ""])
def test_a_target_that_is_not_a_lower_center_is_a_field_error_and_changes_nothing(report, city, target):
    e = report(actor=city.county_operator, lng=None, lat=None, address="区政府门前")
    assert e.center == city.county
    before = (e.center_id, e.region_id, e.deadline, e.log.count())
    with pytest.raises(ValidationFailed) as exc:
        services.perform_action(city.county_operator, e, "hand_down", {"note": "核实", "center": target}, now=T1)
    assert "center" in exc.value.fields
    e = fresh(e)
    assert (e.center_id, e.region_id, e.deadline, e.log.count()) == before


def test_a_center_outside_the_subtree_is_refused(report, city, other_county):
    e = report(actor=city.county_operator, lng=None, lat=None, address="区政府门前")
    with pytest.raises(ValidationFailed) as exc:
        services.perform_action(city.county_operator, e, "hand_down", {"note": "核实", "center": other_county[1].code})
    assert exc.value.fields["center"] == ["只能下派到本中心所辖的下级中心（县区或乡镇街道）"]


def test_a_case_placed_in_one_township_is_not_handed_to_another(report, city):
    e = report()  # in grid A1
    services.perform_action(city.operator_a, e, "escalate", {"note": "需区级协调"})
    with pytest.raises(ValidationFailed) as exc:
        services.perform_action(city.county_operator, e, "hand_down", {"note": "核实", "center": city.township_b.code})
    assert "请先更正位置" in exc.value.fields["center"][0]
    assert [r.code for r in services.routing.lower_centers(fresh(e))] == [city.township_a.code]
    services.perform_action(city.county_operator, e, "hand_down", {"note": "核实", "center": city.township_a.code})
    e = fresh(e)
    assert e.center == city.township_a and e.grid == city.grid_a1 and e.region == city.community_a


def test_only_the_owning_center_hands_down_and_not_after_dispatch(citizen_case, city, report):
    services.perform_action(city.city_operator, citizen_case, "hand_down", {"note": "核实", "center": city.county.code})
    with pytest.raises(Forbidden):  # the city still sees the case, but no longer owns it
        services.perform_action(city.city_operator, citizen_case, "hand_down", {"note": "核实", "center": city.township_a.code})
    e = fresh(citizen_case)
    services.perform_action(city.county_operator, e, "accept", {})
    services.perform_action(city.county_operator, e, "dispatch", {"lead_department": "CG"})
    with pytest.raises(Conflict) as exc:
        services.perform_action(city.county_operator, e, "hand_down", {"note": "核实", "center": city.township_a.code})
    assert exc.value.code == "invalid_state"


# --- correcting the place: the service -----------------------------------------------------------

def test_correcting_the_point_moves_the_grid_and_logs_before_and_after(report, city):
    e = report()
    entry = services.perform_action(city.operator_a, e, "relocate",
                                    {"lng": IN_A2[0], "lat": IN_A2[1], "note": "定位偏差"}, now=T1)
    e = fresh(e)
    assert (e.grid, e.region, e.center) == (city.grid_a2, city.community_a, city.township_a)
    assert (e.lng, e.lat) == IN_A2
    assert e.deadline == accept_deadline(MONDAY_0900)  # same center: the deadline runs on
    assert entry.data["before"] == {"grid": city.grid_a1.code, "region": city.community_a.code, "lng": 116.005,
                                    "lat": 36.405, "address": ""}
    assert entry.data["after"]["grid"] == city.grid_a2.code and "to_center" not in entry.data
    assert not Notification.objects.filter(kind="relocate").exists()


def test_a_grid_in_another_township_moves_the_case_there_like_a_hand_down(report, city):
    e = report()
    entry = services.perform_action(city.operator_a, e, "relocate", {"note": "核实", "grid": city.grid_b1.code}, now=T1)
    e = fresh(e)
    assert (e.grid, e.region, e.center) == (city.grid_b1, city.community_b, city.township_b)
    assert e.lng is None and e.lat is None  # the old point lay in grid A1: it was wrong
    assert entry.data["before"]["lng"] == 116.005 and entry.data["after"]["lng"] is None
    assert (entry.data["from_center"], entry.data["to_center"]) == (city.township_a.code, city.township_b.code)
    assert e.deadline == accept_deadline(T1)
    assert notified(city.operator_b, "relocate").count() == 1
    assert not Event.objects.visible_to(city.operator_a).filter(pk=e.pk).exists()


def test_a_grid_given_with_the_old_point_in_no_grid_keeps_the_point(report, city):
    e = report(actor=city.operator_a, lng=GAP[0], lat=GAP[1])
    assert e.grid is None
    services.perform_action(city.operator_a, e, "relocate", {"note": "核实", "grid": city.grid_a2.code})
    e = fresh(e)
    assert e.grid == city.grid_a2 and (e.lng, e.lat) == GAP


def test_a_dispatched_case_may_be_corrected_in_its_center_but_not_moved_out(report, city):
    e = report()
    services.perform_action(city.operator_a, e, "accept", {})
    services.perform_action(city.operator_a, fresh(e), "dispatch", {"lead_department": "CG"})
    with pytest.raises(ValidationFailed) as exc:
        services.perform_action(city.operator_a, fresh(e), "relocate", {"note": "核实", "lng": IN_B1[0], "lat": IN_B1[1]})
    assert "location" in exc.value.fields and fresh(e).grid == city.grid_a1
    services.perform_action(city.operator_a, fresh(e), "relocate", {"note": "核实", "grid": city.grid_a2.code})
    assert fresh(e).grid == city.grid_a2 and fresh(e).status == Status.DISPATCHED


def test_an_escalated_case_corrected_within_the_county_stays_at_the_county(report, city):
    e = report()
    services.perform_action(city.operator_a, e, "escalate", {"note": "需区级协调"})
    services.perform_action(city.county_operator, fresh(e), "relocate", {"note": "核实", "grid": city.grid_a2.code})
    assert fresh(e).center == city.county
    entry = services.perform_action(city.county_operator, fresh(e), "relocate", {"note": "核实", "grid": city.grid_b1.code})
    assert fresh(e).center == city.county and fresh(e).region == city.community_b and "to_center" not in entry.data


@pytest.mark.parametrize("raw, field", [
    ({}, "location"),
    ({"lng": 116.005}, "location"),
    ({"lng": "abc", "lat": "36.4"}, "location"),
    ({"lng": BEIJING[0], "lat": BEIJING[1]}, "location"),
    ({"lng": GAP[0], "lat": GAP[1]}, "grid"),  # in no grid: the grid must be chosen with it
    ({"lng": IN_A2[0], "lat": IN_A2[1], "grid": "371502002001001"}, "grid"),  # the point is in A2
    ({"grid": "371502001001999"}, "grid"),
    ({"grid": "371502001001001"}, "location"),  # the same place
    ({"grid": "371502001001002", "address": "x" * 201}, "address"),
])
def test_a_bad_correction_is_a_field_error_and_changes_nothing(report, city, raw, field):
    e = report()
    before = (e.grid_id, e.region_id, e.center_id, e.lng, e.lat, e.log.count())
    with pytest.raises(ValidationFailed) as exc:
        services.perform_action(city.operator_a, e, "relocate", {**raw, "note": "更正"})
    assert field in exc.value.fields, exc.value.fields
    e = fresh(e)
    assert (e.grid_id, e.region_id, e.center_id, e.lng, e.lat, e.log.count()) == before


def test_only_the_owning_centers_operator_corrects_the_place(report, city):
    e = report()
    for who in (city.county_operator, city.worker_a, city.leader_a):
        with pytest.raises(Forbidden):
            services.perform_action(who, e, "relocate", {"note": "核实", "grid": city.grid_a2.code})
    assert "relocate" in workflow.allowed_actions(e, city.operator_a)
    assert "relocate" not in workflow.allowed_actions(e, city.county_operator)


# --- the rollups follow the place ----------------------------------------------------------------

def assert_rollups_equal_a_recomputation():
    stored, expected = tally.stored(), tally.expected(tally.recompute(lifecycles()))
    for table in ("tally", "mix", "dept", "open"):
        assert stored[table] == expected[table], table


def reported_at(code: str) -> int:
    return sum(Tally.objects.filter(kind="event", code=code).values_list("reported", flat=True))


def test_the_tally_moves_from_the_old_grid_to_the_new_one(report, city):
    e = report()
    assert (reported_at(city.grid_a1.code), reported_at(city.grid_b1.code)) == (1, 0)
    services.perform_action(city.operator_a, e, "relocate", {"note": "核实", "lng": IN_B1[0], "lat": IN_B1[1]}, now=T1)
    assert (reported_at(city.grid_a1.code), reported_at(city.grid_b1.code)) == (0, 1)
    assert (reported_at(city.township_a.code), reported_at(city.township_b.code)) == (0, 1)
    assert reported_at(city.county.code) == 1
    assert_rollups_equal_a_recomputation()
    e = fresh(e)
    services.perform_action(city.operator_b, e, "accept", {}, now=T1)
    services.perform_action(city.operator_b, fresh(e), "dispatch", {"lead_department": "CG"}, now=T1)
    services.perform_action(city.operator_b, fresh(e), "relocate", {"note": "核实", "lng": 116.1051, "lat": 36.4051}, now=T1)
    assert_rollups_equal_a_recomputation()


def test_a_hand_down_moves_the_tally_from_the_city_to_the_township(citizen_case, city):
    assert reported_at(city.city.code) == 1 and reported_at(city.township_a.code) == 0
    services.perform_action(city.city_operator, citizen_case, "hand_down", {"note": "核实", "center": city.township_a.code}, now=T1)
    assert reported_at(city.township_a.code) == 1 and reported_at(city.county.code) == 1
    assert_rollups_equal_a_recomputation()
    services.perform_action(city.operator_a, fresh(citizen_case), "relocate", {"note": "核实", "grid": city.grid_a2.code}, now=T1)
    assert reported_at(city.grid_a2.code) == 1
    assert_rollups_equal_a_recomputation()


# --- out of the city's area at intake ------------------------------------------------------------

def test_a_point_far_outside_the_citys_grids_is_refused_at_intake(city, report):
    for actor in (city.worker_a, city.operator_a, Citizen(PHONE)):
        with pytest.raises(ValidationFailed) as exc:
            report(actor=actor, lng=BEIJING[0], lat=BEIJING[1], reporter_phone=PHONE)
        assert exc.value.fields["location"][0].startswith("该位置不在本市范围内")
    assert not Event.objects.exists()


def test_a_point_between_grids_or_just_outside_them_is_the_citys(city, report):
    assert report(lng=GAP[0], lat=GAP[1]).grid is None  # inside the grids' hull
    assert report(lng=116.05, lat=36.43).region == city.township_a  # ~2 km outside: within the margin
    with pytest.raises(ValidationFailed):
        report(lng=116.05, lat=36.50)  # ~10 km outside


def test_the_margin_is_a_setting(city, report, settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "CITY_AREA_MARGIN_M": 500}
    with pytest.raises(ValidationFailed):
        report(lng=116.05, lat=36.43)


def test_with_no_grids_every_point_is_accepted(city, report):
    Grid.objects.all().delete()
    assert report(lng=BEIJING[0], lat=BEIJING[1]).region == city.township_a


def test_a_grid_added_far_away_widens_the_area(city, report):
    with pytest.raises(ValidationFailed):
        report(lng=116.22, lat=38.0)
    Grid.objects.create(code="371502002001002", name="远处网格", community=city.community_b,
                        boundary=square(116.40, 39.90))
    assert report(lng=116.22, lat=38.0).grid is None  # inside the hull of both


# --- the API ------------------------------------------------------------------------------------

def test_the_api_hands_down_and_lists_the_lower_centers(citizen_case, city, api):
    n = citizen_case.number
    status, body = api("get", f"/events/{n}/hand-down-centers", city.city_operator)
    assert status == 200
    assert [r["code"] for r in body] == [city.county.code, city.township_a.code, city.township_b.code]
    assert body[1]["center_name"] == "古楼街道综治中心"
    status, body = api("get", f"/events/{n}", city.city_operator)
    assert "hand_down" in body["allowed_actions"] and "relocate" in body["allowed_actions"]
    status, body = api("post", f"/events/{n}/actions/hand_down", city.city_operator,
                       {"center": city.township_a.code, "note": "请核实"})
    assert status == 200 and body["center"] == city.township_a.code and body["region"] == city.township_a.code
    assert body["timeline"][-1]["action"] == "hand_down" and body["timeline"][-1]["data"]["to_center"] == "371502001"
    status, body = api("get", f"/events/{n}/hand-down-centers", city.operator_a)
    assert status == 409 and body["code"] == "guard_failed"


def test_the_api_answers_bad_targets_and_scope_with_4xx(citizen_case, city, api, report):
    n = citizen_case.number
    status, body = api("post", f"/events/{n}/actions/hand_down", city.city_operator, {"note": "核实", "center": "3715"})
    assert status == 422 and "center" in body["fields"]
    status, body = api("post", f"/events/{n}/actions/hand_down", city.city_operator, {})
    assert status == 422 and "center" in body["fields"]
    status, body = api("post", f"/events/{n}/actions/hand_down", city.operator_a, {"note": "核实", "center": "371502001"})
    assert status == 404  # the city's case is not in the township's scope
    status, body = api("get", f"/events/{n}/hand-down-centers", city.operator_b)
    assert status == 404
    e = report()
    status, body = api("post", f"/events/{e.number}/actions/relocate", city.operator_b, {"note": "核实", "grid": "371502002001001"})
    assert status == 404
    status, body = api("post", f"/events/{e.number}/actions/relocate", city.county_operator, {"note": "核实", "grid": "371502001001002"})
    assert status == 403 and body["code"] == "not_permitted"
    assert fresh(e).grid == city.grid_a1 and fresh(citizen_case).center == city.city


def test_the_api_corrects_the_place_and_answers_when_the_case_left_the_scope(report, city, api):
    e = report()
    status, body = api("post", f"/events/{e.number}/actions/relocate", city.operator_a,
                       {"lng": IN_A2[0], "lat": IN_A2[1], "address": "古城路3号", "note": "定位偏差"})
    assert status == 200 and body["grid"] == city.grid_a2.code and body["address"] == "古城路3号"
    assert body["timeline"][-1]["data"]["before"]["grid"] == city.grid_a1.code
    status, body = api("post", f"/events/{e.number}/actions/relocate", city.operator_a,
                       {"lng": BEIJING[0], "lat": BEIJING[1], "note": "核实"})
    assert status == 422 and "location" in body["fields"]
    status, body = api("post", f"/events/{e.number}/actions/relocate", city.operator_a,
                       {"note": "核实", "grid": city.grid_b1.code})
    assert status == 200 and body["center"] == city.township_b.code and body["allowed_actions"] == []
    status, _ = api("get", f"/events/{e.number}", city.operator_a)
    assert status == 404


def test_the_api_refuses_a_report_outside_the_city(city, cats, api):
    new = {"category": "0301", "description": "路面有大量垃圾未清理", "lng": BEIJING[0], "lat": BEIJING[1]}
    status, body = api("post", "/events", city.worker_a, new)
    assert status == 422 and body["fields"]["location"][0].startswith("该位置不在本市范围内")
    status, body = api("post", "/citizen/events", None, {**new, "reporter_phone": PHONE})
    assert status == 422 and "location" in body["fields"]
    assert not Event.objects.exists()


# --- the pages ----------------------------------------------------------------------------------

def act_url(e, action):
    return reverse("events:act", args=[e.number, action])


def page(client, e):
    return client.get(reverse("events:detail", args=[e.number])).content.decode()


def test_the_event_page_offers_the_lower_centers_and_hands_down(citizen_case, city):
    c = as_user(city.city_operator)
    html = page(c, citizen_case)
    form = html[html.index('id="act-hand_down"'):]
    form = form[:form.index("</details>")]
    assert 'name="center"' in form and "东昌府区 · 古楼街道综治中心" in form and "东昌府区综治中心" in form
    assert 'id="act-relocate"' in html
    r = c.post(act_url(citizen_case, "hand_down"), {"center": city.township_b.code, "note": "请柳园核实"})
    assert r.status_code == 302
    assert fresh(citizen_case).center == city.township_b
    html = page(as_user(city.operator_b), citizen_case)
    assert "下派" in html and "柳园街道综治中心" in html and "请柳园核实" in html


def test_a_bad_hand_down_on_the_page_shows_the_error_next_to_the_select(citizen_case, city):
    r = as_user(city.city_operator).post(act_url(citizen_case, "hand_down"), {"center": "", "note": ""})
    assert r.status_code == 400
    html = r.content.decode()
    form = html[html.index('id="act-hand_down"'):]
    form = form[:form.index("</details>")]
    assert 'id="act-hand_down" open' in html
    assert 'class="field has-error"' in form and "请选择要下派到的下级中心" in form
    assert fresh(citizen_case).center == city.city


def test_the_correction_form_and_its_errors_on_the_page(report, city):
    e = report()
    c = as_user(city.operator_a)
    html = page(c, e)
    form = html[html.index('id="act-relocate"'):]
    form = form[:form.index("</details>")]
    assert 'name="lng"' in form and 'name="grid"' in form and "古城社区第二网格" in form and "data-map-picker" in form
    r = c.post(act_url(e, "relocate"), {"lng": str(GAP[0]), "lat": str(GAP[1]), "grid": ""})
    assert r.status_code == 400
    html = r.content.decode()
    form = html[html.index('id="act-relocate"'):]
    form = form[:form.index("</details>")]
    assert "该位置不在任何网格内，请同时选择所属网格" in form and 'value="116.05"' in form
    r = c.post(act_url(e, "relocate"), {"lng": "", "lat": "", "grid": city.grid_a2.code, "note": "网格有误"})
    assert r.status_code == 302
    html = page(c, e)
    assert "更正前" in html and "古城社区第一网格" in html and "更正后" in html and "古城社区第二网格" in html


def test_the_correction_forms_grids_mark_the_current_one_keep_the_choice_and_are_escaped(report, city):
    e = report()
    city.grid_a2.name = '古城<b>"二"</b>网格'
    city.grid_a2.save(update_fields=["name"])
    c = as_user(city.operator_a)

    def grid_select(html):
        form = html[html.index('id="relocate-grid"'):]
        return form[:form.index("</select>")]

    select = grid_select(page(c, e))
    assert select.count("<optgroup") == 1 and '<optgroup label="古城社区居委会">' in select
    assert f'<option value="{city.grid_a1.code}">古城社区第一网格（当前）</option>' in select
    assert f'<option value="{city.grid_a2.code}">古城&lt;b&gt;&quot;二&quot;&lt;/b&gt;网格</option>' in select
    assert "<b>" not in select and " selected" not in select
    # refused for another reason: the grid chosen is still chosen
    r = c.post(act_url(e, "relocate"), {"lng": "abc", "lat": "36.4", "grid": city.grid_a2.code})
    assert r.status_code == 400
    select = grid_select(r.content.decode())
    assert f'<option value="{city.grid_a2.code}" selected>' in select and select.count(" selected") == 1
    assert fresh(e).grid == city.grid_a1


def test_the_pages_act_only_in_scope(report, city):
    e = report()
    r = as_user(city.operator_b).post(act_url(e, "relocate"), {"grid": city.grid_b1.code})
    assert r.status_code == 404 and fresh(e).grid == city.grid_a1


def test_the_report_forms_show_the_out_of_city_error_at_the_location(city, cats):
    post = {"category": "0301", "description": "路口垃圾堆积已有三天", "address": "古楼路12号", "people_involved": "0",
            "lng": str(BEIJING[0]), "lat": str(BEIJING[1]), "idempotency_key": "k-out"}
    r = as_user(city.worker_a).post(reverse("events:new"), post)
    assert r.status_code == 400
    html = r.content.decode()
    where = html[html.index('class="field location'):]
    assert "该位置不在本市范围内" in where[:where.index("</fieldset>")]
    r = Client().post(reverse("web:citizen_report"), {**post, "reporter_phone": PHONE})
    assert r.status_code == 400
    html = r.content.decode()
    where = html[html.index('class="field location'):]
    assert "该位置不在本市范围内" in where[:where.index("</fieldset>")]
    assert not Event.objects.exists() and not EventLog.objects.exists()


# --- a reason for every hand-down and correction ----------------------------------------------------------

@pytest.mark.parametrize("action, params", [
    ("hand_down", {"center": "371502001"}),
    ("relocate", {"grid": "371502001001002"}),
])
@pytest.mark.parametrize("note", [None, "", "  "])
def test_a_hand_down_or_correction_without_a_reason_is_a_note_error_and_changes_nothing(
        citizen_case, report, city, action, params, note):
    e, who = (citizen_case, city.city_operator) if action == "hand_down" else (report(), city.operator_a)
    before = (e.center_id, e.grid_id, e.log.count())
    raw = dict(params) if note is None else {**params, "note": note}
    with pytest.raises(ValidationFailed) as exc:
        services.perform_action(who, e, action, raw)
    assert exc.value.fields["note"] == ["此操作需要填写说明"]
    e = fresh(e)
    assert (e.center_id, e.grid_id, e.log.count()) == before


def test_a_bad_target_without_a_reason_names_both_fields(citizen_case, city):
    with pytest.raises(ValidationFailed) as exc:
        services.perform_action(city.city_operator, citizen_case, "hand_down", {"center": ""})
    assert set(exc.value.fields) == {"center", "note"}


def test_the_api_asks_for_the_reason(citizen_case, city, api, report):
    status, body = api("post", f"/events/{citizen_case.number}/actions/hand_down", city.city_operator,
                       {"center": city.township_a.code})
    assert status == 422 and body["fields"]["note"] == ["此操作需要填写说明"]
    e = report()
    status, body = api("post", f"/events/{e.number}/actions/relocate", city.operator_a, {"grid": city.grid_a2.code})
    assert status == 422 and body["fields"]["note"] == ["此操作需要填写说明"]
    assert fresh(citizen_case).center == city.city and fresh(e).grid == city.grid_a1


def test_the_page_marks_the_reason_required_and_shows_its_error_beside_it(citizen_case, city):
    c = as_user(city.city_operator)
    form = page(c, citizen_case)
    form = form[form.index('id="act-hand_down"'):]
    assert "下派理由" in form[:form.index("</details>")] and 'id="note-hand_down" rows="3" required' in form
    r = c.post(act_url(citizen_case, "hand_down"), {"center": city.township_a.code, "note": ""})
    assert r.status_code == 400
    form = r.content.decode()
    form = form[form.index('id="act-hand_down"'):]
    form = form[:form.index("</details>")]
    note = form[form.index('for="note-hand_down"') - 60:]
    assert 'class="field has-error"' in note and "此操作需要填写说明" in note
    assert fresh(citizen_case).center == city.city


# --- coordinates are JSON numbers ---------------------------------------------------------------------------

@pytest.mark.parametrize("body, fields", [
    ({"lng": True, "lat": False}, {"lng", "lat"}),
    ({"lng": "116.015", "lat": 36.405}, {"lng"}),
    ({"lng": 116.015, "lat": None, "grid": None}, None),  # not a type error: the service's "give both"
])
def test_relocate_takes_only_json_numbers_as_coordinates(report, city, api, body, fields):
    e = report()
    status, out = api("post", f"/events/{e.number}/actions/relocate", city.operator_a, {**body, "note": "核实"})
    assert status == 422
    if fields is None:
        assert "location" in out["fields"]
    else:
        assert fields <= set(out["fields"]), out
    assert fresh(e).grid == city.grid_a1 and fresh(e).lng == e.lng


def test_the_service_refuses_booleans_as_coordinates(report, city):
    e = report()
    with pytest.raises(ValidationFailed) as exc:
        services.perform_action(city.operator_a, e, "relocate", {"lng": True, "lat": False, "note": "核实"})
    assert exc.value.fields["location"] == ["经度格式无效", "纬度格式无效"]

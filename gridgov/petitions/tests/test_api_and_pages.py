"""Scope (web and API), the API's create / list / detail / actions / backlog / statistics, the pages,
and bad input (4xx with Chinese field errors, nothing written)."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.petitions.models import Petition, Petitioner, PetitionLog

PAST = timezone.now() - timezone.timedelta(days=30)  # by the real clock: every deadline has passed

NEW = {"channel": "letter", "subject": "小区物业乱收费", "demands": "要求物业退还多收的物业费",
       "petitioners": [{"name": "王建国", "phone": "13800138000"}], "target_agency": "某物业公司"}


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- scope --------------------------------------------------------------------------------------

def test_another_townships_petition_is_404_on_the_page_and_in_the_api(city, register, api):
    p = register()
    assert as_user(city.operator_b).get(reverse("petitions:detail", args=[p.number])).status_code == 404
    resp = as_user(city.operator_b).post(reverse("petitions:act", args=[p.number, "accept"]))
    assert resp.status_code == 404 and Petition.objects.get(pk=p.pk).status == "registered"
    assert api("get", f"/petitions/{p.number}", city.operator_b)[0] == 404
    assert api("post", f"/petitions/{p.number}/actions/accept", city.operator_b, {})[0] == 404
    assert api("get", "/petitions", city.operator_b)[1]["count"] == 0


def test_operators_and_leaders_see_their_subtree(city, register, api):
    p = register()
    for user in (city.operator_a, city.county_operator, city.city_operator, city.leader_a, city.leader_county):
        status, body = api("get", f"/petitions/{p.number}", user)
        assert status == 200 and body["number"] == p.number


def test_a_grid_worker_sees_only_the_petitions_they_registered(city, register, api):
    mine = register(actor=city.worker_a, channel="visit")
    theirs = register(phone="13911110000")
    assert api("get", f"/petitions/{mine.number}", city.worker_a)[0] == 200
    assert api("get", f"/petitions/{theirs.number}", city.worker_a)[0] == 404
    assert mine.center == city.township_a


def test_a_liaison_sees_what_was_transferred_or_assigned_to_the_department(city, register, act, api):
    transferred = act(city.operator_a, register(), "transfer", {"department": "CG", "note": "属城管职责"})
    assigned = act(city.operator_a, register(phone="13911110001", subject="噪声扰民"), "accept",
                   {"department": "ZJ"})
    assert api("get", f"/petitions/{transferred.number}", city.liaison_cg)[0] == 200
    assert api("get", f"/petitions/{assigned.number}", city.liaison_cg)[0] == 404
    assert api("get", f"/petitions/{assigned.number}", city.liaison_zj)[0] == 200
    status, body = api("post", f"/petitions/{transferred.number}/actions/accept", city.liaison_cg, {})
    assert status == 200 and body["status"] == "handling" and body["handling_department"] == "CG"


# --- API ----------------------------------------------------------------------------------------

def test_the_api_registers_a_petition_with_its_number_deadlines_and_masked_phone(city, api):
    status, body = api("post", "/petitions", city.operator_a, NEW)
    assert status == 201, body
    assert body["number"].startswith("XF") and len(body["number"]) == 15
    assert body["status"] == "registered" and body["ack_due_at"] and body["deadline"]
    assert body["petitioners"][0]["phone"] == "138****8000"
    assert body["allowed_actions"][:3] == ["accept", "not_accept", "transfer"]
    assert body["timeline"][0]["action"] == "register"


@pytest.mark.parametrize(("change", "field"), [
    ({"channel": "fax"}, "channel"),
    ({"subject": "短"}, "subject"),
    ({"petitioners": []}, "petitioners"),
    ({"petitioners": [{"name": "王", "phone": "12"}]}, "petitioners.0.phone"),
    ({"petitioners": [{"name": "王", "id_number": "110105194912310021"}]}, "petitioners.0.id_number"),
    ({"target_agency": ""}, "target_agency"),
    ({"region": "371502002"}, "region"),
    ({"events": ["SJ000"]}, "events"),
    ({"disputes": ["JF000"]}, "disputes"),
])
def test_bad_input_is_a_422_with_a_chinese_field_error_and_writes_nothing(city, api, change, field):
    status, body = api("post", "/petitions", city.operator_a, {**NEW, **change})
    assert status == 422 and field in body["fields"], body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["fields"][field][0])
    assert not Petition.objects.exists() and not Petitioner.objects.exists() and not PetitionLog.objects.exists()


def test_a_petition_links_the_disputes_it_concerns_within_the_registrars_scope(city, api, client):
    from gridgov.disputes import services as disputes

    def dispute(actor, lng, lat):
        return disputes.create_dispute(actor, disputes.DisputeInput(
            dispute_type="property", description="物业费纠纷，业主与物业多次争吵", lng=lng, lat=lat,
            parties=[{"role": "applicant", "name": "王建国", "phone": "13800138000"},
                     {"role": "respondent", "name": "某物业公司", "phone": "13800138001"}]))

    mine, other = dispute(city.worker_a, 116.005, 36.405), dispute(city.worker_b, 116.105, 36.405)
    status, body = api("post", "/petitions", city.operator_a, {**NEW, "disputes": [other.number]})
    assert status == 422 and body["fields"]["disputes"] == [f"未找到纠纷 {other.number}"]  # outside A's scope
    status, body = api("post", "/petitions", city.operator_a, {**NEW, "disputes": [mine.number]})
    assert status == 201 and body["disputes"] == [mine.number]
    client.force_login(city.operator_a)
    page = client.get(f"/petitions/{body['number']}/").content.decode()
    assert "关联纠纷" in page and mine.number in page


def test_a_missing_field_is_a_422_in_chinese(city, api):
    status, body = api("post", "/petitions", city.operator_a, {"channel": "letter"})
    assert status == 422 and body["fields"]["subject"] == ["必填"]


def test_a_liaison_cannot_register(city, api):
    assert api("post", "/petitions", city.liaison_cg, NEW)[0] == 403
    assert not Petition.objects.exists()


def test_actions_answer_409_in_the_wrong_state_and_403_for_the_wrong_person(city, register, api):
    p = register()
    assert api("post", f"/petitions/{p.number}/actions/close", city.operator_a, {})[0] == 409
    status, body = api("post", f"/petitions/{p.number}/actions/accept", city.leader_a, {})
    assert status == 403 and body["code"] == "not_permitted"
    status, body = api("post", f"/petitions/{p.number}/actions/take", city.leader_a, {})
    assert status == 200 and body["leader"] == "古楼领导"
    status, body = api("post", f"/petitions/{p.number}/actions/accept", city.operator_a, {})
    status, body = api("post", f"/petitions/{p.number}/actions/request_extension", city.operator_a,
                       {"days": 45, "note": "复杂"})
    assert status == 422 and "不得超过30日" in body["fields"]["days"][0]


def test_the_list_filters_and_the_backlog_and_statistics_endpoints(city, register, api):
    register(now=PAST)
    register(channel="visit", phone="13911110000", subject="噪声扰民", now=PAST)
    assert api("get", "/petitions?channel=visit", city.operator_a)[1]["count"] == 1
    assert api("get", "/petitions?sla_state=overdue", city.operator_a)[1]["count"] == 2
    assert api("get", "/petitions?channel=fax", city.operator_a)[0] == 422
    status, body = api("get", "/petitions/backlog", city.leader_a)
    assert status == 200 and body["count"] == 2 and all(r["backlog"] for r in body["results"])
    status, body = api("get", f"/petitions/stats/reply-rate?since={PAST.date()}", city.operator_a)
    assert status == 200 and body["letters"] == 1 and body["unreplied"] == 1 and body["rate"] == 0
    assert api("get", "/petitions/stats/reply-rate?since=2026-13-01", city.operator_a)[0] == 422


# --- pages --------------------------------------------------------------------------------------

def test_the_registration_page_registers_and_redirects_to_the_case(city):
    c = as_user(city.operator_a)
    assert c.get(reverse("petitions:new")).status_code == 200
    data = {"channel": "visit", "subject": "小区物业乱收费", "demands": "要求物业退还多收的物业费",
            "region": "371502001", "target_agency": "某物业公司", "people_count": "6",
            "p-TOTAL_FORMS": "3", "p-INITIAL_FORMS": "0", "p-0-name": "王建国", "p-0-phone": "13800138000"}
    resp = c.post(reverse("petitions:new"), data)
    p = Petition.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("petitions:detail", args=[p.number])
    assert p.is_collective and p.petitioners.count() == 1
    page = c.get(resp["Location"]).content.decode()
    assert "王建国" in page and "138****8000" in page and "13800138000" not in page and "办理过程" in page


def test_a_bad_registration_is_a_400_with_chinese_errors_and_writes_nothing(city):
    c = as_user(city.operator_a)
    data = {"channel": "letter", "subject": "物业", "demands": "", "region": "371502001",
            "p-TOTAL_FORMS": "3", "p-INITIAL_FORMS": "0", "p-0-name": "王建国", "p-0-phone": "12"}
    resp = c.post(reverse("petitions:new"), data)
    page = resp.content.decode()
    assert resp.status_code == 400 and "请填写诉求" in page and "电话号码格式不正确" in page
    assert not Petition.objects.exists()


def test_the_worklist_shows_the_reply_rate_and_the_filters(city, register):
    register()
    page = as_user(city.operator_a).get(reverse("petitions:list")).content.decode()
    assert "来信七日内回复率" in page and "小区物业乱收费" in page
    assert as_user(city.operator_a).get(reverse("petitions:list") + "?status=nope").status_code == 400
    assert as_user(city.operator_b).get(reverse("petitions:list")).content.decode().count("小区物业乱收费") == 0


def test_the_backlog_page_lists_overdue_cases_for_a_leader(city, register):
    register(now=PAST)
    resp = as_user(city.leader_county).get(reverse("petitions:backlog"))
    assert resp.status_code == 200 and "小区物业乱收费" in resp.content.decode()


def test_a_leader_takes_a_case_on_the_page_and_is_shown_on_it(city, register):
    p = register()
    c = as_user(city.leader_a)
    page = c.get(reverse("petitions:detail", args=[p.number])).content.decode()
    assert "领导包案" in page and "act-accept" not in page
    resp = c.post(reverse("petitions:act", args=[p.number, "take"]))
    assert resp.status_code == 302
    page = c.get(reverse("petitions:detail", args=[p.number])).content.decode()
    assert "包案领导" in page and "古楼领导" in page


def test_an_action_in_the_wrong_state_on_the_page_is_a_409_with_the_reason(city, register):
    p = register()
    resp = as_user(city.operator_a).post(reverse("petitions:act", args=[p.number, "close"]))
    assert resp.status_code == 409 and "不能执行" in resp.content.decode()


def test_the_nav_shows_petitions_to_operators_and_leaders(city):
    assert reverse("petitions:list") in as_user(city.operator_a).get(reverse("petitions:list")).content.decode()
    assert reverse("petitions:backlog") in as_user(city.leader_a).get(reverse("petitions:list")).content.decode()

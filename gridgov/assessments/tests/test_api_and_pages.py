"""Scope (page and API), the API's create / list / detail / child records / actions / report, the pages,
and bad input (4xx with Chinese field errors, nothing written)."""

import io
from datetime import date, timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document

from gridgov.assessments.models import Assessment, AssessmentLog, RiskItem
from gridgov.assessments.tests.conftest import FINDINGS, RISKS, SURVEY, base_input


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- scope --------------------------------------------------------------------------------------

def test_a_countys_assessment_is_404_to_another_county_on_the_page_and_in_the_api(city, create, other_county, api):
    a = create()
    outsider = other_county["operator"]
    assert as_user(outsider).get(reverse("assessments:detail", args=[a.number])).status_code == 404
    resp = as_user(outsider).post(reverse("assessments:act", args=[a.number, "confirm_plan"]), {"plan": "x"})
    assert resp.status_code == 404 and Assessment.objects.get(pk=a.pk).status == "plan"
    assert as_user(outsider).get(reverse("assessments:report", args=[a.number])).status_code == 404
    assert api("get", f"/assessments/{a.number}", outsider)[0] == 404
    assert api("post", f"/assessments/{a.number}/surveys", outsider, SURVEY)[0] == 404
    assert api("post", f"/assessments/{a.number}/actions/confirm_plan", outsider, {"plan": "x"})[0] == 404
    assert api("get", f"/assessments/{a.number}/report.docx", outsider)[0] == 404
    assert api("get", "/assessments", outsider)[1]["count"] == 0
    assert Assessment.objects.get(pk=a.pk).log.count() == 1


def test_a_township_sees_assessments_touching_its_area_but_may_not_act(city, create, api):
    in_a = create()
    county_wide = create(regions=[city.county.code], title="全区供暖价格调整")
    in_b = create(regions=[city.township_b.code], title="柳园片区改造")
    status, body = api("get", "/assessments", city.operator_a)
    assert status == 200 and {r["number"] for r in body["results"]} == {in_a.number, county_wide.number}
    assert api("get", f"/assessments/{in_b.number}", city.operator_a)[0] == 404
    status, body = api("get", f"/assessments/{in_a.number}", city.operator_a)
    assert status == 200 and body["allowed_actions"] == []
    status, body = api("post", f"/assessments/{in_a.number}/actions/confirm_plan", city.operator_a, {"plan": "x"})
    assert status == 403 and body["code"] == "not_permitted"
    assert as_user(city.operator_a).get(reverse("assessments:detail", args=[in_a.number])).status_code == 200
    for user in (city.worker_a, city.liaison_cg):
        assert api("get", f"/assessments/{in_a.number}", user)[0] == 404


def test_only_county_and_city_centers_may_start_one(city, api):
    for user in (city.operator_a, city.worker_a, city.leader_a):
        status, body = api("post", "/assessments", user, base_input(city))
        assert status == 403
    assert as_user(city.operator_a).get(reverse("assessments:new")).status_code == 403
    status, body = api("post", "/assessments", city.city_operator, base_input(city))
    assert status == 201 and body["center"] == city.city.code
    status, body = api("post", "/assessments", city.admin, base_input(city))
    assert status == 201 and body["center"] == city.county.code
    assert Assessment.objects.count() == 2


# --- API ----------------------------------------------------------------------------------------

def test_the_api_runs_an_assessment_to_filing_and_serves_the_report(city, api):
    op = city.county_operator
    status, body = api("post", "/assessments", op, base_input(city, regions=[city.township_a.code, city.township_b.code]))
    assert status == 201 and body["status"] == "plan" and body["region"] == city.county.code
    n = body["number"]
    assert body["allowed_actions"] == ["confirm_plan"]
    assert api("post", f"/assessments/{n}/actions/confirm_plan", op, {"plan": "听证与问卷"})[1]["status"] == "survey"
    status, body = api("post", f"/assessments/{n}/actions/finish_survey", op, {})
    assert status == 409 and body["code"] == "guard_failed" and "风险调查" in body["message"]
    status, body = api("post", f"/assessments/{n}/surveys", op, SURVEY)
    assert status == 200 and body["surveys"][0]["method_label"] == "听证"
    api("post", f"/assessments/{n}/actions/finish_survey", op, {})
    for r in RISKS:
        status, body = api("post", f"/assessments/{n}/risks", op, r)
        assert status == 200
    assert [r["grade"] for r in body["risks"]] == ["high", "medium"] and body["suggested_level"] == "high"
    api("post", f"/assessments/{n}/actions/finish_identify", op, {})
    for code, ok, text in FINDINGS:
        status, body = api("post", f"/assessments/{n}/findings", op, {"aspect": code, "passed": ok, "text": text})
        assert status == 200
    api("post", f"/assessments/{n}/actions/finish_argue", op, {})
    status, body = api("post", f"/assessments/{n}/actions/decide", op, {"decision": "adopted", "decided_on": "2026-11-22"})
    assert status == 409 and "风险等级" in body["message"]
    api("post", f"/assessments/{n}/actions/set_level", op, {"risk_level": "medium", "recommendation": "implement"})
    status, body = api("post", f"/assessments/{n}/actions/decide", op, {"decision": "adopted", "decided_on": "2026-11-22"})
    assert status == 200 and body["status"] == "filing" and body["report"] is None
    assert api("get", f"/assessments/{n}/report.docx", op)[0] == 404
    status, body = api("post", f"/assessments/{n}/actions/file", op, {"filed_on": "2026-11-23", "filing_number": "A1"})
    assert status == 409 and "评估报告" in body["message"]
    status, body = api("post", f"/assessments/{n}/actions/generate_report", op, {})
    assert status == 200 and body["report"] == f"/api/v1/assessments/{n}/report.docx"
    status, resp = api("get", f"/assessments/{n}/report.docx", op)
    assert status == 200 and "wordprocessingml" in resp["Content-Type"]
    doc = Document(io.BytesIO(resp.content))
    assert any("补偿标准争议引发群体性上访" in c.text for t in doc.tables for row in t.rows for c in row.cells)
    # filed the day the report was generated (not before it)
    status, body = api("post", f"/assessments/{n}/actions/file", op,
                       {"filed_on": timezone.localdate().isoformat(), "filing_number": "A1"})
    assert status == 200 and body["status"] == "tracking" and body["filing_number"] == "A1"
    status, body = api("get", "/assessments?status=tracking", op)
    assert body["count"] == 1 and body["counts_by_status"] == {"tracking": 1}


def test_bad_input_is_422_by_field_in_chinese_and_writes_nothing(city, create, walk, api):
    op = city.county_operator
    status, body = api("post", "/assessments", op, {**base_input(city), "kind": "x", "title": " ", "regions": []})
    assert status == 422 and set(body["fields"]) >= {"kind", "title", "regions"}
    assert "请选择事项类型" in body["fields"]["kind"][0]
    status, body = api("post", "/assessments", op, base_input(city, regions=["999999"]))
    assert status == 422 and "未知的区划代码" in body["fields"]["regions"][0]
    status, body = api("post", "/assessments", city.county_operator, base_input(city, regions=["3715"]))
    assert status == 422 and "超出本中心辖区" in body["fields"]["regions"][0]
    status, body = api("post", "/assessments", op, {**base_input(city), "title": "长" * 201})
    assert status == 422
    assert Assessment.objects.count() == 0

    a = walk(create(), "finish_survey")
    before = AssessmentLog.objects.count()
    for bad in ({**RISKS[0], "likelihood": 6}, {**RISKS[0], "impact": "abc"}, {**RISKS[0], "likelihood": True}):
        status, body = api("post", f"/assessments/{a.number}/risks", op, bad)
        assert status == 422, bad
        assert body["fields"], bad
    status, body = api("post", f"/assessments/{a.number}/risks", op, {**RISKS[0], "impact": 0, "owner": ""})
    assert status == 422 and "影响程度须在 1–5 之间" in body["fields"]["impact"][0] and "owner" in body["fields"]
    assert RiskItem.objects.count() == 0 and AssessmentLog.objects.count() == before
    status, body = api("post", f"/assessments/{a.number}/actions/add_risk", op, {})
    assert status == 404
    status, body = api("post", f"/assessments/{a.number}/actions/teleport", op, {})
    assert status == 422
    status, body = api("get", "/assessments?status=nope", op)
    assert status == 422 and "status" in body["fields"]


# --- pages --------------------------------------------------------------------------------------

def test_the_pages_create_and_show_the_steps_with_the_guard_reason(city, create, walk):
    c = as_user(city.county_operator)
    assert c.get(reverse("assessments:list")).status_code == 200
    assert c.get(reverse("assessments:new")).status_code == 200
    data = base_input(city)
    data.pop("third_party")
    resp = c.post(reverse("assessments:new"), {**data, "regions": [city.township_a.code, city.community_a.code]})
    a = Assessment.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("assessments:detail", args=[a.number])
    assert set(a.affected_regions.values_list("code", flat=True)) == {city.township_a.code, city.community_a.code}
    c.post(reverse("assessments:act", args=[a.number, "confirm_plan"]), {"plan": "方案"})
    page = c.get(reverse("assessments:detail", args=[a.number])).content.decode()
    assert "尚未记录任何风险调查" in page and 'id="act-add_survey"' in page
    resp = c.post(reverse("assessments:act", args=[a.number, "add_survey"]), {**SURVEY, "participants": "abc"})
    assert resp.status_code == 400 and "参与人数须为整数" in resp.content.decode()
    assert a.surveys.count() == 0
    resp = c.post(reverse("assessments:act", args=[a.number, "finish_survey"]))
    assert resp.status_code == 409 and "尚未记录任何风险调查" in resp.content.decode()
    a = walk(a, "file")
    page = c.get(reverse("assessments:detail", args=[a.number])).content.decode()
    assert "东政法稳备〔2026〕8号" in page and "补偿标准争议引发群体性上访" in page
    resp = c.get(reverse("assessments:report", args=[a.number]))
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_new_page_shows_field_errors(city):
    c = as_user(city.county_operator)
    resp = c.post(reverse("assessments:new"), {"title": "", "kind": "", "regions": []})
    body = resp.content.decode()
    assert resp.status_code == 400 and "请填写评估事项" in body and "请至少选择一个影响区域" in body
    assert Assessment.objects.count() == 0


def test_the_detail_shows_the_tracking_counts_after_implementation(city, create, walk, api):
    from gridgov.events import services as events
    from gridgov.events.taxonomy import install_default_categories

    a = walk(create(), "record_implementation")
    install_default_categories()
    events.create_event(city.worker_a, events.EventInput(category="0301", description="小区门口聚集，反映补偿问题", lng=116.005,
                                                         lat=36.405))
    status, body = api("get", f"/assessments/{a.number}", city.county_operator)
    assert status == 200 and body["implementation_started_on"] == "2026-11-23"
    t = body["tracking"]
    assert t["after"]["event"] == 1 and t["before"] == {"event": 0, "dispute": 0, "petition": 0}
    today = timezone.localdate()
    assert t["days"] == min((today - date(2026, 11, 23)).days + 1, 90)  # the window runs from implementation
    assert t["after_from"] == (today - timedelta(days=t["days"] - 1)).isoformat()
    page = as_user(city.county_operator).get(reverse("assessments:detail", args=[a.number])).content.decode()
    assert 'data-testid="tracking"' in page and "近 " in page


def test_areas_with_no_common_region_are_a_422_on_regions_not_a_500(city, api):
    """An administrator may name any regions: two cities of two provinces have no region above both."""
    from gridgov.accounts.models import User
    from gridgov.regions.models import Region

    Region.objects.create(code="4101", name="郑州市", level=Region.Level.CITY)
    admin = User.objects.create_superuser("wp_admin", password="x-Admin-2026", role=User.Role.ADMIN)
    before = Assessment.objects.count()
    status, body = api("post", "/assessments", admin, base_input(city, regions=["3715", "4101"]))
    assert status == 422 and "同一上级区划" in body["fields"]["regions"][0]
    assert Assessment.objects.count() == before


def test_the_dates_follow_the_steps_decision_after_the_surveys_filing_after_the_decision(city, create, walk, api):
    op = city.county_operator
    n = walk(create(), "set_level").number
    status, body = api("post", f"/assessments/{n}/actions/decide", op,
                       {"decision": "adopted", "decided_on": "2026-11-19"})  # the hearing was on the 20th
    assert status == 422 and "不能早于风险调查日期" in body["fields"]["decided_on"][0]
    assert Assessment.objects.get(number=n).status == "decision"
    api("post", f"/assessments/{n}/actions/decide", op, {"decision": "adopted", "decided_on": "2026-11-22"})
    api("post", f"/assessments/{n}/actions/generate_report", op, {})
    status, body = api("post", f"/assessments/{n}/actions/file", op, {"filed_on": "1990-01-01", "filing_number": "A1"})
    assert status == 422 and "不能早于决策日期" in body["fields"]["filed_on"][0]
    a = Assessment.objects.get(number=n)
    assert a.status == "filing" and a.filing_number == ""

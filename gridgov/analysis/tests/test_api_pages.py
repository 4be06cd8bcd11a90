"""/api/v1/analysis/ and the /analysis/ pages: the analysis JSON, drafting, editing, sending (409 after), the DOCX,
scope (404 outside), Chinese field errors, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.analysis import reports
from gridgov.analysis.analysis import WARNING_SLOT
from gridgov.analysis.models import AnalysisReport
from gridgov.analysis.tests import world
from gridgov.core import providers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_provider(monkeypatch):
    monkeypatch.setattr(providers, "_slots", {k: v for k, v in providers._slots.items() if k != WARNING_SLOT})


@pytest.fixture
def built(city):
    world.build(city)
    return city


@pytest.fixture
def drafts(built):
    return {r.kind: r for r in reports.draft_for(built.operator_a, built.township_a.code, "month", world.MONTH)}


def test_the_analysis_json_of_a_region_and_month(built, api_response):
    r = api_response("get", f"/analysis/?code={built.township_a.code}&value={world.MONTH}", user=built.operator_a)
    assert r.status_code == 200
    body = r.json()
    assert body["region"]["name"] == "古楼街道" and body["period"]["value"] == world.MONTH
    assert body["events"]["reported"]["now"] == 3 and body["warnings"] is None
    # no code: the user's own region
    own = api_response("get", f"/analysis/?value={world.MONTH}", user=built.operator_a).json()
    assert own["region"]["code"] == built.township_a.code


@pytest.mark.parametrize("query, field", [("period=decade", "period"), ("value=2026-13", "value"),
                                          ("value=2999-01", "value"), ("code=371502001001", "region")])
def test_bad_analysis_input_is_a_4xx_naming_the_field_in_chinese(built, api_response, query, field):
    r = api_response("get", f"/analysis/?{query}", user=built.county_operator)
    assert r.status_code == 422, r.content
    assert field in r.json()["fields"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(r.json()["fields"][field]))


def test_a_region_outside_the_scope_is_404_for_the_analysis_and_the_reports(built, drafts, api_response):
    assert api_response("get", f"/analysis/?code={built.township_a.code}", user=built.operator_b).status_code == 404
    for path in (f"/analysis/reports/{drafts['special'].pk}", f"/analysis/reports/{drafts['special'].pk}/docx"):
        assert api_response("get", path, user=built.operator_b).status_code == 404
    r = api_response("patch", f"/analysis/reports/{drafts['special'].pk}", user=built.operator_b,
                     body={"sections": {"subject": "x"}})
    assert r.status_code == 404
    assert api_response("get", "/analysis/reports", user=built.operator_b).json()["count"] == 0
    assert api_response("get", "/analysis/reports", user=built.county_operator).json()["count"] == 3


def test_draft_edit_send_download_through_the_api_and_edit_after_send_is_409(built, api_response):
    r = api_response("post", "/analysis/reports", user=built.county_operator,
                     body={"region": built.county.code, "value": world.MONTH})
    assert r.status_code == 201 and len(r.json()) == 3
    rid = next(x["id"] for x in r.json() if x["kind"] == "disputes")
    r = api_response("patch", f"/analysis/reports/{rid}", user=built.county_operator,
                     body={"sections": {"overview": "本月纠纷总体平稳。"}})
    assert r.status_code == 200 and r.json()["sections"][0]["text"] == "本月纠纷总体平稳。"
    r = api_response("post", f"/analysis/reports/{rid}/send", user=built.county_operator)
    assert r.status_code == 200 and r.json()["status"] == "sent"
    sha = r.json()["docx_sha256"]
    for method, path, body in (("patch", f"/analysis/reports/{rid}", {"sections": {"overview": "改"}}),
                               ("post", f"/analysis/reports/{rid}/send", None)):
        refused = api_response(method, path, user=built.county_operator, body=body)
        assert refused.status_code == 409 and refused.json()["code"] == "invalid_state"
    got = api_response("get", f"/analysis/reports/{rid}/docx", user=built.county_operator)
    assert got.status_code == 200 and got["Content-Type"].startswith("application/vnd.openxmlformats")
    import hashlib
    assert hashlib.sha256(b"".join(got.streaming_content)).hexdigest() == sha
    assert AnalysisReport.objects.get(pk=rid).sections[0]["text"] == "本月纠纷总体平稳。"


def test_bad_edits_and_filters_are_4xx_with_chinese_fields(built, drafts, api_response):
    rid = drafts["special"].pk
    r = api_response("patch", f"/analysis/reports/{rid}", user=built.operator_a, body={"sections": {"nope": "x"}})
    assert r.status_code == 422 and "sections.nope" in r.json()["fields"]
    r = api_response("patch", f"/analysis/reports/{rid}", user=built.operator_a, body={"sections": "x"})
    assert r.status_code == 422
    r = api_response("get", "/analysis/reports?kind=weekly&status=gone", user=built.operator_a)
    assert r.status_code == 422 and {"kind", "status"} <= set(r.json()["fields"])
    r = api_response("post", "/analysis/reports", user=built.operator_a, body={"region": "", "value": "x"})
    assert r.status_code == 422 and {"region", "value"} <= set(r.json()["fields"])
    r = api_response("post", f"/analysis/reports/{rid}/send", user=built.leader_a)
    assert r.status_code == 403
    assert AnalysisReport.objects.get(pk=rid).status == "draft"


def _login(client, user):
    client.force_login(user)


def test_the_pages_list_analysis_report_edit_send_and_download(built, drafts, client):
    _login(client, built.county_operator)
    r = client.get(reverse("analysis:list"))
    assert r.status_code == 200 and "古楼街道2026年11月专题报告" in r.content.decode()
    r = client.get(reverse("analysis:list") + f"?open=1&code={built.township_a.code}&value={world.MONTH}")
    assert r.status_code == 302 and r["Location"].startswith(f"/analysis/region/{built.township_a.code}/")
    page = client.get(r["Location"]).content.decode()
    assert "道路保洁" in page and "+200.0%" in page and "重点整治" in page
    rid = drafts["disputes"].pk
    r = client.post(reverse("analysis:edit", args=[rid]), {"section_overview": "网页上改过的总体情况。",
                                                           "recipients": "区委政法委"})
    assert r.status_code == 302
    assert "网页上改过的总体情况。" in client.get(reverse("analysis:report", args=[rid])).content.decode()
    r = client.post(reverse("analysis:edit", args=[rid]), {"section_overview": " "})
    assert r.status_code == 400 and "内容不能为空" in r.content.decode()
    client.post(reverse("analysis:send", args=[rid]))
    r = client.post(reverse("analysis:edit", args=[rid]), {"section_overview": "报送后再改"})
    assert AnalysisReport.objects.get(pk=rid).sections[0]["text"] == "网页上改过的总体情况。"
    page = client.get(reverse("analysis:report", args=[rid])).content.decode()
    assert "已报送" in page and "<textarea" not in page
    r = client.get(reverse("analysis:docx", args=[rid]))
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")


def test_pages_outside_the_scope_are_404_and_a_grid_worker_is_refused(built, drafts, client):
    _login(client, built.operator_b)
    assert client.get(reverse("analysis:report", args=[drafts["special"].pk])).status_code == 404
    assert client.get(reverse("analysis:docx", args=[drafts["special"].pk])).status_code == 404
    assert client.get(reverse("analysis:region", args=[built.township_a.code])).status_code == 404
    assert client.post(reverse("analysis:send", args=[drafts["special"].pk])).status_code == 404
    assert AnalysisReport.objects.get(pk=drafts["special"].pk).status == "draft"
    client.logout()
    _login(client, built.worker_a)
    assert client.get(reverse("analysis:list")).status_code == 403


def test_a_bad_period_on_the_page_falls_back_with_a_message_not_a_500(built, client):
    _login(client, built.county_operator)
    r = client.get(reverse("analysis:region", args=[built.county.code]) + "?period=month&value=abc")
    assert r.status_code == 200 and "统计周期格式不正确" in r.content.decode()
    r = client.get(reverse("analysis:list") + "?open=1&code=../../x&value=2026-11")
    assert r.status_code == 302 and r["Location"].startswith(f"/analysis/region/{built.county.code}/")


def test_the_admin_lists_and_shows_a_report_read_only(built, drafts, client):
    client.force_login(built.admin)
    assert client.get("/admin/analysis/analysisreport/").status_code == 200
    page = client.get(f"/admin/analysis/analysisreport/{drafts['special'].pk}/change/")
    assert page.status_code == 200 and "生成草稿" in page.content.decode()
    assert client.get("/admin/analysis/analysisreport/add/").status_code == 403


def test_a_week_can_be_analysed_and_drafted_beside_the_month(built, api_response, client):
    r = api_response("post", "/analysis/reports", user=built.operator_a,
                     body={"region": built.township_a.code, "period": "week", "value": "2026-11-04"})
    assert r.status_code == 201
    assert {(x["period_kind"], x["period_start"], x["period_end"]) for x in r.json()} == {
        ("week", "2026-11-02", "2026-11-08")}
    week = api_response("get", f"/analysis/?code={built.township_a.code}&period=week&value=2026-11-04",
                        user=built.operator_a).json()
    assert week["events"]["reported"]["now"] == 3 and week["last_year"]["start"] == "2025-11-03"
    reports.draft_for(built.operator_a, built.township_a.code, "month", world.MONTH)
    assert AnalysisReport.objects.filter(region=built.township_a).count() == 6
    client.force_login(built.operator_a)
    page = client.get(reverse("analysis:region", args=[built.township_a.code]) + "?period=week&value=2026-11-04")
    assert page.status_code == 200 and "2026-11-02 — 2026-11-08" in page.content.decode()

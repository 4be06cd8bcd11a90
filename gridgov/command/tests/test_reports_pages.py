"""The reports pages (/reports/): the archive in the viewer's scope, generating with CSRF and Chinese errors,
downloads checked against the scope."""

from datetime import date

import pytest
from django.test import Client

from gridgov.stats import reports
from gridgov.stats.models import Report

OCT = reports.report_period("monthly", "2026-10", today=date(2026, 12, 1))


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client
    return login


def test_list_shows_only_reports_in_scope_with_download_links(city, as_user):
    a = reports.generate(city.township_a, "monthly", OCT)
    b = reports.generate(city.township_b, "monthly", OCT)
    html = as_user(city.operator_a).get("/reports/").content.decode()
    assert f"/reports/{a.pk}/xlsx/" in html and f"/reports/{a.pk}/pdf/" in html
    assert f"/reports/{b.pk}/" not in html and "柳园街道社会治理" not in html
    html = as_user(city.leader_county).get("/reports/").content.decode()
    assert f"/reports/{a.pk}/pdf/" in html and f"/reports/{b.pk}/pdf/" in html


def test_download_in_scope_and_404_outside(city, as_user):
    b = reports.generate(city.township_b, "monthly", OCT)
    resp = as_user(city.operator_b).get(f"/reports/{b.pk}/pdf/")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert b"".join(resp.streaming_content).startswith(b"%PDF")
    assert "attachment" in resp["Content-Disposition"]
    resp = as_user(city.operator_b).get(f"/reports/{b.pk}/xlsx/")
    assert resp.status_code == 200 and "spreadsheetml" in resp["Content-Type"]
    assert as_user(city.operator_a).get(f"/reports/{b.pk}/pdf/").status_code == 404
    assert as_user(city.operator_b).get(f"/reports/{b.pk}/exe/").status_code == 404


def test_generate_with_the_form_then_listed(city, as_user):
    c = as_user(city.operator_a)
    resp = c.post("/reports/generate/", {"region": city.township_a.code, "kind": "monthly", "value": "2026-10"})
    assert resp.status_code == 302 and resp["Location"] == "/reports/"
    r = Report.objects.get()
    assert (r.region, r.kind, r.period_start, r.generated_by) == (city.township_a, "monthly", OCT.start,
                                                                  city.operator_a)
    assert f"/reports/{r.pk}/pdf/" in c.get("/reports/").content.decode()


def test_generate_for_another_region_is_404(city, as_user):
    c = as_user(city.operator_a)
    for code in (city.county.code, city.township_b.code):
        resp = c.post("/reports/generate/", {"region": code, "kind": "monthly", "value": "2026-10"})
        assert resp.status_code == 404
    assert not Report.objects.exists()


def test_generate_with_bad_input_rerenders_with_chinese_field_errors(city, as_user):
    resp = as_user(city.operator_a).post("/reports/generate/",
                                         {"region": city.township_a.code, "kind": "monthly", "value": "2026-13"})
    assert resp.status_code == 400
    assert "月通报请填写年月，如 2026-11" in resp.content.decode()
    resp = as_user(city.operator_a).post("/reports/generate/", {"region": city.community_a.code, "kind": "weekly"})
    assert resp.status_code == 400 and "只能为市、县(区)、乡镇(街道)生成通报" in resp.content.decode()
    assert not Report.objects.exists()


def test_generate_needs_a_csrf_token(city):
    c = Client(enforce_csrf_checks=True)
    c.force_login(city.operator_a)
    resp = c.post("/reports/generate/", {"region": city.township_a.code, "kind": "monthly", "value": "2026-10"})
    assert resp.status_code == 403 and not Report.objects.exists()


def test_other_roles_cannot_open_the_reports(city, as_user):
    for user in (city.worker_a, city.liaison_cg):
        c = as_user(user)
        assert c.get("/reports/").status_code == 403
        assert c.post("/reports/generate/", {"region": city.township_a.code, "kind": "monthly"}).status_code == 403
    assert not Report.objects.exists()

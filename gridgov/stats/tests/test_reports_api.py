"""/api/v1/stats/reports: list in scope, generate (400 field errors, 404 outside the scope), download."""

from datetime import date

import pytest

from gridgov.stats import reports
from gridgov.stats.models import Report

OCT = reports.report_period("monthly", "2026-10", today=date(2026, 12, 1))


def test_list_has_only_the_reports_in_scope(city, api):
    a = reports.generate(city.township_a, "monthly", OCT)
    b = reports.generate(city.township_b, "monthly", OCT)
    county = reports.generate(city.county, "monthly", OCT)
    status, body = api("get", "/stats/reports", user=city.operator_a)
    assert status == 200 and body["count"] == 1 and [r["id"] for r in body["results"]] == [a.pk]
    row = body["results"][0]
    assert row["region"]["code"] == city.township_a.code and row["kind"] == "monthly" and row["complete"]
    assert row["pdf"]["url"] == f"/api/v1/stats/reports/{a.pk}/pdf" and row["pdf"]["sha256"] == a.pdf_sha256
    status, body = api("get", "/stats/reports", user=city.leader_county)
    assert {r["id"] for r in body["results"]} == {a.pk, b.pk, county.pk}
    status, body = api("get", f"/stats/reports?region={city.township_b.code}", user=city.leader_county)
    assert [r["id"] for r in body["results"]] == [b.pk]
    assert api("get", f"/stats/reports?region={city.township_b.code}", user=city.operator_a)[0] == 404
    status, body = api("get", "/stats/reports?kind=daily", user=city.operator_a)
    assert status == 400 and "kind" in body["fields"]
    status, body = api("get", "/stats/reports", user=city.worker_a)
    assert status == 200 and body["count"] == 0


def test_generate_then_download(city, api):
    status, body = api("post", "/stats/reports", user=city.operator_a,
                       body={"region": city.township_a.code, "kind": "weekly", "value": "2026-W44"})
    assert status == 201, body
    assert (body["period_start"], body["period_end"]) == ("2026-10-26", "2026-11-01")
    r = Report.objects.get(pk=body["id"])
    assert r.generated_by == city.operator_a
    status, resp = api("get", f"/stats/reports/{r.pk}/pdf", user=city.operator_a)
    assert status == 200 and b"".join(resp.streaming_content).startswith(b"%PDF")
    status, resp = api("get", f"/stats/reports/{r.pk}/xlsx", user=city.operator_a)
    assert status == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("body,fields", [
    ({}, {"region", "kind"}),
    ({"region": "371502001", "kind": "daily"}, {"kind"}),
    ({"region": "371502001", "kind": "monthly", "value": "2026-13"}, {"value"}),
    ({"region": "371502001", "kind": "weekly", "value": "2026-11"}, {"value"}),
    ({"region": "371502001001", "kind": "monthly", "value": "2026-10"}, {"region"}),
])
def test_generate_with_bad_input_is_400_naming_the_fields(city, api, body, fields):
    status, out = api("post", "/stats/reports", user=city.operator_a, body=body)
    assert status == 400 and set(out["fields"]) == fields
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for msgs in out["fields"].values() for m in msgs)
    assert not Report.objects.exists()


def test_township_operator_cannot_generate_for_the_county_or_download_anothers(city, api):
    b = reports.generate(city.township_b, "monthly", OCT)
    for code in (city.county.code, city.township_b.code, "9999"):
        status, _ = api("post", "/stats/reports", user=city.operator_a,
                        body={"region": code, "kind": "monthly", "value": "2026-10"})
        assert status == 404
    for fmt in ("pdf", "xlsx"):
        assert api("get", f"/stats/reports/{b.pk}/{fmt}", user=city.operator_a)[0] == 404
    assert api("get", f"/stats/reports/{b.pk}/pdf", user=city.worker_b)[0] == 404
    assert api("post", "/stats/reports", user=city.worker_a,
               body={"region": city.township_a.code, "kind": "monthly"})[0] == 404
    assert Report.objects.count() == 1
    assert api("get", f"/stats/reports/{b.pk}/pdf")[0] == 401

"""Reports (通报): the figures of a generated report from fixed rollups, the PDF's font and text, the archive
(one row a period, regeneration replaces the files), the periods, scope, and the scheduled run."""

import hashlib
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage
from openpyxl import load_workbook
from pypdf import PdfReader

from gridgov.cases.models import OpenCase, Tally
from gridgov.cases.tally import level_of
from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.events import services
from gridgov.events.taxonomy import install_default_categories
from gridgov.stats import reports
from gridgov.stats.models import Report

TZ = ZoneInfo("Asia/Shanghai")
DEC1 = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)  # a Tuesday: November is complete
NOV = reports.report_period("monthly", "2026-11", today=date(2026, 12, 1))


def tally(code, day, **measures):
    Tally.objects.create(kind="event", level=level_of(code), code=code, day=day, **measures)


def open_due(code, n, day=date(2026, 11, 3)):
    """``n`` open cases of ``code`` reported on ``day`` whose 办结时限 passed within November."""
    due = datetime(2026, 11, 20, 17, 30, tzinfo=TZ)
    start = OpenCase.objects.count()
    OpenCase.objects.bulk_create([OpenCase(kind="event", case_id=10_000 + start + i, code=code, day=day,
                                           status="handling", due_at=due) for i in range(n)])


@pytest.fixture
def tianmen(city):
    """The county with the 天门 counts of December 2016, split over its two townships: 应结案 972 = 911 closed
    + 61 open past their 办结时限, 按期结案 737. October: township B ahead of A."""
    a, b = city.township_a.code, city.township_b.code
    tally(city.county.code, date(2026, 11, 2), reported=996, valid=980, dispatched=900, closed=911,
          closed_on_time=737, reworked=19, extended=8, returned=12, rated=500, satisfied=470)
    tally(a, date(2026, 11, 2), reported=640, valid=630, closed=600, closed_on_time=500)
    tally(b, date(2026, 11, 2), reported=356, valid=350, closed=311, closed_on_time=237)
    open_due(city.grid_a1.code, 40)
    open_due(city.grid_b1.code, 21)
    tally(city.county.code, date(2026, 10, 5), reported=20, valid=20, closed=20, closed_on_time=14)
    tally(a, date(2026, 10, 5), reported=10, valid=10, closed=10, closed_on_time=5)
    tally(b, date(2026, 10, 5), reported=10, valid=10, closed=10, closed_on_time=9)
    return city


def sheet_rows(data: bytes, prefix: str) -> dict:
    """The rows of the sheet whose name starts with ``prefix``, keyed by their first cell."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb[next(n for n in wb.sheetnames if n.startswith(prefix))]
    return {row[0]: row for row in ws.iter_rows(values_only=True) if row[0] is not None}


def stored(field) -> bytes:
    with default_storage.open(field.name, "rb") as f:
        return f.read()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- the figures ---


def test_monthly_report_xlsx_has_the_kpis_computed_from_the_fixed_counts(tianmen):
    r = reports.generate(tianmen.county, "monthly", NOV, now=DEC1)
    kpis = sheet_rows(stored(r.xlsx), "三、")
    assert kpis["按期结案率"][1] == 737 / 972            # 75.82 %
    assert kpis["结案率"][1] == 911 / 972                # 93.72 %
    assert kpis["按期结案率"][2] == 14 / 20              # October
    assert kpis["按期结案率"][3] == pytest.approx((737 / 972 - 14 / 20) * 100)
    assert kpis["返工率"][1] == 19 / 972 and kpis["满意率"][1] == 470 / 500
    counts = sheet_rows(stored(r.xlsx), "二、")
    assert counts["应结案数"][1:] == (972, 20, 952)
    assert counts["按期结案数"][1:] == (737, 14, 723)


def test_ranking_orders_townships_by_on_time_rate_with_the_change_of_rank(tianmen):
    r = reports.generate(tianmen.county, "monthly", NOV, now=DEC1)
    rows = sheet_rows(stored(r.xlsx), "四、")
    a = next(v for v in rows.values() if v[1] == "古楼街道")
    b = next(v for v in rows.values() if v[1] == "柳园街道")
    # 古楼 500/640 = 78.13 % > 柳园 237/332 = 71.39 %; in October 柳园 (90 %) led 古楼 (50 %)
    assert (a[0], a[5], a[8]) == (1, 500 / 640, "↑1") and a[6] == pytest.approx((500 / 640 - 5 / 10) * 100)
    assert (b[0], b[5], b[8]) == (2, 237 / 332, "↓1") and b[6] == pytest.approx((237 / 332 - 9 / 10) * 100)


def test_pdf_embeds_the_font_and_shows_the_region_and_the_published_rates(tianmen):
    r = reports.generate(tianmen.county, "monthly", NOV, now=DEC1)
    data = stored(r.pdf)
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            assert "/FontFile2" in font.get_object()["/FontDescriptor"]
    text = pdf_text(data)
    for expected in ["东昌府区社会治理月度通报", "区域：东昌府区", "2026年11月", "93.72%", "75.82%", "古楼街道"]:
        assert expected in text, expected


def test_overdue_events_are_listed_with_number_and_title(city):
    install_default_categories()
    data = services.EventInput(category="0301", description="路面有大量垃圾未清理", lng=116.005, lat=36.405,
                               title="古城路垃圾堆积")
    event, _ = services.create_event(city.worker_a, data, now=datetime(2026, 11, 23, 9, 0, tzinfo=TZ))
    r = reports.generate(city.township_a, "monthly", NOV, now=DEC1)
    rows = sheet_rows(stored(r.xlsx), "七、")
    assert rows[event.number][1:4] == ("古城路垃圾堆积", "古城社区第一网格", "待受理")
    # another township's report does not list it
    other = reports.generate(city.township_b, "monthly", NOV, now=DEC1)
    assert event.number not in sheet_rows(stored(other.xlsx), "七、")


# --- the archive ---


def test_regenerating_keeps_one_row_and_replaces_the_files(tianmen, django_capture_on_commit_callbacks):
    first = reports.generate(tianmen.county, "monthly", NOV, now=DEC1)
    old = (first.xlsx.name, first.pdf.name)
    tally(tianmen.county.code, date(2026, 11, 9), reported=1, closed=1, closed_on_time=1)
    with django_capture_on_commit_callbacks(execute=True):  # the old files go once the new row is committed
        again = reports.generate(tianmen.county, "monthly", NOV, user=tianmen.county_operator,
                                 now=DEC1 + timedelta(hours=2))
    assert again.pk == first.pk and Report.objects.count() == 1
    assert again.generated_by == tianmen.county_operator and again.generated_at == DEC1 + timedelta(hours=2)
    assert again.xlsx.name != old[0] and not default_storage.exists(old[0]) and not default_storage.exists(old[1])
    assert again.xlsx.name.startswith(f"reports/{tianmen.county.code}/monthly-2026-11-01-")
    assert again.pdf_sha256 == hashlib.sha256(stored(again.pdf)).hexdigest()
    assert again.xlsx_size == len(stored(again.xlsx))


# --- periods ---


@pytest.mark.parametrize("kind,value,start,end", [
    ("monthly", "2026-11", date(2026, 11, 1), date(2026, 11, 30)),
    ("monthly", "2026-2", date(2026, 2, 1), date(2026, 2, 28)),
    ("weekly", "2026-11-25", date(2026, 11, 23), date(2026, 11, 29)),
    ("weekly", "2026-W48", date(2026, 11, 23), date(2026, 11, 29)),
    ("weekly", "", date(2026, 11, 23), date(2026, 11, 29)),   # the last complete week before Tue 1 Dec
    ("monthly", "", date(2026, 11, 1), date(2026, 11, 30)),
])
def test_report_periods(kind, value, start, end):
    p = reports.report_period(kind, value, today=date(2026, 12, 1))
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize("kind,value,field", [
    ("monthly", "2026-13", "value"), ("monthly", "2026-11-05", "value"), ("weekly", "2026-11", "value"),
    ("weekly", "2026-W60", "value"), ("monthly", "2027-01", "value"), ("daily", "2026-11", "kind"),
])
def test_bad_periods_are_field_errors_in_chinese(kind, value, field):
    with pytest.raises(ValidationFailed) as exc:
        reports.report_period(kind, value, today=date(2026, 12, 1))
    assert list(exc.value.fields) == [field]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.fields[field][0])


# --- scope ---


def test_township_operator_cannot_generate_for_the_county_or_see_another_townships_report(city):
    county = reports.generate(city.county, "monthly", NOV, now=DEC1)
    b = reports.generate(city.township_b, "monthly", NOV, now=DEC1)
    a = reports.generate_for(city.operator_a, city.township_a.code, "monthly", "2026-11", now=DEC1)
    assert set(reports.visible_reports(city.operator_a)) == {a}
    assert set(reports.visible_reports(city.leader_county)) == {a, b, county}
    for pk in (county.pk, b.pk):
        with pytest.raises(NotFound):
            reports.get_visible(city.operator_a, pk)
    for code in (city.county.code, city.township_b.code):
        with pytest.raises(NotFound):
            reports.generate_for(city.operator_a, code, "monthly", "2026-11", now=DEC1)
    assert not reports.visible_reports(city.worker_a).exists()
    with pytest.raises(NotFound):
        reports.generate_for(city.worker_a, city.township_a.code, "monthly", "2026-11", now=DEC1)


def test_a_report_is_only_for_a_region_with_a_center(city):
    with pytest.raises(ValidationFailed) as exc:
        reports.generate_for(city.operator_a, city.community_a.code, "monthly", "2026-11", now=DEC1)
    assert list(exc.value.fields) == ["region"]


# --- the scheduled run ---


def test_scheduled_run_makes_every_centers_reports_once(city):
    first = reports.run_scheduled(now=DEC1)
    centers = 4  # 聊城市, 东昌府区, 古楼街道, 柳园街道
    assert first["weekly"] == {"period": "2026-11-23", "generated": centers, "kept": 0, "failed": 0}
    assert first["monthly"] == {"period": "2026-11", "generated": centers, "kept": 0, "failed": 0}
    ids = set(Report.objects.values_list("pk", "generated_at"))
    second = reports.run_scheduled(now=DEC1 + timedelta(hours=1))
    assert second["weekly"]["generated"] == 0 and second["weekly"]["kept"] == centers
    assert second["monthly"]["generated"] == 0
    assert set(Report.objects.values_list("pk", "generated_at")) == ids
    assert set(Report.objects.values_list("region__code", flat=True)) == {
        city.city.code, city.county.code, city.township_a.code, city.township_b.code}


def test_scheduled_run_replaces_a_report_generated_while_its_period_ran(city):
    early = reports.generate(city.county, "monthly", NOV, now=datetime(2026, 11, 20, 9, 0, tzinfo=TZ))
    out = reports.run_scheduled(kinds=("monthly",), now=DEC1)
    assert out["monthly"]["generated"] == 4
    early.refresh_from_db()
    assert early.generated_at == DEC1 and early.generated_by is None and reports.is_complete(early)
    assert Report.objects.filter(kind="monthly").count() == 4

"""``/api/v1/stats/reports``: the archived reports (通报) in the viewer's scope, generating one, downloading
its Excel workbook or PDF.

Scope is the statistics' (:func:`gridgov.stats.queries.root_of`): an administrator the whole city, an operator
or a leader their region's subtree, nobody else anything. A report or region outside it is a 404, the same
answer as one that does not exist. Bad input is a 400 naming the field, in Chinese.
"""

from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from ninja import Query, Router, Schema
from ninja import Status as Reply
from pydantic import Field

from gridgov.accounts.auth import api_auth
from gridgov.core.api_types import Error, Id, PageParams
from gridgov.core.errors import ValidationFailed
from gridgov.stats import queries, reports
from gridgov.stats.models import Report

router = Router(auth=api_auth)


class BadInput(ValidationFailed):
    """Input the reports cannot use: 400 with the field named."""

    status = 400


def _bad_input(exc: ValidationFailed) -> BadInput:
    return BadInput(exc.message, exc.fields)


class ReportRegionOut(Schema):
    code: str
    name: str
    level: int


class FileOut(Schema):
    url: str
    size: int
    sha256: str


class ReportOut(Schema):
    id: int
    region: ReportRegionOut
    kind: str
    kind_label: str
    period_start: date
    period_end: date
    title: str
    generated_at: datetime
    generated_by: str | None = Field(None, description="生成人；定时任务生成的为空")
    complete: bool = Field(description="是否在统计周期结束后生成（否：生成时周期尚未结束）")
    xlsx: FileOut
    pdf: FileOut


class ReportPage(Schema):
    count: int
    results: list[ReportOut]


class ReportIn(Schema):
    region: str = Field("", max_length=20, description="市、县(区)或乡镇(街道)的区划代码")
    kind: str = Field("", max_length=16, description="weekly（周通报）或 monthly（月通报）")
    value: str = Field("", max_length=20, description="月：2026-11；周：2026-W48 或该周任一天 2026-11-23；"
                                                      "不填为上一个完整的周或月")


class ListParams(Schema):
    region: str = Field("", max_length=20, description="只列该区划及其下级的通报")
    kind: str = Field("", max_length=16, description="weekly / monthly；不填为全部")


def report_out(r: Report) -> dict:
    def file(fmt: str, sha: str, size: int) -> dict:
        return {"url": reverse("api:stats_report_file", kwargs={"report_id": r.pk, "fmt": fmt}), "size": size,
                "sha256": sha}

    return {
        "id": r.pk, "region": {"code": r.region.code, "name": r.region.name, "level": r.region.level},
        "kind": r.kind, "kind_label": str(r.get_kind_display()), "period_start": r.period_start,
        "period_end": r.period_end, "title": r.title, "generated_at": r.generated_at,
        "generated_by": r.generated_by.display_name if r.generated_by_id else None,
        "complete": reports.is_complete(r),
        "xlsx": file("xlsx", r.xlsx_sha256, r.xlsx_size), "pdf": file("pdf", r.pdf_sha256, r.pdf_size),
    }


def filtered(user, region: str = "", kind: str = ""):
    """The reports ``user`` may see, of ``region`` and below, of ``kind``; a bad kind is a 400, a region
    outside the scope a 404."""
    qs = reports.visible_reports(user)
    if kind:
        if kind not in Report.Kind.values:
            raise BadInput(str(reports.KIND_ERROR), {"kind": [str(reports.KIND_ERROR)]})
        qs = qs.filter(kind=kind)
    if region.strip():
        qs = qs.filter(region__code__startswith=queries.node(user, region.strip()).code)
    return qs


@router.get("/reports", summary="统计报表列表", response={200: ReportPage, 400: Error, 401: Error, 404: Error, 422: Error})
def list_reports(request, filters: Query[ListParams], page: Query[PageParams]):
    """Archived reports in your scope, the latest period first."""
    qs = filtered(request.auth, filters.region, filters.kind)
    return {"count": qs.count(), "results": [report_out(r) for r in page.window(qs)]}


@router.post("/reports", summary="生成统计报表",
             response={201: ReportOut, 400: Error, 401: Error, 403: Error, 404: Error, 422: Error})
def generate_report(request, payload: ReportIn):
    """Generate a report now (or regenerate it: the same archive row gets the new files). The region must lie
    in your scope (404 otherwise) and have a center (city, county, township)."""
    try:
        report = reports.generate_for(request.auth, payload.region, payload.kind, payload.value)
    except ValidationFailed as exc:
        raise _bad_input(exc) from None
    return Reply(201, report_out(report))


@router.get("/reports/{report_id}/{fmt}", summary="下载统计报表（Excel 或 PDF）", url_name="stats_report_file",
            response={200: None, 401: Error, 404: Error, 422: Error})
def download_report(request, report_id: Id, fmt: str):
    """The report's Excel workbook (``xlsx``) or PDF (``pdf``), if the report's region lies in your scope."""
    return reports.file_response(reports.get_visible(request.auth, report_id), fmt)

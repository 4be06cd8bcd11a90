"""``/api/v1/analysis/``: the analysis of a region and period, and its three reports (list, draft, detail, edit,
send, DOCX).

Scope is the statistics' (:func:`gridgov.stats.queries.root_of`): a region or report outside it is a 404, the
same answer as one that does not exist. Bad input is a 4xx naming the field in Chinese; editing or sending a
sent report is a 409.
"""

from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja import Status as Reply
from pydantic import Field

from gridgov.accounts.auth import api_auth
from gridgov.analysis import reports
from gridgov.analysis.analysis import analyse
from gridgov.analysis.models import AnalysisReport
from gridgov.core.api_types import Error, Id, PageParams
from gridgov.core.errors import ValidationFailed

router = Router(auth=api_auth, tags=["一分析三报告"])
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class AnalysisParams(Schema):
    code: str = Field("", max_length=20, description="市、县(区)或乡镇(街道)的区划代码；不填为本人管辖范围")
    period: str = Field("month", max_length=8, description="统计周期：month（默认）/ week / year / day")
    value: str = Field("", max_length=20, description="周期值：2026-11（月）、2026（年）、2026-11-23（日，或该日所在周）；"
                                                      "不填为当前周期")


class AnalysisRegionOut(Schema):
    code: str
    name: str
    level: int


class SectionOut(Schema):
    key: str
    title: str
    text: str
    edited: bool = False


class AnalysisReportOut(Schema):
    id: int
    region: AnalysisRegionOut
    kind: str
    kind_label: str
    period_kind: str
    period_start: date
    period_end: date
    status: str
    status_label: str
    title: str
    recipients: str
    generated_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    sent_by: str | None
    docx_url: str
    docx_sha256: str
    docx_size: int


class AnalysisReportDetail(AnalysisReportOut):
    sections: list[SectionOut]
    data: dict


class AnalysisReportPage(Schema):
    count: int
    results: list[AnalysisReportOut]


class DraftIn(Schema):
    region: str = Field("", max_length=20, description="市、县(区)或乡镇(街道)的区划代码")
    period: str = Field("month", max_length=8, description="month（默认）/ week / year / day")
    value: str = Field("", max_length=20, description="周期值；不填为当前周期")


class EditIn(Schema):
    sections: dict[str, str] = Field(default_factory=dict, description="要修改的部分：key → 正文")
    recipients: str | None = Field(None, max_length=reports.MAX_RECIPIENTS, description="报送对象")


class AnalysisListParams(Schema):
    region: str = Field("", max_length=20, description="只列该区划及其下级的报告")
    kind: str = Field("", max_length=16, description="situation / disputes / special；不填为全部")
    status: str = Field("", max_length=8, description="draft / sent；不填为全部")
    value: str = Field("", max_length=20, description="月份，如 2026-11")


def report_out(r: AnalysisReport, detail: bool = False) -> dict:
    out = {
        "id": r.pk, "region": {"code": r.region.code, "name": r.region.name, "level": r.region.level},
        "kind": r.kind, "kind_label": str(r.get_kind_display()), "period_kind": r.period_kind,
        "period_start": r.period_start, "period_end": r.period_end, "status": r.status,
        "status_label": str(r.get_status_display()), "title": r.title, "recipients": r.recipients,
        "generated_at": r.generated_at, "updated_at": r.updated_at, "sent_at": r.sent_at,
        "sent_by": r.sent_by.display_name if r.sent_by_id else None,
        "docx_url": reverse("api:analysis_report_docx", kwargs={"report_id": r.pk}),
        "docx_sha256": r.docx_sha256, "docx_size": r.docx_size,
    }
    if detail:
        out.update(sections=r.sections, data=r.data)
    return out


def filtered(user, region: str = "", kind: str = "", status: str = "", value: str = ""):
    """The reports ``user`` may see, filtered; a bad filter is a 422 naming it, a region outside the scope a 404."""
    from gridgov.stats import queries

    qs = reports.visible_reports(user)
    errors = {}
    if kind and kind not in AnalysisReport.Kind.values:
        errors["kind"] = [_("只能是 situation、disputes 或 special")]
    if status and status not in AnalysisReport.Status.values:
        errors["status"] = [_("只能是 draft 或 sent")]
    p = None
    if value:
        try:
            p = reports.resolve_period("month", value)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_("输入有误，请检查标出的字段"), errors)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if p is not None:
        qs = qs.filter(period_kind="month", period_start=p.start)
    if region.strip():
        qs = qs.filter(region__code__startswith=queries.node(user, region.strip()).code)
    return qs


@router.get("/", response={200: dict, **ERRORS}, url_name="analysis",
            summary="一分析 / the analysis of a region for a period (社情, 矛盾纠纷, 信访, 预警, 重点人员, 热点, 重点整治)")
def get_analysis(request, params: Query[AnalysisParams]):
    p = reports.resolve_period(params.period, params.value)
    code = params.code.strip()
    if not code:
        from gridgov.stats import queries

        root = queries.root_of(request.auth)
        code = root.code if root is not None else ""
    region = reports.center_region(request.auth, code)
    return analyse(region.code, p)


@router.get("/reports", summary="一分析三报告列表", response={200: AnalysisReportPage, **ERRORS})
def list_reports(request, filters: Query[AnalysisListParams], page: Query[PageParams]):
    """The analysis reports in your scope, the latest period first."""
    qs = filtered(request.auth, filters.region, filters.kind, filters.status, filters.value)
    return {"count": qs.count(), "results": [report_out(r) for r in page.window(qs)]}


@router.post("/reports", summary="起草（或重新起草）一分析三报告", response={201: list[AnalysisReportOut], **ERRORS})
def draft_reports(request, payload: DraftIn):
    """Draft the three reports of a region and period (or redraft the drafts: new numbers, edited sections
    kept; sent reports stay as they are)."""
    rows = reports.draft_for(request.auth, payload.region, payload.period, payload.value)
    return Reply(201, [report_out(r) for r in rows])


@router.get("/reports/{report_id}", summary="报告详情", response={200: AnalysisReportDetail, **ERRORS})
def report_detail(request, report_id: Id):
    return report_out(reports.get_visible(request.auth, report_id), detail=True)


@router.patch("/reports/{report_id}", summary="修改报告草稿", response={200: AnalysisReportDetail, **ERRORS})
def edit_report(request, report_id: Id, payload: EditIn):
    """Change sections' text and/or the recipients of a draft (409 once sent)."""
    r = reports.edit(request.auth, reports.get_visible(request.auth, report_id), payload.sections, payload.recipients)
    return report_out(r, detail=True)


@router.post("/reports/{report_id}/send", summary="报送报告", response={200: AnalysisReportDetail, **ERRORS})
def send_report(request, report_id: Id):
    """报送: the report is archived and can no longer change (409 if already sent)."""
    return report_out(reports.send(request.auth, reports.get_visible(request.auth, report_id)), detail=True)


@router.get("/reports/{report_id}/docx", summary="下载报告（Word）",
            url_name="analysis_report_docx", response={200: None, **ERRORS})
def download_report(request, report_id: Id):
    """The report's DOCX (the draft's latest, or the archived one once sent)."""
    return reports.file_response(reports.get_visible(request.auth, report_id))

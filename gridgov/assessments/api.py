"""稳评 over HTTP: thin endpoints over the services and the lifecycle."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja import Status as Reply
from pydantic import Field, StrictInt

from gridgov.accounts.auth import api_auth
from gridgov.assessments import risk, services, tracking, workflow
from gridgov.assessments.models import Assessment
from gridgov.core.api_types import Error, PageParams, text
from gridgov.core.errors import NotFound

router = Router(tags=["稳评"])
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# numbers as JSON numbers, or strings the service checks (a page posts strings); never a 500
Number = StrictInt | text(20) | None


class AssessmentIn(Schema):
    title: text(200)
    kind: text(16) = Field(description="land 征地拆迁 / project 重大工程 / policy 政策调整 / enterprise 企业改制 / other 其他")
    responsible_body: text(100) = Field(description="决策主体")
    assessing_body: text(100) = Field(description="评估主体")
    third_party: bool = Field(False, description="评估主体为第三方机构")
    regions: list[text(12)] = Field(description="影响区域的区划代码（一个或多个，须在本中心辖区内）")
    summary: text()
    plan: text() = Field("", description="评估方案（也可在第一步填写）")


class SurveyIn(Schema):
    method: text(16) = Field(description="notice 公示 / questionnaire 问卷 / forum 座谈 / hearing 听证 / expert 专家咨询 / "
                                         "legal 合法性审查")
    held_on: text(10) = Field(description="YYYY-MM-DD, not after today")
    participants: Number = None
    supporting: Number = 0
    opposing: Number = 0
    other: Number = 0
    summary: text() = ""


class RiskIn(Schema):
    item: text(200)
    source: text(200)
    likelihood: Number = Field(None, description="可能性 1–5")
    impact: Number = Field(None, description="影响程度 1–5")
    mitigation: text()
    owner: text(100) = Field(description="责任单位")


class FindingIn(Schema):
    aspect: text(16) = Field(description="legality 合法性 / reasonableness 合理性 / feasibility 可行性 / "
                                         "controllability 可控性")
    text: text()
    passed: bool | None = Field(None, description="true 通过 / false 存在问题")


class AssessmentActionIn(Schema):
    note: text() = ""
    plan: text() = Field("", description="confirm_plan: 评估方案")
    risk_level: text(8) = Field("", description="set_level: high / medium / low")
    recommendation: text(16) = Field("", description="set_level: implement 实施 / postpone 暂缓实施 / reject 不实施")
    reason: text() = Field("", description="set_level: 定级理由")
    decision: text(16) = Field("", description="decide: adopted 决定实施 / postponed 暂缓实施 / rejected 不予实施")
    decided_on: text(10) = Field("", description="decide: YYYY-MM-DD")
    filed_on: text(10) = Field("", description="file: YYYY-MM-DD")
    filing_number: text(50) = Field("", description="file: 备案编号")
    filed_with: text(100) = Field("", description="file: 备案机关（默认 政法委）")
    started_on: text(10) = Field("", description="record_implementation: YYYY-MM-DD")


class AssessmentBrief(Schema):
    number: str
    title: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    region: str
    region_name: str
    center: str
    risk_level: str
    recommendation: str
    created_at: datetime


class AssessmentDetail(AssessmentBrief):
    responsible_body: str
    assessing_body: str
    third_party: bool
    regions: list[dict]
    summary: str
    plan: str
    level_reason: str
    suggested_level: str | None
    surveys: list[dict]
    risks: list[dict]
    findings: list[dict]
    decision: str
    decided_on: date | None
    decision_note: str
    report: str | None
    report_generated_at: datetime | None
    filed_on: date | None
    filing_number: str
    filed_with: str
    implementation_started_on: date | None
    tracking: dict | None
    allowed_actions: list[str]
    timeline: list[dict]


class AssessmentPage(Schema):
    count: int
    counts_by_status: dict[str, int]
    results: list[AssessmentBrief]


def brief(a: Assessment) -> dict:
    return {"number": a.number, "title": a.title, "kind": a.kind, "kind_label": a.get_kind_display(),
            "status": a.status, "status_label": a.get_status_display(), "region": a.region.code,
            "region_name": a.region.name, "center": a.center.code, "risk_level": a.risk_level,
            "recommendation": a.recommendation, "created_at": a.created_at}


def detail(a: Assessment, user) -> dict:
    t = tracking.measure([a]).get(a.pk)
    out = brief(a)
    risks = list(a.risks.all())
    out.update({
        "responsible_body": a.responsible_body, "assessing_body": a.assessing_body, "third_party": a.third_party,
        "regions": [{"code": r.code, "name": r.name} for r in a.affected_regions.order_by("code")],
        "summary": a.summary, "plan": a.plan, "level_reason": a.level_reason,
        "suggested_level": risk.highest([r.grade for r in risks]),
        "surveys": [{"method": s.method, "method_label": s.get_method_display(), "held_on": s.held_on.isoformat(),
                     "participants": s.participants, "supporting": s.supporting, "opposing": s.opposing,
                     "other": s.other, "summary": s.summary} for s in a.surveys.all()],
        "risks": [{"item": r.item, "source": r.source, "likelihood": r.likelihood, "impact": r.impact,
                   "grade": r.grade, "grade_label": r.get_grade_display(), "mitigation": r.mitigation,
                   "owner": r.owner} for r in risks],
        "findings": [{"aspect": f.aspect, "aspect_label": f.get_aspect_display(), "text": f.text, "passed": f.passed}
                     for f in a.findings.all()],
        "decision": a.decision, "decided_on": a.decided_on, "decision_note": a.decision_note,
        "report": f"/api/v1/assessments/{a.number}/report.docx" if a.report else None,
        "report_generated_at": a.report_generated_at, "filed_on": a.filed_on, "filing_number": a.filing_number,
        "filed_with": a.filed_with, "implementation_started_on": a.implementation_started_on,
        "tracking": None if t is None else {"days": t.days, "before": t.before, "after": t.after,
                                            "before_from": t.before_from, "after_from": t.after_from},
        "allowed_actions": workflow.allowed_actions(a, user),
        "timeline": [{"action": x.action, "actor": x.actor_label, "from_status": x.from_status,
                      "to_status": x.to_status, "note": x.note, "data": x.data, "created_at": x.created_at}
                     for x in services.timeline(a)],
    })
    return out


@router.get("/assessments", response={200: AssessmentPage, 422: Error}, auth=api_auth,
            summary="稳评列表 / the stability risk assessments in your scope")
def list_assessments(request, status: str = "", kind: str = "", q: str = "", page: Query[PageParams] = None):
    """稳评 you may see, newest first. Filters: status (plan, survey, identify, argue, grade, decision, filing,
    tracking, closed), kind, q (number, title, 决策主体)."""
    qs = services.filtered(request.auth, status=status, kind=kind, q=q)
    return {"count": qs.count(), "counts_by_status": services.counts_by_status(request.auth),
            "results": [brief(a) for a in page.window(qs)]}


@router.post("/assessments", response={201: AssessmentDetail, 403: Error, 422: Error}, auth=api_auth,
             summary="登记稳评 / register an assessment of a major decision or project")
def create_assessment(request, payload: AssessmentIn):
    """Start a 稳评 (operators and leaders of county and city centers, administrators)."""
    a = services.create_assessment(request.auth, payload.dict())
    return Reply(201, detail(services.get_visible(request.auth, a.number), request.auth))


@router.get("/assessments/{number}", response={200: AssessmentDetail, 404: Error}, auth=api_auth,
            summary="稳评详情 / an assessment with its surveys, risk register, findings and log")
def get_assessment(request, number: str):
    return detail(services.get_visible(request.auth, number), request.auth)


def _act(request, number: str, action: str, body: dict) -> dict:
    a = services.get_visible(request.auth, number)
    services.perform_action(request.auth, a, action, body)
    return detail(services.get_visible(request.auth, number), request.auth)


ACT_RESPONSES = {200: AssessmentDetail, 403: Error, 404: Error, 409: Error, 422: Error}


@router.post("/assessments/{number}/surveys", response=ACT_RESPONSES, auth=api_auth,
             summary="记录风险调查 / a survey: 公示, 问卷, 座谈, 听证 …")
def add_survey(request, number: str, payload: SurveyIn):
    """Record a 风险调查 (only in the 风险调查 step)."""
    return _act(request, number, "add_survey", payload.dict())


@router.post("/assessments/{number}/risks", response=ACT_RESPONSES, auth=api_auth,
             summary="登记风险点 / an item of the risk register")
def add_risk(request, number: str, payload: RiskIn):
    """Add a row to the risk register (风险识别 step); its grade follows from the risk matrix."""
    return _act(request, number, "add_risk", payload.dict())


@router.post("/assessments/{number}/findings", response=ACT_RESPONSES, auth=api_auth,
             summary="评估论证 / a finding on 合法性, 合理性, 可行性 or 可控性")
def set_finding(request, number: str, payload: FindingIn):
    """Give (or replace) the finding of one aspect (评估论证 step)."""
    body = payload.dict()
    body["passed"] = "" if body["passed"] is None else str(body["passed"]).lower()
    return _act(request, number, "set_finding", body)


@router.post("/assessments/{number}/actions/{action}", response=ACT_RESPONSES, auth=api_auth,
             summary="稳评步骤 / the next step (the transition table's checks)")
def act(request, number: str, action: str, payload: AssessmentActionIn):
    """Perform a step: confirm_plan, finish_survey, finish_identify, finish_argue, set_level, decide,
    generate_report, file, record_implementation, close. Wrong state or a step's work missing → 409 (the reason
    in ``message``); not yours → 403; out of your scope → 404; bad input → 422 by field."""
    if action in ("add_survey", "add_risk", "set_finding"):
        raise NotFound(_("请使用 surveys / risks / findings 接口"))
    return _act(request, number, action, payload.dict())


@router.get("/assessments/{number}/report.docx", response={200: None, 404: Error}, auth=api_auth,
            summary="稳评报告 / the assessment report (DOCX)")
def report_docx(request, number: str):
    """The generated 评估报告 (DOCX); 404 before it is generated."""
    a = services.get_visible(request.auth, number)
    return report_response(a)


def report_response(a: Assessment) -> HttpResponse:
    if not a.report:
        raise NotFound(_("尚未生成评估报告"))
    with a.report.open("rb") as fh:
        resp = HttpResponse(fh.read(), content_type=DOCX)
    resp["Content-Disposition"] = f'attachment; filename="{a.number}-report.docx"'
    resp["X-Content-Type-Options"] = "nosniff"
    return resp

"""Disputes over HTTP (/api/v1/disputes…, /api/v1/mediators…): thin endpoints over the services."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from django.http import HttpResponse
from django.utils import timezone
from ninja import File, Query, Router, Schema
from ninja import Status as Reply
from ninja.files import UploadedFile
from pydantic import Field

from gridgov.accounts.auth import api_auth
from gridgov.core.api_types import Coordinate, Count, Error, Id, Moment, PageParams, RefId, text
from gridgov.core.throttle import client_ip
from gridgov.disputes import legal, services, sla, workflow
from gridgov.disputes.mediators import browse_mediators, satisfaction_rate, success_rate, suggest_mediators
from gridgov.disputes.models import Agreement, Dispute, Mediator

router = Router(tags=["矛盾纠纷"])

# 涉及金额: the model's DecimalField(max_digits=14, decimal_places=2); the service refuses negative amounts
Amount = Annotated[Decimal, Field(max_digits=14, decimal_places=2, allow_inf_nan=False)]


class PartyIn(Schema):
    role: text(16)
    name: text(100) = ""
    phone: text(32) = ""
    resident: RefId | None = None
    address: text(200) = ""


class DisputeIn(Schema):
    dispute_type: text(16)
    description: text(4000)
    parties: list[PartyIn]
    region: text(12) = ""
    lng: Coordinate | None = None
    lat: Coordinate | None = None
    address: text(200) = ""
    amount: Amount = Decimal(0)
    people_count: Count = 2
    channel: text(16) = "people"


class CitizenDisputeIn(DisputeIn):
    reporter_name: text(50)
    reporter_phone: text(32)


class ConvertIn(Schema):
    event: text(20)
    parties: list[PartyIn]
    dispute_type: text(16) = ""
    amount: Amount = Decimal(0)
    channel: text(16) = "people"


class DisputeBrief(Schema):
    number: str
    dispute_type: str
    dispute_type_label: str
    status: str
    status_label: str
    channel: str
    risk_grade: str
    risk_grade_label: str
    sla_state: str | None
    deadline: datetime | None
    region: str
    center: str
    mediator: int | None
    created_at: datetime


class PartyOut(Schema):
    role: str
    name: str
    phone: str
    resident: int | None


class SessionOut(Schema):
    id: int
    held_at: datetime
    mode: str
    place: str
    video_link: str
    participants: str
    minutes: str
    attachments: list[str]


class AgreementOut(Schema):
    terms: str
    facts: str
    signed_on: date
    performance_deadline: date | None
    performance: str
    performed_on: date | None
    confirmation_last_day: date
    docx: str


class DisputeDetail(DisputeBrief):
    description: str
    amount: Decimal
    people_count: int
    address: str
    grid: str | None
    event: str | None
    source: str
    parties: list[PartyOut]
    risk_computed: str
    risk_override: str
    risk_override_reason: str
    risk_reasons: list[dict]
    referral: str
    result: str
    satisfaction: str
    deadline_provisional: bool
    allowed_actions: list[str]
    timeline: list[dict]
    sessions: list[SessionOut]
    agreement: AgreementOut | None
    cited_articles: list[dict] = Field(default_factory=list, description="引用的法条：law, article, article_id, relevance（高/中/低；手工引用为 null）")


def brief(d: Dispute, now=None) -> dict:
    return {
        "number": d.number, "dispute_type": d.dispute_type, "dispute_type_label": d.get_dispute_type_display(),
        "status": d.status, "status_label": d.get_status_display(), "channel": d.channel,
        "risk_grade": d.risk_grade, "risk_grade_label": d.get_risk_grade_display(),
        "sla_state": sla.sla_state(d, now), "deadline": d.deadline, "region": d.region.code,
        "center": d.center.code, "mediator": d.mediator_id, "created_at": d.created_at,
    }


def detail(d: Dispute, actor) -> dict:
    out = brief(d)
    ag = Agreement.objects.filter(dispute=d).first()
    out.update({
        "description": d.description, "amount": d.amount, "people_count": d.people_count, "address": d.address,
        "grid": d.grid.code if d.grid_id else None, "event": d.event.number if d.event_id else None,
        "source": d.source,
        # phones masked, as in registry lists; the full number is on the agreement (for the parties)
        "parties": [{"role": p.role, "name": p.name, "phone": p.masked_phone, "resident": p.resident_id}
                    for p in d.parties.all()],
        "risk_computed": d.risk_computed, "risk_override": d.risk_override,
        "risk_override_reason": d.risk_override_reason, "risk_reasons": d.risk_reasons, "referral": d.referral,
        "result": d.result, "satisfaction": d.satisfaction, "deadline_provisional": d.deadline_provisional,
        "allowed_actions": workflow.allowed_actions(d, actor),
        "timeline": [{"action": x.action, "label": str(workflow.LABELS.get(x.action, x.action)),
                      "actor": x.actor_label, "from_status": x.from_status, "to_status": x.to_status,
                      "note": x.note, "data": x.data, "created_at": x.created_at.isoformat()}
                     for x in services.timeline(d)],
        "sessions": [{"id": s.pk, "held_at": s.held_at, "mode": s.mode, "place": s.place, "video_link": s.video_link,
                      "participants": s.participants, "minutes": s.minutes,
                      "attachments": [f"/api/v1/disputes/attachments/{a.pk}" for a in s.attachments.all()]}
                     for s in d.sessions.all()],
        "agreement": None if ag is None else {
            "terms": ag.terms, "facts": ag.facts, "signed_on": ag.signed_on,
            "performance_deadline": ag.performance_deadline, "performance": ag.performance,
            "performed_on": ag.performed_on, "confirmation_last_day": ag.confirmation_last_day,
            "docx": f"/api/v1/disputes/{d.number}/agreement.docx"},
        "cited_articles": [{"article_id": c.article_id, "law": c.article.law.title, "article": c.article.label,
                            "relevance": legal.relevance_label(c.relevance)} for c in legal.cited_articles(d)],
    })
    return out


def _input(payload, **extra) -> services.DisputeInput:
    data = payload.dict()
    data["parties"] = [p for p in data["parties"]]
    return services.DisputeInput(**data, **extra)


@router.post("/disputes", summary="登记矛盾纠纷",
             response={200: DisputeDetail, 201: DisputeDetail, 403: Error, 422: Error}, auth=api_auth)
def create(request, payload: DisputeIn):
    """Register a dispute (grid worker, center operator, mediator).  It is risk-graded at once.
    Header `Idempotency-Key`: a retry with the same key answers 200 with the first dispute."""
    d, created = services.register_dispute(request.auth, _input(payload),
                                           idempotency_key=request.headers.get("Idempotency-Key", ""))
    return Reply(201 if created else 200, detail(services.get_visible(request.auth, d.number), request.auth))


@router.post("/disputes/from-event", summary="事件转为矛盾纠纷",
             response={201: DisputeDetail, 403: Error, 404: Error, 422: Error},
             auth=api_auth)
def from_event(request, payload: ConvertIn):
    """Convert an event of the 矛盾纠纷 group into a dispute (both stay linked)."""
    d = services.convert_event(request.auth, payload.event, [p.dict() for p in payload.parties],
                               payload.dispute_type, payload.amount, payload.channel)
    return Reply(201, detail(services.get_visible(request.auth, d.number), request.auth))


@router.post("/citizen/disputes", summary="群众申请调解（无需账号）",
             response={200: dict, 201: dict, 422: Error, 429: Error}, auth=None)
def citizen_apply(request, payload: CitizenDisputeIn):
    """Apply for mediation without an account (name and phone). Header `Idempotency-Key`: a retry with the
    same key (and phone) answers 200 with the first application."""
    d, created = services.apply_as_citizen(services.DisputeInput(**payload.dict()), client_ip(request),
                                           idempotency_key=request.headers.get("Idempotency-Key", ""))
    return Reply(201 if created else 200, {"number": d.number, "status": d.status,
                                           "status_label": d.get_status_display()})


class CitizenProgress(Schema):
    number: str
    status: str
    status_label: str
    dispute_type_label: str
    channel_label: str
    mediator: str
    created_at: datetime
    steps: list[dict]


@router.get("/citizen/disputes/{number}", summary="群众查询调解申请进度",
            response={200: CitizenProgress, 404: Error, 429: Error}, auth=None)
def citizen_track(request, number: str, phone: str = ""):
    """Follow your application by its number and the phone you applied with (no notes, only the steps)."""
    return services.citizen_progress(services.get_for_citizen(number, phone, client=client_ip(request)))


class DisputePage(Schema):
    count: int
    results: list[DisputeBrief]


@router.get("/disputes", summary="矛盾纠纷列表", response={200: DisputePage, 422: Error}, auth=api_auth)
def list_disputes(request, status: str = "", dispute_type: str = "", risk_grade: str = "", sla_state: str = "",
                  channel: str = "", q: str = "", page: Query[PageParams] = None):
    """Disputes you may see, soonest deadline first."""
    qs = services.filtered(request.auth, status=status, dispute_type=dispute_type, risk_grade=risk_grade,
                           sla_state=sla_state, channel=channel, q=q)
    now = timezone.now()
    rows = page.window(qs.select_related("region", "center"))
    return {"count": qs.count(), "results": [brief(d, now) for d in rows]}


@router.get("/disputes/attachments/{attachment_id}", summary="下载调解记录附件",
            response={200: None, 404: Error}, auth=api_auth)
def session_file(request, attachment_id: Id):
    from gridgov.cases.uploads import serve_upload

    return serve_upload(services.get_session_attachment(request.auth, attachment_id))


@router.get("/disputes/{number}", summary="矛盾纠纷详情", response={200: DisputeDetail, 404: Error}, auth=api_auth)
def get_dispute(request, number: str):
    return detail(services.get_visible(request.auth, number), request.auth)


class DisputeActionIn(Schema):
    note: text(5000) = ""
    mediator: RefId | None = None
    chosen_by_party: bool = False
    channel: text(16) | None = None
    grade: text(8) | None = None
    referral: text(16) | None = None
    satisfaction: text(16) | None = None
    performance: text(16) | None = None
    performed_on: date | None = None
    terms: text(5000) | None = None
    facts: text(5000) | None = None
    performance_deadline: date | None = None
    signed_on: date | None = None
    held_at: Moment | None = None
    mode: text(8) | None = None
    place: text(200) | None = None
    video_link: text(300) | None = None
    participants: text(500) | None = None
    minutes: text(5000) | None = None
    article: RefId | None = Field(None, description="cite_law: the article id (from legal-advice or /laws/search)")


class AdviceReason(Schema):
    kind: str
    text: str
    words: list[str]


class AdviceOut(Schema):
    article_id: int
    law: str
    law_status: str = Field(description="法律的时效性：现行有效、已被修改（按修改后的文本施行）……")
    article: str
    text: str
    highlight: str
    relevance: str = Field(description="相关度：高、中或低")
    reasons: list[AdviceReason] = Field(description="为什么推荐这一条（中文）")
    cited: bool


@router.get("/disputes/{number}/legal-advice", summary="纠纷的法律咨询",
            response={200: list[AdviceOut], 404: Error}, auth=api_auth)
def legal_advice(request, number: str, k: int = Query(5, ge=1, le=20)):
    """法律咨询: the law articles most relevant to the dispute's description and type, why each was
    suggested, and whether each is cited on the case; cite one with the action `cite_law` `{article}`."""
    d = services.get_visible(request.auth, number)
    return [{"article_id": a.hit.article.pk, "law": a.hit.article.law.title,
             "law_status": a.hit.article.law.get_status_display(), "article": a.hit.article.label,
             "text": a.hit.article.text, "highlight": a.hit.highlight, "relevance": a.hit.relevance_label,
             "reasons": [{"kind": r.kind, "text": r.text, "words": r.words} for r in a.hit.reasons],
             "cited": a.cited} for a in legal.legal_advice(request.auth, d, k=k)]


@router.post("/disputes/{number}/actions/{action}", summary="执行纠纷办理操作",
             response={200: DisputeDetail, 403: Error, 404: Error, 409: Error, 422: Error}, auth=api_auth)
def act(request, number: str, action: str, payload: DisputeActionIn):
    """Perform an action: wrong state → 409, not yours → 403, outside your scope → 404.
    `allowed_actions` on the detail lists what you may do now."""
    d = services.get_visible(request.auth, number)
    services.perform_action(request.auth, d, action, {k: v for k, v in payload.dict().items() if v is not None})
    return detail(services.get_visible(request.auth, number), request.auth)


@router.post("/disputes/{number}/sessions/{session_id}/attachments", summary="上传调解记录附件",
             response={201: dict, 403: Error, 404: Error, 409: Error, 422: Error}, auth=api_auth)
def upload(request, number: str, session_id: Id, file: UploadedFile = File(...)):
    """Attach a photo/audio/video to a session record (checked by content and size)."""
    d = services.get_visible(request.auth, number)
    att = services.attach_to_session(request.auth, d, session_id, file)
    return Reply(201, {"id": att.pk, "kind": att.kind, "size": att.size})


@router.get("/disputes/{number}/agreement.docx", summary="下载人民调解协议书（Word）",
            response={200: None, 404: Error}, auth=api_auth)
def agreement_docx(request, number: str):
    """The 人民调解协议书 as a Word document."""
    d = services.get_visible(request.auth, number)
    return _docx_response(services.agreement_document(request.auth, d), d.number)


def _docx_response(body: bytes, number: str) -> HttpResponse:
    resp = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    resp["Content-Disposition"] = f'attachment; filename="{number}-agreement.docx"'
    return resp


class MediatorOut(Schema):
    id: int
    name: str
    org_kind: str
    org_name: str
    specialties: list[str]
    region: str
    region_name: str
    languages: str
    bio: str
    load: int
    case_count: int
    successes: int
    failures: int
    success_rate: float | None
    satisfaction_rate: float | None


def mediator_out(m: Mediator) -> dict:
    return {"id": m.pk, "name": m.name, "org_kind": m.org_kind, "org_name": m.org_name,
            "specialties": m.specialties, "region": m.region.code, "region_name": m.region.name,
            "languages": m.languages, "bio": m.bio, "load": m.load, "case_count": m.case_count,
            "successes": m.successes, "failures": m.failures, "success_rate": success_rate(m),
            "satisfaction_rate": satisfaction_rate(m)}


@router.get("/mediators", summary="调解员超市", response={200: list[MediatorOut], 422: Error}, auth=api_auth)
def mediators(request, dispute_type: str = "", region: str = "",
              min_rate: float | None = Query(None, ge=0, le=1, allow_inf_nan=False),
              order: str = "rate"):
    """调解员超市: active mediators with load, case count and success rate computed from their cases."""
    return [mediator_out(m) for m in browse_mediators(dispute_type=dispute_type, region=region,
                                                       min_rate=min_rate, order=order)]


class SuggestionOut(Schema):
    mediator: MediatorOut
    score: float
    reasons: list[str]


@router.get("/disputes/{number}/mediators/suggest", summary="为纠纷推荐调解员",
            response={200: list[SuggestionOut], 404: Error}, auth=api_auth)
def suggest(request, number: str):
    """Mediators ranked for this dispute, with the reasons."""
    d = services.get_visible(request.auth, number)
    return [{"mediator": mediator_out(s.mediator), "score": s.score, "reasons": s.reasons}
            for s in suggest_mediators(d)]

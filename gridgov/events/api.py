"""Events over HTTP: thin endpoints that call services and the workflow."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from ninja import File, Query, Router, Schema
from ninja import Status as Reply
from ninja.files import UploadedFile
from pydantic import Field

from gridgov.accounts.auth import api_auth
from gridgov.core.api_types import Coordinate, Count, Error, Id, Lat, Lng, Moment, PageParams, StrictCoordinate, text
from gridgov.core.crypto import mask_phone
from gridgov.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gridgov.core.throttle import client_ip
from gridgov.events import assists, followup, routing, services, sla, workflow
from gridgov.events.models import Category, Event, Status
from gridgov.events.workflow import Citizen
from gridgov.web.views import COUNT_CAP as LIST_COUNT_CAP  # the worklist's: counts past it are lower bounds

router = Router(tags=["事件"])
citizen_router = Router(tags=["群众"])


# --- categories ---------------------------------------------------------------------------------


class CategoryOut(Schema):
    code: str
    name: str
    parent: str | None
    urgency: str
    time_limit: int
    time_unit: str
    default_department: str | None


@router.get("/categories", summary="事件分类", response=list[CategoryOut], auth=None)
def categories(request):
    """The two-level taxonomy (active categories only); leaves have a parent."""
    return [
        {"code": c.code, "name": c.name, "parent": c.parent.code if c.parent_id else None, "urgency": c.urgency,
         "time_limit": c.time_limit, "time_unit": c.time_unit,
         "default_department": c.default_department.code if c.default_department_id else None}
        for c in Category.objects.filter(active=True).select_related("parent", "default_department")
    ]


# --- events -------------------------------------------------------------------------------------


class EventIn(Schema):
    category: text(32) = Field(description="leaf category code")
    description: text(2000)
    lng: Coordinate | None = None
    lat: Coordinate | None = None
    address: text(200) = ""
    source: text(16) = ""
    urgency: text(16) = ""
    people_involved: Count = 0
    title: text(100) = ""
    resolve_on_spot: bool = False
    on_spot_result: text(5000) = ""
    reporter_name: text(50) = Field("", description="热线来电人姓名（source=hotline）")
    reporter_phone: text(32) = Field("", description="热线来电人手机号（source=hotline）：发送事件编号，凭此查询、评价")


class EventBrief(Schema):
    number: str
    title: str
    category: str
    category_name: str
    status: str
    status_label: str
    sla_state: str | None
    deadline: datetime | None
    region: str
    center: str
    created_at: datetime
    supervision: str


class EventLogOut(Schema):
    action: str
    actor: str
    from_status: str
    to_status: str
    note: str
    data: dict
    attachments: list[str]
    created_at: datetime


class AssistOut(Schema):
    """One assisting department called at dispatch (吹哨报到): its 报到 and its part (协办反馈)."""

    department: str
    department_name: str
    state: str = Field(description="called 待报到 / late 超时未报到 / reported 已报到 / done 已协办反馈 / withdrawn 已撤回")
    state_label: str
    called_at: datetime
    report_deadline: datetime
    reported_in_at: datetime | None
    reported_on_time: bool | None
    reported_in_by: str | None
    feedback_deadline: datetime | None
    feedback_at: datetime | None
    feedback: str
    feedback_on_time: bool | None
    feedback_by: str | None
    attachments: list[str]
    withdrawn_at: datetime | None


class EventDetail(EventBrief):
    description: str
    source: str
    lng: float | None
    lat: float | None
    address: str
    grid: str | None
    urgency: str
    people_involved: int
    lead_department: str | None
    assisting_departments: list[str]
    deadline_provisional: bool
    rework_count: int
    rating: str
    reporter_name: str
    reporter_phone: str = Field(description="masked: 138****5678")
    followup_rating: str = Field(description="the latest 回访's satisfaction since the close")
    effective_rating: str = Field(description="what the statistics count: rating, else followup_rating")
    dissatisfaction_pending: bool = Field(description="on the 不满意待处理 list")
    followups: list[dict]
    merged_into: str | None
    result: str
    allowed_actions: list[str]
    timeline: list[EventLogOut]
    attachments: list[dict]
    assists: list[AssistOut]


def brief(e: Event, now=None) -> dict:
    return {
        "number": e.number, "title": e.title, "category": e.category.code, "category_name": e.category.name,
        "status": e.status, "status_label": e.get_status_display(), "sla_state": sla.sla_state(e, now),
        "deadline": e.deadline, "region": e.region.code, "center": e.center.code, "created_at": e.created_at,
        "supervision": e.supervision,
    }


def detail(e: Event, actor) -> dict:
    fresh = getattr(e, "opening_log", None)
    if fresh is not None:
        return _fresh_detail(e, actor, fresh)
    now = timezone.now()
    out = brief(e, now)
    out.update({
        "description": e.description, "source": e.source, "lng": e.lng, "lat": e.lat, "address": e.address,
        "grid": e.grid.code if e.grid_id else None, "urgency": e.urgency, "people_involved": e.people_involved,
        "lead_department": e.lead_department.code if e.lead_department_id else None,
        "assisting_departments": list(e.assisting_departments.values_list("code", flat=True)),
        "deadline_provisional": e.deadline_provisional, "rework_count": e.rework_count, "rating": e.rating,
        "reporter_name": e.reporter.display_name if e.reporter_id else e.reporter_name,
        "reporter_phone": mask_phone(e.reporter_phone) if e.reporter_phone_enc else "",
        "followup_rating": e.followup_rating, "effective_rating": followup.effective_rating(e),
        "dissatisfaction_pending": e.dissatisfaction_pending,
        "followups": [
            {"method": f.method, "respondent": f.respondent, "respondent_name": f.respondent_name,
             "relationship": f.relationship, "satisfaction": f.satisfaction, "result": f.result,
             "by": str(f.by), "created_at": f.created_at}
            for f in e.followups.select_related("by")
        ],
        "merged_into": e.merged_into.number if e.merged_into_id else None, "result": e.result,
        "allowed_actions": workflow.allowed_actions(e, actor),
        "timeline": [_log_entry(x, [a.url for a in x.attachments.all()]) for x in services.timeline(e)],
        "attachments": [
            {"kind": a.kind, "url": a.url, "size": a.size, "content_type": a.content_type}
            for a in e.attachments.all()
        ],
        "assists": [assists.as_dict(c, now) for c in assists.calls(e)],
    })
    return out


def _log_entry(x, attachments: list[str]) -> dict:
    return {"action": x.action, "actor": x.actor_label, "from_status": x.from_status, "to_status": x.to_status,
            "note": x.note, "data": x.data, "attachments": attachments, "created_at": x.created_at}


def _fresh_detail(e: Event, actor, opening) -> dict:
    """The detail of an event this request has just created (services.create_event's ``opening_log``), from
    what was written: its one log row, and no departments, 回访, attachments or assists yet — the same
    answer as :func:`detail` without reading them back."""
    out = brief(e, timezone.now())
    out.update({
        "description": e.description, "source": e.source, "lng": e.lng, "lat": e.lat, "address": e.address,
        "grid": e.grid.code if e.grid_id else None, "urgency": e.urgency, "people_involved": e.people_involved,
        "lead_department": None, "assisting_departments": [],
        "deadline_provisional": e.deadline_provisional, "rework_count": e.rework_count, "rating": e.rating,
        "reporter_name": e.reporter.display_name if e.reporter_id else e.reporter_name,
        "reporter_phone": mask_phone(e.reporter_phone) if e.reporter_phone_enc else "",
        "followup_rating": e.followup_rating, "effective_rating": followup.effective_rating(e),
        "dissatisfaction_pending": e.dissatisfaction_pending, "followups": [], "merged_into": None,
        "result": e.result, "allowed_actions": workflow.allowed_actions(e, actor),
        "timeline": [_log_entry(opening, [])], "attachments": [], "assists": [],
    })
    return out


def _payload_input(payload: EventIn, **extra) -> services.EventInput:
    return services.EventInput(**payload.dict(), **extra)


@router.post("/events", summary="上报事件", response={200: EventDetail, 201: EventDetail, 422: Error}, auth=api_auth)
def create_event(request, payload: EventIn):
    """Report an event.  Send an `Idempotency-Key` header: a retried submission with the same key
    returns the first event (200) instead of creating a second one (201)."""
    key = request.headers.get("Idempotency-Key", "")
    event, created = services.create_event(request.auth, _payload_input(payload), idempotency_key=key)
    return Reply(201 if created else 200, detail(event, request.auth))


class EventPage(Schema):
    count: int = Field(description=f"符合条件的事件数；超过 {LIST_COUNT_CAP} 条时只数到 {LIST_COUNT_CAP}（见 count_capped）")
    count_capped: bool = Field(False, description=f"count 是否为下限：实际多于 {LIST_COUNT_CAP} 条")
    counts_by_status: dict[str, int] = Field(description=f"各状态的事件数（不计 status 条件），每项最多数到 {LIST_COUNT_CAP}")
    capped_statuses: list[str] = Field([], description=f"counts_by_status 中为下限（多于 {LIST_COUNT_CAP} 条）的状态")
    results: list[EventBrief]


@router.get("/events", summary="事件列表", response={200: EventPage, 422: Error}, auth=api_auth)
def list_events(request, status: str = "", category: str = "", region: str = "", sla_state: str = "",
                q: str = "", mine: bool = False, rating: str = "", reported_from: str = "", reported_to: str = "",
                source: str = "", grid: str = "", measure: str = "", page: Query[PageParams] = None):
    """Events you may see, soonest deadline first.  Filters: status, category (code or parent code),
    region (code prefix), sla_state (normal / near_due / overdue), q (number or text), rating (satisfied /
    basically / unsatisfied — the rating a case counts with —, unrated: closed and not rated,
    unsatisfied_pending: the 不满意待处理 list); and those of a statistic's link: reported_from / reported_to
    (report days, YYYY-MM-DD, both included), source, grid (code) and measure (统计口径: what the number
    counted — valid, closed, closed_on_time, due, open …).  `counts_by_status` counts each status
    under the same filters except `status`.  Counts stop at 10,000: past that `count_capped` /
    `capped_statuses` say the number is a lower bound (page with offset as before)."""
    filters = {"category": category, "region": region, "sla_state": sla_state, "q": q, "mine": mine,
               "rating": rating, "reported_from": reported_from, "reported_to": reported_to, "source": source,
               "grid": grid, "measure": measure}
    qs = services.filtered_events(request.auth, status=status, **filters)
    # each status counted up to LIST_COUNT_CAP, as the worklist's chips: a city's exact GROUP BY over two
    # million events took 0.7–1.3 s a request (docs/performance.md); the total is the listed statuses' sum
    counts = services.capped_counts_by_status(request.auth, LIST_COUNT_CAP, **filters)
    listed = {c for c in status.split(",") if c} or set(Status.values)
    rows = page.window(qs.select_related("category", "region", "center"))
    now = timezone.now()
    return {
        "count": sum(counts.get(c, (0, False))[0] for c in listed),
        "count_capped": any(counts.get(c, (0, False))[1] for c in listed),
        "counts_by_status": {c: n for c, (n, _more) in counts.items() if n},
        "capped_statuses": [c for c, (_n, more) in counts.items() if more],
        "results": [brief(e, now) for e in rows],
    }


@router.get("/events/duplicates", summary="附近可能重复的事件", response={200: list[EventBrief], 422: Error}, auth=api_auth)
def possible_duplicates(request, category: str, lng: Lng, lat: Lat):
    """Open events of the same category nearby (radius and period from settings) — shown while reporting."""
    cat = Category.objects.filter(code=category).first()
    if cat is None:
        raise ValidationFailed("分类无效", {"category": ["分类无效"]})
    return [brief(e) for e, _d in services.find_duplicates(cat, lng, lat, user=request.auth)]


@router.get("/events/{number}", summary="事件详情", response={200: EventDetail, 404: Error}, auth=api_auth)
def get_event(request, number: str):
    return detail(services.get_visible(request.auth, number), request.auth)


class EventActionIn(Schema):
    note: text(5000) = ""
    lead_department: text(32) | None = None
    assisting_departments: list[str] = []
    deadline: Moment | None = None
    target: text(20) | None = None
    rating: text(16) | None = None
    level: text(8) | None = None
    requested_deadline: Moment | None = None
    # follow_up (回访): the note is the result heard
    method: text(8) | None = Field(None, description="follow_up: phone / visit / sms / other")
    respondent: text(8) | None = Field(None, description="follow_up: reporter / other")
    respondent_name: text(50) | None = None
    relationship: text(50) | None = None
    satisfaction: text(16) | None = Field(None, description="follow_up: satisfied / basically / unsatisfied")
    center: text(12) | None = Field(None, description="hand_down: the code of the lower center")
    grid: text(15) | None = Field(None, description="relocate: the grid's code")
    lng: StrictCoordinate | None = Field(None, description="relocate: the new point (with lat), a JSON number")
    lat: StrictCoordinate | None = Field(None, description="relocate: a JSON number")
    address: text(200) | None = Field(None, description="relocate: the corrected address (optional)")


@router.post("/events/{number}/actions/{action}", summary="执行事件办理操作",
             response={200: EventDetail, 403: Error, 404: Error, 409: Error, 422: Error}, auth=api_auth)
def act(request, number: str, action: str, payload: EventActionIn):
    """Perform an action.  Not allowed in the current state → 409; not yours to take → 403;
    outside your scope → 404.  `allowed_actions` on the detail says what you may do now."""
    event = services.get_visible(request.auth, number)
    entry = services.perform_action(request.auth, event, action, payload.dict())
    try:
        event = services.get_visible(request.auth, number)
    except NotFound:  # the action took the case out of the actor's scope (its place corrected to elsewhere)
        event = entry.event
    return detail(event, request.auth)


class CenterOut(Schema):
    code: str
    name: str
    center_name: str
    level: int


@router.get("/events/{number}/hand-down-centers", summary="可下派的下级中心",
            response={200: list[CenterOut], 403: Error, 404: Error, 409: Error}, auth=api_auth)
def hand_down_centers(request, number: str):
    """The lower centers you may hand this event down to (`hand_down` with `center` = a code of this list)."""
    event = services.get_visible(request.auth, number)
    workflow.check(event, "hand_down", request.auth)
    return [{"code": r.code, "name": r.name, "center_name": r.center_name, "level": r.level}
            for r in routing.lower_centers(event)]


@router.post("/events/{number}/attachments", summary="上传事件附件",
             response={201: dict, 403: Error, 404: Error, 409: Error, 422: Error},
             auth=api_auth)
def upload(request, number: str, file: UploadedFile = File(...)):
    """Attach a photo, audio or video (checked by content and size)."""
    event = services.get_visible(request.auth, number)
    if not workflow.can_attach(request.auth, event):  # the person first (403), then the state (409)
        raise Forbidden("您不能为该事件上传附件", code="not_permitted")
    if not event.is_open:
        raise Conflict("已办结的事件不能再上传附件", code="closed")
    att = services.add_attachment(event, file, request.auth)
    return Reply(201, {"kind": att.kind, "url": att.url, "size": att.size, "sha256": att.sha256})


@router.get("/attachments/{attachment_id}", summary="下载事件附件", auth=api_auth, response={200: None, 404: Error})
def download(request, attachment_id: Id):
    """The file of an attachment, if you may see its event."""
    return services.attachment_response(services.get_attachment(request.auth, attachment_id))


# --- citizens -----------------------------------------------------------------------------------


class CitizenEventIn(EventIn):
    reporter_phone: text(32)
    reporter_name: text(50) = ""


class CitizenView(Schema):
    number: str
    category_name: str
    status: str
    status_label: str
    created_at: datetime
    closed_at: datetime | None
    result: str
    rating: str
    can_rate: bool
    merged_into: str | None
    original: dict | None = Field(None, description="合并办理的原事件的进展（number, status, result, timeline）")
    timeline: list[dict]


CITIZEN_VISIBLE_ACTIONS = {"report", "accept", "reject", "merge", "dispatch", "sign", "feedback", "resolve_on_spot",
                           "verify_pass", "rate", "reopen", "escalate", "follow_up", "hand_down"}


def _citizen_progress(e: Event) -> dict:
    """What a member of the public may read of a case: its state, result and public steps."""
    return {
        "number": e.number, "status": e.status, "status_label": e.get_status_display(), "closed_at": e.closed_at,
        "result": e.result if e.status == Status.CLOSED else "",
        "timeline": [
            {"action": x.action, "label": str(workflow.TRANSITIONS[x.action].label) if x.action in workflow.TRANSITIONS
             else "上报", "at": x.created_at.isoformat(),
             "note": x.note if x.action in ("reject", "verify_pass", "feedback") else ""}
            for x in e.log.all() if x.action in CITIZEN_VISIBLE_ACTIONS
        ],
    }


def citizen_view(e: Event) -> dict:
    """A citizen's case; a case merged into another carries the original's progress (the reporter follows it)."""
    view = {**_citizen_progress(e), "category_name": e.category.name, "created_at": e.created_at,
            "rating": e.rating, "can_rate": e.status == Status.CLOSED and not e.rating,
            "merged_into": e.merged_into.number if e.merged_into_id else None, "original": None}
    if e.merged_into_id:
        original = e.merged_into
        while original.merged_into_id:  # a chain of merges ends at the case that is handled
            original = original.merged_into
        view["original"] = _citizen_progress(original)
    return view


@citizen_router.post("/citizen/events", summary="群众上报事件（无需账号）",
                     response={200: CitizenView, 201: CitizenView, 422: Error, 429: Error},
                     auth=None)
def citizen_report(request, payload: CitizenEventIn):
    """Report without an account; keep the returned number and your phone number to follow the case."""
    event, created = services.report_as_citizen(services.EventInput(**payload.dict()), client_ip(request),
                                                request.headers.get("Idempotency-Key", ""))
    return Reply(201 if created else 200, citizen_view(event))


@citizen_router.get("/citizen/events/{number}", summary="群众查询事件进度",
                    response={200: CitizenView, 404: Error, 429: Error}, auth=None)
def citizen_track(request, number: str, phone: str):
    """Follow a case by its number and the phone it was reported with (rate-limited per client)."""
    return citizen_view(services.get_for_citizen(number, phone, client=client_ip(request)))


class RateIn(Schema):
    phone: text(32)
    rating: text(16)
    note: text(500) = ""


@citizen_router.post("/citizen/events/{number}/rate", summary="群众评价办理结果",
                     response={200: CitizenView, 404: Error, 409: Error, 422: Error, 429: Error}, auth=None)
def citizen_rate(request, number: str, payload: RateIn):
    event = services.get_for_citizen(number, payload.phone, client=client_ip(request))
    services.perform_action(Citizen(phone=payload.phone.strip()), event, "rate",
                            {"rating": payload.rating, "note": payload.note})
    return citizen_view(services.get_for_citizen(number, payload.phone))


__all__ = ["router", "citizen_router"]

"""Petitions over HTTP: thin endpoints that call services and the workflow."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.utils import timezone
from ninja import Query, Router, Schema
from ninja import Status as Reply
from pydantic import Field

from gridgov.accounts.auth import api_auth
from gridgov.core.api_types import Count, Error, PageParams, RefId, text
from gridgov.petitions import services, sla, workflow
from gridgov.petitions.models import Petition

router = Router(tags=["信访"])


class PetitionerIn(Schema):
    name: text(50) = ""
    phone: text(32) = ""
    id_number: text(32) = Field("", description="居民身份证号码: links a registry resident, else stored encrypted")
    resident_id: RefId | None = None


class PetitionIn(Schema):
    channel: text(8) = Field(description="letter 来信 / visit 来访 / online 网上 / phone 电话")
    subject: text(200)
    demands: text(5000)
    petitioners: list[PetitionerIn]
    region: text(12) = Field("", description="region code of the matter; default: your region")
    target_department: text(32) = ""
    target_agency: text(100) = ""
    people_count: Count = 0
    collective: bool = False
    events: list[str] = []
    disputes: list[str] = []


class PetitionerOut(Schema):
    name: str
    phone: str
    id_number: str
    resident_id: int | None


class PetitionBrief(Schema):
    number: str
    channel: str
    channel_label: str
    subject: str
    status: str
    status_label: str
    region: str
    region_name: str
    registered_at: datetime
    deadline: datetime | None
    sla_state: str | None
    ack_due_at: datetime | None
    acked_at: datetime | None
    ack_state: str | None
    is_collective: bool
    repeat_count: int
    backlog: bool
    leader: str | None
    petitioners: list[PetitionerOut]


class PetitionLogOut(Schema):
    action: str
    actor: str
    from_status: str
    to_status: str
    note: str
    data: dict
    created_at: datetime


class ReviewWindow(Schema):
    """The 复查 (after the written reply) or 复核 (after the review opinion) request window."""

    kind: Literal["review", "recheck"]
    state: Literal["pending_delivery", "open", "closed"] = Field(
        description="pending_delivery: 待送达, the window starts when the delivery date is recorded")
    label: str
    until: date | None = Field(description="last day a request is accepted (moved off holidays); null until delivered")


class PetitionDetail(PetitionBrief):
    demands: str
    target: str
    center: str
    people_count: int
    handling_department: str | None
    transferred_to: str
    decision_reason: str
    reply_text: str
    replied_on: date | None
    reply_delivered_on: date | None
    review_replied_on: date | None
    review_delivered_on: date | None
    recheck_replied_on: date | None
    review_window: ReviewWindow | None
    extension_days: int
    deadline_label: str
    repeat_of: str | None
    events: list[str]
    disputes: list[str]
    allowed_actions: list[str]
    timeline: list[PetitionLogOut]
    attachments: list[dict]


def _petitioners(p: Petition) -> list[dict]:
    return [{"name": x.name, "phone": x.phone_masked, "id_number": x.id_masked or (x.resident.id_masked if x.resident_id
             else ""), "resident_id": x.resident_id} for x in p.petitioners.select_related("resident")]


def brief(p: Petition, now=None) -> dict:
    return {
        "number": p.number, "channel": p.channel, "channel_label": p.get_channel_display(), "subject": p.subject,
        "status": p.status, "status_label": p.get_status_display(), "region": p.region.code,
        "region_name": p.region.name, "registered_at": p.registered_at, "deadline": p.deadline,
        "sla_state": sla.sla_state(p, now), "ack_due_at": p.ack_due_at, "acked_at": p.acked_at,
        "ack_state": sla.ack_state(p, now), "is_collective": p.is_collective, "repeat_count": p.repeat_count,
        "backlog": sla.is_backlog(p, now), "leader": str(p.leader) if p.leader_id else None,
        "petitioners": _petitioners(p),
    }


def detail(p: Petition, actor) -> dict:
    out = brief(p)
    repeat_root = p.repeat_of if p.repeat_of_id and Petition.objects.visible_to(actor).filter(
        pk=p.repeat_of_id).exists() else None
    out.update({
        "demands": p.demands, "target": p.target_label, "center": p.center.code, "people_count": p.people_count,
        "handling_department": p.handling_department.code if p.handling_department_id else None,
        "transferred_to": p.transferred_label, "decision_reason": p.decision_reason, "reply_text": p.reply_text,
        "replied_on": p.replied_on, "review_replied_on": p.review_replied_on,
        "recheck_replied_on": p.recheck_replied_on, "extension_days": p.extension_days,
        "reply_delivered_on": p.reply_delivered_on, "review_delivered_on": p.review_delivered_on,
        "review_window": workflow.review_window(p),
        "deadline_label": sla.stage_label(p), "repeat_of": repeat_root.number if repeat_root else None,
        "events": list(p.events.values_list("number", flat=True)),
        "disputes": list(p.disputes.values_list("number", flat=True)),
        "allowed_actions": workflow.allowed_actions(p, actor),
        "timeline": [
            {"action": x.action, "actor": x.actor_label, "from_status": x.from_status, "to_status": x.to_status,
             "note": x.note, "data": x.data, "created_at": x.created_at}
            for x in services.timeline(p)
        ],
        "attachments": [{"kind": a.kind, "url": a.url, "size": a.size} for a in p.attachments.all()],
    })
    return out


@router.post("/petitions", summary="登记信访件", response={201: PetitionDetail, 403: Error, 422: Error}, auth=api_auth)
def create_petition(request, payload: PetitionIn):
    """Register a petition (operators, grid workers). A repeat of an earlier petition by the same
    petitioner is detected and linked (`repeat_count`, `repeat_of`)."""
    data = payload.dict()
    data["petitioners"] = [services.PetitionerInput(**x) for x in data["petitioners"]]
    p = services.create_petition(request.auth, services.PetitionInput(**data))
    return Reply(201, detail(services.get_visible(request.auth, p.number), request.auth))


class PetitionPage(Schema):
    count: int
    counts_by_status: dict[str, int]
    results: list[PetitionBrief]


def _page(request, qs, page: PageParams, filters: dict) -> dict:
    now = timezone.now()
    rows = page.window(qs.select_related("region", "leader"))
    # counts_by_status: under the same filters except status
    return {"count": qs.count(), "counts_by_status": services.counts_by_status(request.auth, **filters),
            "results": [brief(p, now) for p in rows]}


@router.get("/petitions", summary="信访件列表", response={200: PetitionPage, 422: Error}, auth=api_auth)
def list_petitions(request, status: str = "", channel: str = "", sla_state: str = "", backlog: str = "",
                   repeat: str = "", region: str = "", q: str = "", page: Query[PageParams] = None):
    """Petitions you may see, soonest deadline first. Filters: status, channel, sla_state
    (normal / near_due / overdue), backlog=1 (积案), repeat=1 (重复信访), region (code prefix), q."""
    filters = {"channel": channel, "sla_state": sla_state, "backlog": backlog, "repeat": repeat, "region": region,
               "q": q}
    qs = services.filtered_petitions(request.auth, status=status, **filters)
    return _page(request, qs, page, filters)


@router.get("/petitions/backlog", summary="信访积案", response={200: PetitionPage, 422: Error}, auth=api_auth)
def backlog(request, channel: str = "", region: str = "", repeat: str = "", page: Query[PageParams] = None):
    """积案: open beyond the current deadline, or repeated 3 times or more (PETITION_BACKLOG_REPEATS)."""
    filters = {"backlog": "1", "channel": channel, "region": region, "repeat": repeat}
    qs = services.filtered_petitions(request.auth, **filters)
    return _page(request, qs, page, filters)


class ReplyRate(Schema):
    region: str
    since: date
    until: date
    letters: int
    counted: int
    in_time: int
    late: int
    unreplied: int
    pending: int
    rate: float | None


@router.get("/petitions/stats/reply-rate", summary="信访七日内回复率", response={200: ReplyRate, 422: Error}, auth=api_auth)
def reply_rate(request, region: str = "", since: str = "", until: str = ""):
    """七日内回复率 of letters registered in [since, until] (YYYY-MM-DD; default the last 30 days) in a
    region (code prefix), within your scope. Letters still inside their 7 days without a reply are
    `pending` and not counted."""
    return services.reply_rate_for(request.auth, region=region, since=since, until=until)


@router.get("/petitions/{number}", summary="信访件详情", response={200: PetitionDetail, 404: Error}, auth=api_auth)
def get_petition(request, number: str):
    return detail(services.get_visible(request.auth, number), request.auth)


class PetitionActionIn(Schema):
    note: text(5000) = ""
    department: text(32) | None = None
    agency: text(100) | None = None
    days: Count | None = None
    reply_date: date | None = None
    delivery_date: date | None = Field(None, description="record_delivery: the day the petitioner received it")


@router.post("/petitions/{number}/actions/{action}", summary="执行信访办理操作",
             response={200: PetitionDetail, 403: Error, 404: Error, 409: Error, 422: Error}, auth=api_auth)
def act(request, number: str, action: str, payload: PetitionActionIn):
    """Perform an action. Wrong state → 409; not yours → 403; outside your scope → 404;
    `allowed_actions` on the detail says what you may do now."""
    p = services.get_visible(request.auth, number)
    services.perform_action(request.auth, p, action, payload.dict())
    return detail(services.get_visible(request.auth, number), request.auth)

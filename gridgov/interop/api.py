"""The department systems' API (/api/v1/interop/): thin endpoints over :mod:`gridgov.interop.inbound`."""

from __future__ import annotations

from datetime import datetime

from ninja import Query, Router, Schema
from pydantic import Field

from gridgov.core.api_types import Error, Moment, PageParams, text
from gridgov.interop import inbound
from gridgov.interop.auth import department_auth

router = Router(tags=["部门对接"], auth=department_auth)


class CaseOut(Schema):
    number: str
    title: str
    category: str
    category_name: str
    status: str
    status_label: str
    urgency: str
    deadline: datetime | None
    sla_state: str | None
    description: str
    lng: float | None
    lat: float | None
    address: str
    region: str
    grid: str | None
    lead_department: str | None
    assisting_departments: list[str]
    part: str = Field(description="lead 主办 / assisting 协办 / involved 曾经办")
    result: str
    supervision: str
    created_at: datetime
    allowed_actions: list[str] = Field(description="此密钥现在可做的操作（sign, feedback, request_extension, return …）")


class CasePage(Schema):
    count: int
    results: list[CaseOut]


@router.get("/cases", summary="部门案件列表（主办或协办）", response={200: CasePage, 429: Error})
def list_cases(request, page: Query[PageParams] = None):
    """The department's open cases (主办 or 协办), soonest deadline first."""
    qs = inbound.open_cases(request.auth)
    return {"count": qs.count(), "results": [inbound.as_dict(e, request.auth) for e in page.window(qs)]}


@router.get("/cases/{number}", summary="部门案件详情", response={200: CaseOut, 429: Error})
def get_case(request, number: str):
    """One case the department may see; any other number is a 404."""
    return inbound.as_dict(inbound.get_case(request.auth, number), request.auth)


class NoteIn(Schema):
    note: text(5000) = ""


class NeededNoteIn(Schema):
    note: text(5000) = Field(description="必填")


class ExtensionIn(Schema):
    note: text(5000) = Field(description="延期理由（必填）")
    requested_deadline: Moment = Field(description="申请延期至，例如 2026-12-01T17:30:00+08:00")


ACTION_ERRORS = {200: CaseOut, 403: Error, 409: Error, 429: Error}


@router.post("/cases/{number}/sign", summary="签收案件", response=ACTION_ERRORS)
def sign(request, number: str, payload: NoteIn):
    """签收 a case dispatched to the department (待签收 → 处置中)."""
    return _act(request, number, "sign", payload)


@router.post("/cases/{number}/feedback", summary="反馈处置结果", response=ACTION_ERRORS)
def feedback(request, number: str, payload: NeededNoteIn):
    """反馈处置结果 (处置中 → 待核查): the note is the result."""
    return _act(request, number, "feedback", payload)


@router.post("/cases/{number}/request-extension", summary="申请延期", response=ACTION_ERRORS)
def request_extension(request, number: str, payload: ExtensionIn):
    """申请延期: the reason and the deadline asked for (later than the current one)."""
    return _act(request, number, "request_extension", payload)


@router.post("/cases/{number}/return", summary="退回案件", response=ACTION_ERRORS)
def return_case(request, number: str, payload: NeededNoteIn):
    """退回 a misrouted case to its center, with the reason."""
    return _act(request, number, "return", payload)


def _act(request, number: str, action: str, payload: Schema) -> dict:
    event = inbound.act(request.auth, number, action, payload.dict())
    return inbound.as_dict(event, request.auth)

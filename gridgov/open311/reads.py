"""Reading service requests the Open311 way: the public list with the spec's filters, one request, a token.

What is published (docs/open311.md, "Privacy"): only events filed through Open311, and of those the case's
state, place and times — never the reporter's name, phone or e-mail, nor the description, except to the very
client application that filed it (it sent that text itself) when it presents its api_key.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gridgov.events.models import OPEN_STATUSES, Status
from gridgov.open311 import conf
from gridgov.open311.models import ClientApplication, ServiceRequest
from gridgov.open311.services import Open311Error, bad_request, service_notice

STATUS_NOTES = {
    Status.REPORTED: gettext_noop("已收到，待受理"),
    Status.ACCEPTED: gettext_noop("已受理，待派遣"),
    Status.DISPATCHED: gettext_noop("已派遣至处置部门"),
    Status.HANDLING: gettext_noop("处置部门正在处置"),
    Status.HANDLED: gettext_noop("已处置，待综治中心核查"),
    Status.CLOSED: gettext_noop("已办结"),
    Status.REJECTED: gettext_noop("不予受理"),
    Status.MERGED: gettext_noop("已与同一问题的其他反映合并办理"),
}


def published():
    return ServiceRequest.objects.select_related(
        "event", "event__category", "event__lead_department", "event__center", "event__merged_into")


def open311_status(status: str) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


def w3c(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def status_notes(event) -> str:
    """A short fixed phrase for the state; never the staff's free text (it may name people)."""
    note = _(STATUS_NOTES.get(event.status, ""))
    if event.status == Status.MERGED and event.merged_into_id:
        note = _("已与事件 %(n)s 合并办理") % {"n": event.merged_into.number}
    elif event.status == Status.CLOSED and event.closed_on_time is not None:
        note = _("已办结（按期）") if event.closed_on_time else _("已办结（超期）")
    return note


def as_open311(sr: ServiceRequest, viewer: ClientApplication | None = None) -> dict:
    e = sr.event
    agency = e.lead_department.name if e.lead_department_id else e.center.center_name
    expected = e.due_at or (e.deadline if e.is_open else None)
    return {
        "service_request_id": e.number,
        "status": open311_status(e.status),
        "status_notes": status_notes(e),
        "service_name": e.category.name,
        "service_code": e.category.code,
        # the text is the reporter's own words and may name people: only its sender sees it again
        "description": e.description if viewer is not None and viewer.pk == sr.client_id else None,
        "agency_responsible": agency,
        "service_notice": service_notice(e.category),
        "requested_datetime": w3c(e.created_at),
        "updated_datetime": w3c(e.updated_at),
        "expected_datetime": w3c(expected),
        "address": e.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": e.lat,
        "long": e.lng,
        "media_url": sr.media_url or None,
    }


def get_request(number: str) -> ServiceRequest:
    sr = published().filter(event__number=number).first()
    if sr is None:
        raise Open311Error(404, _("service_request_id: 未找到该服务请求"))
    return sr


def by_token(token: str) -> dict:
    sr = ServiceRequest.objects.select_related("event").filter(token=token).first()
    if sr is None:
        raise Open311Error(404, _("token: 未找到该令牌"))
    return {"service_request_id": sr.event.number, "token": sr.token}


def _moment(raw: str, name: str, errors: dict, *, end: bool = False) -> datetime | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:  # an unescaped "+" of an offset arrives as a space: "…T00:00:00 08:00"
        moment = parse_datetime(raw) or parse_datetime(raw[:-6] + raw[-6:].replace(" ", "+"))
        day = parse_date(raw) if moment is None and len(raw) == 10 else None
    except ValueError:  # well formed, but no such day or time (2026-13-45)
        moment = day = None
    if moment is None:
        if day is None:
            errors[name] = [_("时间格式无效，应为 W3C 格式，例如 2026-12-01T00:00:00+08:00")]
            return None
        moment = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _positive(raw: str | None, name: str, default: int, top: int, errors: dict) -> int:
    if raw in (None, ""):
        return default
    if not str(raw).isdigit() or not 1 <= int(raw) <= top:
        errors[name] = [_("应为 1 到 %(n)s 之间的整数") % {"n": top}]
        return default
    return int(raw)


def search(params, now: datetime | None = None) -> list[ServiceRequest]:
    """GET requests: newest first, one page. ``service_request_id`` (comma list) overrides every other
    filter; else ``service_code`` (comma list), ``status`` (open/closed, comma list), ``start_date`` /
    ``end_date`` on requested_datetime (default: the last WINDOW_DAYS days; never wider), ``page`` and
    ``page_size`` (at most MAX_PAGE_SIZE)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    top = conf.get("MAX_PAGE_SIZE")
    page = _positive(params.get("page"), "page", 1, 1_000_000, errors)
    size = _positive(params.get("page_size"), "page_size", top, top, errors)
    qs = published().order_by("-created_at", "-pk")
    ids = [x.strip() for x in (params.get("service_request_id") or "").split(",") if x.strip()]
    if ids:
        if len(ids) > top:
            errors["service_request_id"] = [_("一次最多查询 %(n)s 个编号") % {"n": top}]
        qs = qs.filter(event__number__in=ids[:top])
    else:
        window = timedelta(days=conf.get("WINDOW_DAYS"))
        start = _moment(params.get("start_date"), "start_date", errors)
        end = _moment(params.get("end_date"), "end_date", errors, end=True)
        if start and end and start > end:
            errors["end_date"] = [_("结束时间不能早于开始时间")]
        elif start and end and end - start > window:
            errors["end_date"] = [_("查询时间范围不能超过 %(n)s 天") % {"n": window.days}]
        end = end or (min(start + window, now) if start else now)
        start = start or end - window
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        codes = [c.strip() for c in (params.get("service_code") or "").split(",") if c.strip()]
        if codes:
            qs = qs.filter(event__category__code__in=codes)
        wanted = {s.strip().lower() for s in (params.get("status") or "").split(",") if s.strip()}
        if wanted - {"open", "closed"}:
            errors["status"] = [_("状态应为 open 或 closed")]
        elif wanted == {"open"}:
            qs = qs.filter(event__status__in=OPEN_STATUSES)
        elif wanted == {"closed"}:
            qs = qs.exclude(event__status__in=OPEN_STATUSES)
    if errors:
        raise bad_request(errors)
    return list(qs[(page - 1) * size: page * size])


def viewer(raw_key: str | None) -> ClientApplication | None:
    """The client application named by an api_key on a read (optional); a wrong key is refused, not ignored."""
    if not raw_key:
        return None
    client = ClientApplication.authenticate(raw_key)
    if client is None:
        raise Open311Error(403, _("api_key: 密钥无效或已停用"))
    return client

"""Event operations: the one door that web views, the API, commands and tasks all use."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gridgov.accounts.models import Department, User
from gridgov.cases.engine import Citizen
from gridgov.cases.uploads import serve_upload, store_upload, validate_upload
from gridgov.core import crypto
from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.core.idempotency import check_replay, first_with_key, request_fingerprint
from gridgov.core.text import as_pk
from gridgov.events import followup, hotline, routing, workflow
from gridgov.events.models import (
    CATEGORIES,
    OPEN_STATUSES,
    WORKLIST_ORDER,
    Attachment,
    Category,
    Event,
    EventLog,
    Rating,
    Source,
    Status,
    Urgency,
)
from gridgov.regions.models import GRIDS, REGIONS, Grid, Region

# --- places -----------------------------------------------------------------------------------


def center_for(region: Region) -> Region:
    """The nearest region at or above ``region`` that runs a center (township, county, city)."""
    for code in region.ancestors_codes():
        if len(code) in (9, 6, 4):
            found = REGIONS.get(("code", code), Region.objects.filter(code=code))
            if found is not None:
                return found
    raise ValidationFailed(_("该区划没有对应的综治中心"), {"region": [_("该区划没有对应的综治中心")]})


def default_city() -> Region | None:
    return Region.objects.filter(level=Region.Level.CITY).order_by("code").first()


def locate(lng: float | None, lat: float | None):
    """(grid, region) for a point; grid is None when the point is in no grid."""
    if lng is None or lat is None:
        return None, None
    from gridgov.regions.spatial import locate_id

    pk = locate_id(lng, lat)
    if pk is None:
        return None, None
    # the grid's row without its boundary (the index has it; parsing the GeoJSON was most of a lookup), and its
    # community, both kept per process (regions.models.GRIDS / REGIONS); the grid may have been removed since
    # the index was read, then the point is in no grid
    grid = GRIDS.get(pk, Grid.objects.filter(pk=pk, active=True))
    if grid is None:
        return None, None
    grid.community = REGIONS.get(("pk", grid.community_id), Region.objects.filter(pk=grid.community_id))
    return grid, grid.community


# --- duplicates -------------------------------------------------------------------------------

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def find_duplicates(category: Category, lng: float, lat: float, *, user=None, exclude_pk=None,
                    now: datetime | None = None, radius_m: int | None = None, days: int | None = None,
                    limit: int | None = None) -> list:
    """Open events of the same category within ``radius_m`` metres reported in the last ``days`` days.

    Returns ``[(event, distance_m)]`` nearest first, at most ``limit`` of them.  A bounding box on the
    indexed columns narrows the rows (the newest 200 in it); the exact great-circle distance decides. Only the
    candidates' keys and places are read; the events themselves are loaded for the ones returned, so a busy
    spot (a hundred open reports of one kind around one place) costs a page no more than a quiet one.
    """
    now = now or timezone.now()
    radius_m = radius_m or settings.GRIDGOV["DUPLICATE_RADIUS_M"]
    days = days or settings.GRIDGOV["DUPLICATE_DAYS"]
    dlat = radius_m / 111_320
    dlng = radius_m / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    qs = Event.objects.filter(
        category=category, status__in=OPEN_STATUSES, created_at__gte=now - timedelta(days=days),
        lng__range=(lng - dlng, lng + dlng), lat__range=(lat - dlat, lat + dlat),
    )
    if user is not None:
        qs = qs.visible_to(user) if not isinstance(user, Citizen) else qs
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    near = []
    for pk, e_lng, e_lat in qs.values_list("pk", "lng", "lat")[:200]:
        d = distance_m(lng, lat, e_lng, e_lat)
        if d <= radius_m:
            near.append((pk, round(d)))
    near.sort(key=lambda pair: pair[1])  # stable: equal distances keep the newest first
    if limit is not None:
        near = near[:limit]
    if not near:
        return []
    events = Event.objects.select_related("category").in_bulk([pk for pk, _d in near])
    return [(events[pk], d) for pk, d in near if pk in events]


def add_attachment(event: Event, upload, actor=None, log: EventLog | None = None) -> Attachment:
    return store_upload(Attachment(event=event, log=log, uploaded_by=actor if isinstance(actor, User) else None),
                        upload)


# --- creating ---------------------------------------------------------------------------------

SOURCES_BY_ROLE = {
    User.Role.GRID_WORKER: {Source.GRID_PATROL},
    User.Role.OPERATOR: {Source.HOTLINE, Source.VIDEO, Source.DEPARTMENT, Source.SUPERIOR, Source.GRID_PATROL},
    User.Role.ADMIN: {s for s in Source},
    "citizen": {Source.CITIZEN},
}


@dataclass
class EventInput:
    category: str  # category code
    description: str
    lng: float | None = None
    lat: float | None = None
    address: str = ""
    source: str = ""
    urgency: str = ""
    people_involved: int = 0
    title: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    resolve_on_spot: bool = False
    on_spot_result: str = ""
    attachments: list = field(default_factory=list)


def _validate(actor, data: EventInput) -> tuple[Category, str, dict]:
    errors: dict[str, list[str]] = {}
    cat = CATEGORIES.get(("leaf", data.category),
                         Category.objects.filter(code=data.category, active=True, parent__isnull=False))
    if cat is None:
        errors["category"] = [_("请选择有效的事件分类")]
    desc = (data.description or "").strip()
    if len(desc) < 5:
        errors["description"] = [_("请描述事件情况（至少5个字）")]
    elif len(desc) > 2000:
        errors["description"] = [_("描述不能超过2000字")]
    # the columns' lengths: a longer value is a field error, never cut
    for name, limit in (("title", 100), ("address", 200), ("reporter_name", 50)):
        if len((getattr(data, name) or "").strip()) > limit:
            errors[name] = [_("不能超过 %(n)s 个字符") % {"n": limit}]
    if (data.lng is None) != (data.lat is None):
        errors["location"] = [_("经纬度需同时提供")]
    elif data.lng is not None and not (-180 <= data.lng <= 180 and -90 <= data.lat <= 90):
        errors["location"] = [_("经纬度超出范围")]
    elif data.lng is not None and routing.outside_city(data.lng, data.lat):
        errors["location"] = [_(routing.OUTSIDE_CITY)]
    if data.lng is None and not data.address.strip():
        errors["location"] = [_("请在地图上选择位置或填写地址")]
    role = "citizen" if isinstance(actor, Citizen) else actor.role
    allowed = SOURCES_BY_ROLE.get(role, set())
    source = data.source or next(iter(sorted(allowed)), "")
    if role == User.Role.GRID_WORKER:
        source = Source.GRID_PATROL
    elif role == "citizen":
        source = Source.CITIZEN
    if source not in allowed:
        errors["source"] = [_("您不能以该来源上报事件")]
    if data.urgency and data.urgency not in Urgency.values:
        errors["urgency"] = [_("紧急程度无效")]
    if data.people_involved < 0 or data.people_involved > 100000:
        errors["people_involved"] = [_("涉及人数无效")]
    if role == "citizen":
        phone = crypto.normalize_phone(data.reporter_phone)
        if not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
            errors["reporter_phone"] = [_("请填写11位手机号码")]
    elif source == Source.HOTLINE:
        hotline.check_caller(data.reporter_name, data.reporter_phone, errors)
    if data.resolve_on_spot:
        if role != User.Role.GRID_WORKER:
            errors["resolve_on_spot"] = [_("只有网格员可以就地解决")]
        elif not data.on_spot_result.strip():
            errors["on_spot_result"] = [_("请填写就地解决的处置情况")]
        elif not data.attachments:
            errors["attachments"] = [_("就地解决需上传现场照片作为证据")]
    uploads = []
    for f in data.attachments:
        try:
            uploads.append((f, validate_upload(f)))
        except ValidationFailed as exc:
            errors.setdefault("attachments", []).extend(sum(exc.fields.values(), []))
    if errors:
        raise ValidationFailed(_("上报内容有误，请检查"), errors)
    return cat, source, {"description": desc}


def _fallback_region(actor) -> Region | None:
    if isinstance(actor, User) and actor.region_id:
        return actor.region
    return default_city()


def create_event(actor, data: EventInput, *, idempotency_key: str = "", now: datetime | None = None
                 ) -> tuple[Event, bool]:
    """Report an event.  Returns (event, created); a retried request with the same
    Idempotency-Key returns the first event and creates nothing.  A new event without attachments carries
    its "report" log row as ``event.opening_log`` (the whole of its timeline).

    The key is looked up only when this request cannot be a new event: when its insert hits the key's unique
    index, or when the request is refused (a replay answers with its first event even if the same body would
    not pass the checks now) — a first request, the common case, costs no lookup."""
    now = now or timezone.now()
    # a citizen's scope is their phone's keyed hash: the number itself is never a key or in a log
    scope = crypto.citizen_scope(data.reporter_phone) if isinstance(actor, Citizen) else f"user:{actor.pk}"
    key = (idempotency_key or "").strip()[:128]
    fingerprint = request_fingerprint(data) if key else ""
    try:
        cat, source, clean = _validate(actor, data)
        grid, region = locate(data.lng, data.lat)
        if region is None:
            region = _fallback_region(actor)
        if region is None:
            raise ValidationFailed(_("无法确定事件所属区划"), {"location": [_("该位置不在本市范围内")]})
        center = center_for(region)
    except ValidationFailed:
        existing = _replayed(scope, key, fingerprint) if key else None
        if existing is not None:
            return existing, False
        raise
    try:
        with transaction.atomic():
            event = Event(
                source=source, category=cat, title=(data.title or "").strip() or cat.name, description=clean["description"],
                lng=data.lng, lat=data.lat, address=data.address.strip(), grid=grid, region=region,
                center=center, urgency=data.urgency or cat.urgency,
                people_involved=data.people_involved,
                **hotline.reporter_fields(actor, source, data.reporter_name, data.reporter_phone),
                idempotency_scope=scope if key else "", idempotency_key=key, idempotency_fingerprint=fingerprint,
                created_at=now,
            )
            def attach() -> None:
                for upload in data.attachments:
                    add_attachment(event, upload, actor)

            opening = workflow.open_event(event, actor, now, fill=attach if data.attachments else None)
            if data.resolve_on_spot:
                workflow.perform(event, "resolve_on_spot", actor, {"note": data.on_spot_result}, now=now)
                event.refresh_from_db()
            elif not data.attachments:
                # what this request wrote is all the new case has: its answer needs no re-read (api.detail)
                event.opening_log = opening
    except IntegrityError:
        if key:
            existing = _replayed(scope, key, fingerprint)
            if existing is not None:
                return existing, False
        raise
    return event, True


def _replayed(scope: str, key: str, fingerprint: str) -> Event | None:
    """The event first created with this key, if any; a different request body under the same key → 422."""
    existing = first_with_key(Event.objects, scope, key)
    if existing is not None:
        check_replay(existing.idempotency_fingerprint, fingerprint)
    return existing


def report_as_citizen(data: EventInput, client: str, idempotency_key: str = "") -> tuple[Event, bool]:
    """A report without an account (API and web form).  A replay of an earlier Idempotency-Key answers with
    its event and is not counted; a new report counts against the hourly limits per phone and per client
    (settings GRIDGOV CITIZEN_REPORTS_PER_PHONE / _PER_CLIENT), so nobody floods a center with copies.  The
    counter's key is the phone's keyed hash, never the number."""
    from gridgov.core import throttle

    phone = crypto.normalize_phone(data.reporter_phone)
    citizen = Citizen(phone=phone)
    key = (idempotency_key or "").strip()[:128]
    if key:
        existing = _replayed(crypto.citizen_scope(phone), key, request_fingerprint(data))
        if existing is not None:
            return existing, False
    message = _("提交过于频繁，请稍后再试；如已提交，请勿重复反映")
    limits = settings.GRIDGOV
    throttle.check("citizen-report-client", client, limits["CITIZEN_REPORTS_PER_CLIENT"], 3600, message)
    if phone:
        throttle.check("citizen-report-phone", crypto.phone_hash(phone), limits["CITIZEN_REPORTS_PER_PHONE"], 3600,
                       message)
    return create_event(citizen, data, idempotency_key=key)


# --- reading ----------------------------------------------------------------------------------


def get_visible(user, number: str) -> Event:
    """The event if ``user`` may see it; otherwise NotFound, whether it exists or not."""
    event = Event.objects.visible_to(user).filter(number=number).order_by().first()
    if event is None:
        raise NotFound(_("未找到该事件"))
    _load_related(event, user)
    return event


def _load_related(event: Event, user) -> None:
    """The rows around a case its page reads, by key, in as few short statements as they allow: the category
    with its parent and default department; the grid with its community (most often the event's region); the
    regions, the department and the reporter not already at hand — the viewer's own region, department and
    account are reused. Not one join with the case and its scope: PostgreSQL spent 8–16 ms planning that
    seven-table query (0.4 ms to run it); a join of the nine rows by key still costs 2 ms of planning and more
    of the ORM's Python than the short statements (docs/performance.md, "pages at 2,000,000 events")."""
    event.category = Category.objects.select_related("parent", "default_department").get(pk=event.category_id)
    at_hand: dict[int, Region] = {}
    if isinstance(user, User) and user.region_id is not None and User.region.is_cached(user):
        at_hand[user.region_id] = user.region
    if event.grid_id is not None:
        event.grid = Grid.objects.select_related("community").get(pk=event.grid_id)
        at_hand.setdefault(event.grid.community_id, event.grid.community)
    missing = {event.region_id, event.center_id} - set(at_hand)
    if missing:
        at_hand.update((r.pk, r) for r in Region.objects.filter(pk__in=missing))
    event.region, event.center = at_hand[event.region_id], at_hand[event.center_id]
    if event.lead_department_id is not None:
        dept = event.category.default_department
        if isinstance(user, User) and user.department_id == event.lead_department_id \
                and User.department.is_cached(user):
            dept = user.department
        if dept is None or dept.pk != event.lead_department_id:
            dept = Department.objects.get(pk=event.lead_department_id)
        event.lead_department = dept
    if event.reporter_id is not None:
        event.reporter = user if isinstance(user, User) and user.pk == event.reporter_id \
            else User.objects.get(pk=event.reporter_id)


CITIZEN_LOOKUPS_PER_10_MIN = 30


def get_for_citizen(number: str, phone: str, client: str | None = None) -> Event:
    """A citizen's own case by number and phone.  With ``client`` (an IP address), lookups are
    limited to CITIZEN_LOOKUPS_PER_10_MIN per client so numbers and phones cannot be guessed."""
    if client is not None:
        from gridgov.core import throttle

        throttle.check("citizen-lookup", client, CITIZEN_LOOKUPS_PER_10_MIN, 600)
    digest = crypto.phone_hash(phone)
    event = Event.objects.filter(number=(number or "").strip(), reporter_phone_hash=digest,
                                 reporter__isnull=True).first()
    if event is None or not digest:
        raise NotFound(_("未找到该事件，请核对事件编号和手机号"))
    return event


# --- acting -----------------------------------------------------------------------------------


def _parse_deadline(value, field_name: str, now: datetime) -> datetime | None:
    if value in (None, ""):
        return None
    dt = value if isinstance(value, datetime) else parse_datetime(str(value))
    if dt is None:
        raise ValidationFailed(_("时间格式无效"), {field_name: [_("时间格式无效，例如 2026-12-01T17:30")]})
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt)
    if dt <= now:
        raise ValidationFailed(_("期限必须晚于当前时间"), {field_name: [_("期限必须晚于当前时间")]})
    return dt


def departments_for(event: Event):
    """Active departments that serve the event's place: their region is the place's region or above it."""
    return Department.objects.filter(active=True, region__code__in=event.region.ancestors_codes()).order_by("code")


def _department(event: Event, value, field_name: str) -> Department:
    dept = None
    if value not in (None, ""):
        key = str(value)
        serving = departments_for(event)
        dept = serving.filter(code=key).first()
        if dept is None and as_pk(key):
            dept = serving.filter(pk=as_pk(key)).first()
    if dept is None:
        raise ValidationFailed(_("请选择负责该地区的有效部门"), {field_name: [_("请选择负责该地区的有效部门")]})
    return dept


NOTE_LIMIT = 5000  # an action's 说明 / 回访情况 (the API's schema says the same)
RATING_COMMENT_LIMIT = 500  # Event.rating_comment's length


def perform_action(user, event: Event, action: str, raw: dict | None = None, *, uploads=(), now=None) -> EventLog:
    """Validate the inputs an action needs, then hand it to the workflow."""
    raw = dict(raw or {})
    now = now or timezone.now()
    event = Event.objects.select_related("category", "region", "center").get(pk=event.pk)  # never a stale copy
    workflow.check(event, action, user)  # 409/403 before looking at inputs
    params: dict = {"note": raw.get("note") or ""}
    if len(params["note"]) > NOTE_LIMIT:  # pages and API alike
        raise ValidationFailed(_("说明过长"), {"note": [_("不能超过%(n)s字") % {"n": NOTE_LIMIT}]})
    if action == "rate" and len(params["note"]) > RATING_COMMENT_LIMIT:  # it becomes Event.rating_comment
        raise ValidationFailed(_("评价意见过长"), {"note": [_("不能超过%(n)s字") % {"n": RATING_COMMENT_LIMIT}]})
    if action == "dispatch":
        lead = raw.get("lead_department") or (event.category.default_department.code
                                              if event.category.default_department_id else None)
        params["lead_department"] = _department(event, lead, "lead_department")
        params["assisting_departments"] = [
            _department(event, v, "assisting_departments") for v in (raw.get("assisting_departments") or []) if v
        ]
        params["deadline"] = _parse_deadline(raw.get("deadline"), "deadline", now)
    elif action == "merge":
        target_number = (raw.get("target") or "").strip()
        target = Event.objects.visible_to(user).filter(number=target_number).first() if target_number else None
        if target is None:
            raise ValidationFailed(_("请选择要合并到的事件"), {"target": [_("未找到该事件")]})
        params["target"] = target
    elif action == "rate":
        if raw.get("rating") not in Rating.values:
            raise ValidationFailed(_("请选择评价"), {"rating": [_("请选择 满意 / 基本满意 / 不满意")]})
        params["rating"] = raw["rating"]
    elif action == "supervise":
        params["level"] = raw.get("level") or ""
    elif action == "follow_up":
        params.update(followup.parse_params(event, raw))
    elif action in ("hand_down", "relocate"):
        try:
            if action == "hand_down":
                params["center"] = routing.target_center(raw.get("center"))
            else:
                params.update(routing.relocate_params(raw))
        except ValidationFailed as exc:
            if not str(raw.get("note") or "").strip():  # the reason is required too: say so in the same answer
                exc.fields.setdefault("note", [_("此操作需要填写说明")])
            raise
    elif action == "request_extension":
        requested = _parse_deadline(raw.get("requested_deadline"), "requested_deadline", now)
        if requested is None:
            raise ValidationFailed(_("请填写申请延期至的时间"), {"requested_deadline": [_("必填")]})
        params["requested_deadline"] = requested
    for upload in uploads:
        validate_upload(upload)
    with transaction.atomic():
        entry = workflow.perform(event, action, user, params, now=now)
        for upload in uploads:
            add_attachment(entry.event, upload, user, log=entry)
    return entry


def get_attachment(user, pk: int) -> Attachment:
    """An attachment of an event ``user`` may see; NotFound otherwise."""
    att = Attachment.objects.filter(pk=pk, event__in=Event.objects.visible_to(user)).first()
    if att is None:
        raise NotFound(_("未找到该附件"))
    return att


def attachment_response(att: Attachment):
    return serve_upload(att)


def timeline(event: Event) -> list[EventLog]:
    return list(event.log.select_related("actor").prefetch_related("attachments"))


def page_timeline(event: Event) -> tuple[list[EventLog], dict[int, list[Attachment]], list[Attachment]]:
    """The event page's log and every attachment it shows, in two statements whatever their number: the entries
    (with their actors), then the attachments of the event or of its entries — split here into those of each
    entry (by entry id) and the event's own (no entry)."""
    from django.db.models import Q

    entries = list(event.log.select_related("actor"))
    by_entry: dict[int, list[Attachment]] = {e.pk: [] for e in entries}
    own = []
    for att in Attachment.objects.filter(Q(event_id=event.pk) | Q(log_id__in=list(by_entry))):
        if att.log_id is None:
            own.append(att)
        elif att.log_id in by_entry:
            by_entry[att.log_id].append(att)
    return entries, by_entry, own


def filtered_events(user, *, status: str = "", category: str = "", region: str = "", sla_state: str = "",
                    q: str = "", mine: bool = False, now=None, reported_from: str = "", reported_to: str = "",
                    source: str = "", grid: str = "", measure: str = "", rating: str = ""):
    """The worklist query: visible events with the common filters, soonest deadline first. The report
    period, source, grid and ``measure`` (what a statistic counts: ``gridgov.events.counted``) let a number
    of the command center open exactly the cases it counted."""
    from django.db.models import Q

    from gridgov.cases.scope import region_under_q
    from gridgov.events import counted, sla

    errors = {}
    qs = Event.objects.visible_to(user)
    if status:
        wanted = [s for s in status.split(",") if s]
        if any(s not in dict(Event._meta.get_field("status").choices) for s in wanted):
            errors["status"] = [_("状态无效")]
        qs = qs.filter(status__in=wanted)
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if region:
        if not region.isdigit():
            errors["region"] = [_("区划代码无效")]
        qs = qs.filter(region_under_q(region))
    if sla_state:
        if sla_state not in (sla.NORMAL, sla.NEAR_DUE, sla.OVERDUE):
            errors["sla_state"] = [_("时限状态无效")]
        else:
            qs = qs.filter(sla.sla_q(sla_state, now))
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(description__icontains=q) | Q(address__icontains=q))
    if source:
        if source not in Source.values:
            errors["source"] = [_("来源无效")]
        qs = qs.filter(source=source)
    if grid:
        if not grid.isdigit():
            errors["grid"] = [_("网格编码无效")]
        qs = qs.filter(grid__code=grid)
    qs = qs.filter(counted.period_filters(reported_from, reported_to, measure, now, errors))
    if rating:
        if rating not in counted.RATING_FILTERS:
            errors["rating"] = [_("评价筛选无效")]
        else:
            qs = qs.filter(counted.rating_q(rating))
    if mine and isinstance(user, User):
        qs = qs.filter(reporter=user)
    if errors:
        raise ValidationFailed(_("筛选条件有误"), errors)
    # no DISTINCT: the scope and every filter here read many-valued relations in subqueries, never joins
    return qs.order_by(*WORKLIST_ORDER)


def counts_by_status(user, **filters) -> dict[str, int]:
    """How many visible events each status holds under the worklist's other filters (``filters``: the
    keyword arguments of :func:`filtered_events`; a ``status`` among them is ignored, since the counts are
    what each status would show): one GROUP BY over the filtered query, so the status chips add up to the
    list's total under the same filters."""
    from django.db.models import Count

    filters.pop("status", None)
    qs = filtered_events(user, **filters).order_by()
    rows = qs.values("status").annotate(n=Count("pk")).order_by()
    return {r["status"]: r["n"] for r in rows}


def capped_counts_by_status(user, cap: int, **filters) -> dict[str, tuple[int, bool]]:
    """:func:`counts_by_status` for a page: each status counted up to ``cap`` rows — ``{status: (count,
    more)}``, ``more`` when the status holds more than ``cap``. One short query a status, each stopping at
    ``cap`` rows of an index, where the GROUP BY reads every visible event (a city's two million)."""
    filters.pop("status", None)
    qs = filtered_events(user, **filters).order_by()
    out = {}
    for code in Status.values:
        n = qs.filter(status=code).values("pk")[: cap + 1].count()
        out[code] = (min(n, cap), n > cap)
    return out

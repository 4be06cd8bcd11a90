"""Dispute operations: the one door for web views, the API, commands and the demo."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.cases import sla as core_sla
from gridgov.cases.engine import Citizen
from gridgov.cases.numbers import next_number
from gridgov.cases.uploads import store_upload, validate_upload
from gridgov.core import crypto
from gridgov.core.errors import Forbidden, NotFound, ValidationFailed
from gridgov.core.idempotency import check_replay, first_with_key, request_fingerprint
from gridgov.disputes import risk, workflow
from gridgov.disputes.legal import cited_article, cited_articles, legal_advice
from gridgov.disputes.mediators import browse_mediators, suggest_mediators
from gridgov.disputes.models import (
    OPEN_STATUSES,
    Agreement,
    Channel,
    Dispute,
    DisputeLog,
    DisputeType,
    Mediator,
    Party,
    Referral,
    RiskGrade,
    Satisfaction,
    Session,
    SessionAttachment,
    Source,
    Status,
)
from gridgov.disputes.places import region_for
from gridgov.disputes.sla import sla_q, sla_state, sweep
from gridgov.events import services as events
from gridgov.regions.spatial import OUTSIDE_CITY, outside_city

# --- intake -----------------------------------------------------------------------------------


@dataclass
class PartyInput:
    role: str
    name: str = ""
    phone: str = ""
    resident: int | None = None
    address: str = ""


@dataclass
class DisputeInput:
    dispute_type: str
    description: str
    parties: list = field(default_factory=list)  # PartyInput or dicts
    region: str = ""  # region code; optional when lng/lat fall in a grid
    region_chain: list = field(default_factory=list)  # a page's cascade as chosen, county first (places.py)
    lng: float | None = None
    lat: float | None = None
    address: str = ""
    amount: object = 0
    people_count: int = 2
    channel: str = Channel.PEOPLE
    reporter_name: str = ""
    reporter_phone: str = ""
    event: str = ""  # number of an event to convert


SOURCE_BY_ROLE = {
    User.Role.GRID_WORKER: Source.GRID_WORKER, User.Role.OPERATOR: Source.CENTER, User.Role.ADMIN: Source.CENTER,
    User.Role.MEDIATOR: Source.MEDIATOR,
}
DISPUTE_CATEGORY_ROOT = "01"  # 矛盾纠纷 in the event taxonomy
EVENT_CATEGORY_TYPES = {"0101": DisputeType.NEIGHBOR, "0102": DisputeType.LABOR, "0103": DisputeType.HOUSING,
                        "0104": DisputeType.PROPERTY, "0105": DisputeType.EXPROPRIATION, "0106": DisputeType.LAND,
                        "0107": DisputeType.MARRIAGE, "0108": DisputeType.LABOR, "0109": DisputeType.MEDICAL,
                        "0110": DisputeType.CONSUMER}


def _is_phone(p: str) -> bool:
    return len(p) == 11 and p.isdigit() and p.startswith("1")


def _clean_parties(actor, raw: list, errors: dict) -> list[dict]:
    from gridgov.registry.models import Resident

    out = []
    for i, p in enumerate(raw or []):
        p = p if isinstance(p, dict) else p.__dict__
        role = (p.get("role") or "").strip()
        name = (p.get("name") or "").strip()
        phone = crypto.normalize_phone(p.get("phone"))
        rid = p.get("resident")
        if not (name or phone or rid):
            continue
        key = f"parties.{i}"
        resident = None
        if rid not in (None, ""):
            qs = Resident.objects.visible_to(actor) if isinstance(actor, User) else Resident.objects.none()
            try:
                resident = qs.filter(pk=int(rid)).first()
            except (TypeError, ValueError):
                resident = None
            if resident is None:
                errors.setdefault(f"{key}.resident", []).append(_("未找到该实有人口，或不在您的管辖范围内"))
                continue
            name = name or resident.name
            phone = phone or resident.phone
        if role not in Party.Role.values:
            errors.setdefault(f"{key}.role", []).append(_("请选择申请人或被申请人"))
        if not name:
            errors.setdefault(f"{key}.name", []).append(_("请填写当事人姓名"))
        elif len(name) > 100:
            errors.setdefault(f"{key}.name", []).append(_("姓名过长"))
        if len((p.get("address") or "").strip()) > 200:  # a field error, never cut
            errors.setdefault(f"{key}.address", []).append(_("住址不能超过200个字"))
        if phone and not _is_phone(phone) and not (resident and phone == resident.phone):
            errors.setdefault(f"{key}.phone", []).append(_("请填写11位手机号码"))
        out.append({"role": role, "name": name, "phone": phone[:20], "resident": resident,
                    "address": (p.get("address") or "").strip()[:200]})
    roles = {p["role"] for p in out}
    if Party.Role.APPLICANT not in roles:
        errors.setdefault("parties", []).append(_("请至少填写一名申请人"))
    if Party.Role.RESPONDENT not in roles:
        errors.setdefault("parties", []).append(_("请至少填写一名被申请人"))
    return out


def _validate(actor, data: DisputeInput) -> dict:
    errors: dict[str, list[str]] = {}
    if data.dispute_type not in DisputeType.values:
        errors["dispute_type"] = [_("请选择纠纷类型")]
    desc = (data.description or "").strip()
    if len(desc) < 5:
        errors["description"] = [_("请描述纠纷情况（至少5个字）")]
    elif len(desc) > 4000:
        errors["description"] = [_("描述不能超过4000字")]
    if len((data.address or "").strip()) > 200:  # a field error, never cut
        errors["address"] = [_("地址不能超过200个字")]
    if len((data.reporter_name or "").strip()) > 50:
        errors["reporter_name"] = [_("姓名不能超过50个字")]
    if data.channel not in Channel.values:
        errors["channel"] = [_("调解渠道无效")]
    try:
        amount = Decimal(str(data.amount if data.amount not in (None, "") else 0))
        if amount < 0 or amount >= Decimal("1e12"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["amount"] = [_("涉及金额应为不小于0的数字")]
        amount = Decimal(0)
    try:
        people = int(data.people_count)
        if people < 1 or people > 100000:
            raise ValueError
    except (TypeError, ValueError):
        errors["people_count"] = [_("涉及人数应为1以上的整数")]
        people = 0
    if (data.lng is None) != (data.lat is None):
        errors["location"] = [_("经纬度需同时提供")]
    elif data.lng is not None and not (-180 <= data.lng <= 180 and -90 <= data.lat <= 90):
        errors["location"] = [_("经纬度超出范围")]
    elif data.lng is not None and outside_city(data.lng, data.lat):  # a pin in Beijing is not this city's
        errors["location"] = [_(OUTSIDE_CITY)]
    if isinstance(actor, Citizen):
        if not (data.reporter_name or "").strip():
            errors["reporter_name"] = [_("请填写您的姓名")]
        if not _is_phone(crypto.normalize_phone(data.reporter_phone)):
            errors["reporter_phone"] = [_("请填写11位手机号码")]
    elif actor.role not in SOURCE_BY_ROLE:
        raise ValidationFailed(_("您不能登记纠纷"), {"__all__": [_("您的角色不能登记纠纷")]})
    parties = _clean_parties(actor, data.parties, errors)
    grid = region = None
    if "location" not in errors:
        grid, region = region_for(actor, data, errors)
    if errors:
        raise ValidationFailed(_("登记内容有误，请检查"), errors)
    return {"description": desc, "amount": amount, "people_count": people, "parties": parties, "grid": grid,
            "region": region}


def create_dispute(actor, data: DisputeInput, *, event=None, now: datetime | None = None) -> Dispute:
    """Register a dispute (graded by the risk rules; a 重大 grade notifies the center at once)."""
    return register_dispute(actor, data, event=event, now=now)[0]


def _idempotency_scope(actor, data: DisputeInput) -> str:
    # a citizen's scope is their phone's keyed hash, never the number
    return f"user:{actor.pk}" if isinstance(actor, User) else crypto.citizen_scope(data.reporter_phone)


def register_dispute(actor, data: DisputeInput, *, idempotency_key: str = "", event=None,
                     now: datetime | None = None) -> tuple[Dispute, bool]:
    """Register a dispute; returns (dispute, created). A retried request with the same Idempotency-Key (from
    the same user, or the same phone for a citizen) returns the first dispute and creates nothing."""
    now = now or timezone.now()
    key = (idempotency_key or "").strip()[:128]
    scope = _idempotency_scope(actor, data)
    fingerprint = request_fingerprint(data) if key else ""
    if key:
        existing = _replayed(scope, key, fingerprint)
        if existing is not None:
            return existing, False
    try:
        return _register(actor, data, event, now, scope if key else "", key, fingerprint), True
    except IntegrityError:
        existing = _replayed(scope, key, fingerprint) if key else None
        if existing is None:
            raise
        return existing, False


def _replayed(scope: str, key: str, fingerprint: str) -> Dispute | None:
    """The dispute first registered with this key, if any; a different request body under the same key → 422."""
    existing = first_with_key(Dispute.objects, scope, key)
    if existing is not None:
        check_replay(existing.idempotency_fingerprint, fingerprint)
    return existing


def _register(actor, data: DisputeInput, event, now, scope: str, key: str, fingerprint: str = "") -> Dispute:
    clean = _validate(actor, data)
    region = clean["region"]
    is_user = isinstance(actor, User)
    with transaction.atomic():
        d = Dispute(
            number=next_number(timezone.localdate(now), prefix="JF"),
            source=Source.EVENT if event else (Source.CITIZEN if not is_user else SOURCE_BY_ROLE[actor.role]),
            dispute_type=data.dispute_type, channel=data.channel, description=clean["description"],
            amount=clean["amount"], people_count=clean["people_count"], lng=data.lng, lat=data.lat,
            address=(data.address or "").strip()[:200], grid=clean["grid"], region=region,
            center=events.center_for(region), event=event,
            reporter=actor if is_user else None,
            reporter_name=((data.reporter_name or "").strip() or (actor.display_name if is_user else ""))[:50],
            reporter_phone=(crypto.normalize_phone(data.reporter_phone) or (actor.phone if is_user else ""))[:20],
            status=Status.REGISTERED, created_at=now, idempotency_scope=scope, idempotency_key=key,
            idempotency_fingerprint=fingerprint,
        )
        d.save()
        Party.objects.bulk_create([Party(dispute=d, **p) for p in clean["parties"]])
        risk.apply(d, now)
        workflow.open_dispute(d, actor, now)  # saves the grade, writes the "register" entry
    return d


CITIZEN_APPLICATIONS_PER_HOUR = 10


def apply_as_citizen(data: DisputeInput, client: str, idempotency_key: str = "") -> tuple[Dispute, bool]:
    """A citizen's application (no account): at most CITIZEN_APPLICATIONS_PER_HOUR per client and per phone, so
    a misbehaving client cannot flood the center (nor set off the repeat rule with copies).  A replay of an
    earlier Idempotency-Key is answered first and not counted."""
    from gridgov.core import throttle

    key = (idempotency_key or "").strip()[:128]
    if key:
        existing = _replayed(crypto.citizen_scope(data.reporter_phone), key, request_fingerprint(data))
        if existing is not None:
            return existing, False
    message = _("提交过于频繁，请稍后再试；如已提交，请勿重复申请")
    throttle.check("citizen-dispute", client, CITIZEN_APPLICATIONS_PER_HOUR, 3600, message)
    # per phone too (its keyed hash is the counter's key): many addresses cannot file for one number
    digest = crypto.phone_hash(data.reporter_phone)
    if digest:
        throttle.check("citizen-dispute-phone", digest, CITIZEN_APPLICATIONS_PER_HOUR, 3600, message)
    return register_dispute(Citizen(phone=(data.reporter_phone or "").strip()), data, idempotency_key=idempotency_key)


def may_convert(user, event) -> bool:
    """Offer 转为纠纷 on an event page: an operator (or admin), an event of the 矛盾纠纷 group, not yet converted."""
    cat = event.category
    return (isinstance(user, User) and user.role in (User.Role.OPERATOR, User.Role.ADMIN)
            and (cat.code == DISPUTE_CATEGORY_ROOT or (cat.parent_id is not None and cat.parent.code == DISPUTE_CATEGORY_ROOT))
            and not Dispute.objects.filter(event=event).exists())


# what a party who applied without an account may read of their case: the steps, not the notes
CITIZEN_VISIBLE_ACTIONS = ("register", "accept", "reject", "assign", "start", "session", "succeed", "fail",
                           "follow_up", "close", "reopen", "change_channel")


def get_for_citizen(number: str, phone: str, client: str | None = None) -> Dispute:
    """A citizen's own application by number and the phone they applied with (rate-limited per client,
    like event tracking, so numbers and phones cannot be guessed)."""
    from gridgov.core import throttle

    if client is not None:
        throttle.check("citizen-lookup", client, events.CITIZEN_LOOKUPS_PER_10_MIN, 600)
    digest = crypto.phone_hash(phone)
    d = Dispute.objects.filter(number=(number or "").strip(), source=Source.CITIZEN,
                               reporter_phone_hash=digest).first()
    if d is None or not digest:
        raise NotFound(_("未找到该纠纷，请核对纠纷编号和申请时填写的手机号"))
    return d


def citizen_progress(d: Dispute) -> dict:
    return {
        "number": d.number, "status": d.status, "status_label": d.get_status_display(),
        "dispute_type_label": d.get_dispute_type_display(), "channel_label": d.get_channel_display(),
        "mediator": d.mediator.name if d.mediator_id else "", "created_at": d.created_at,
        "steps": [{"label": str(workflow.LABELS.get(x.action, x.action)), "at": x.created_at}
                  for x in d.log.filter(action__in=CITIZEN_VISIBLE_ACTIONS).order_by("created_at", "id")],
    }


def convert_event(user, event_number: str, parties: list, dispute_type: str = "", amount=0,
                  channel: str = Channel.PEOPLE, now=None) -> Dispute:
    """Open a dispute from an event of the 矛盾纠纷 group; the two stay linked (Event.dispute / Dispute.event)."""

    if not isinstance(user, User) or user.role not in (User.Role.OPERATOR, User.Role.ADMIN):
        from gridgov.core.errors import Forbidden

        raise Forbidden(_("只有中心受理员可以将事件转为纠纷"), code="not_permitted")
    event = events.get_visible(user, event_number)
    cat = event.category
    if not (cat.code == DISPUTE_CATEGORY_ROOT or (cat.parent_id and cat.parent.code == DISPUTE_CATEGORY_ROOT)):
        raise ValidationFailed(_("只有矛盾纠纷类事件可以转为纠纷"), {"event": [_("该事件不属于矛盾纠纷类")]})
    if Dispute.objects.filter(event=event).exists():
        raise ValidationFailed(_("该事件已转为纠纷"), {"event": [_("该事件已转为纠纷")]})
    data = DisputeInput(
        dispute_type=dispute_type or EVENT_CATEGORY_TYPES.get(cat.code, DisputeType.OTHER),
        description=event.description, parties=parties, region=event.region.code, lng=event.lng, lat=event.lat,
        address=event.address, amount=amount, people_count=max(event.people_involved, 2), channel=channel,
        reporter_name=event.reporter_name, reporter_phone=event.reporter_phone,
    )
    try:
        return create_dispute(user, data, event=event, now=now)
    except IntegrityError:
        raise ValidationFailed(_("该事件已转为纠纷"), {"event": [_("该事件已转为纠纷")]}) from None


# --- reading ----------------------------------------------------------------------------------


def get_visible(user, number: str) -> Dispute:
    d = (Dispute.objects.visible_to(user).filter(number=number)
         .select_related("region", "center", "grid", "mediator", "mediator__user", "reporter", "event").first())
    if d is None:
        raise NotFound(_("未找到该纠纷，或不在您的管辖范围内"))
    return d


def filtered(user, *, status="", dispute_type="", risk_grade="", sla_state="", channel="", q="", now=None):
    errors = {}
    qs = Dispute.objects.visible_to(user)
    if status:
        wanted = [s for s in status.split(",") if s]
        if any(s not in Status.values for s in wanted):
            errors["status"] = [_("状态无效")]
        qs = qs.filter(status__in=wanted)
    if dispute_type:
        if dispute_type not in DisputeType.values:
            errors["dispute_type"] = [_("纠纷类型无效")]
        qs = qs.filter(dispute_type=dispute_type)
    if channel:
        if channel not in Channel.values:
            errors["channel"] = [_("调解渠道无效")]
        qs = qs.filter(channel=channel)
    if risk_grade:
        if risk_grade not in RiskGrade.values:
            errors["risk_grade"] = [_("风险等级无效")]
        qs = qs.filter(Q(risk_override=risk_grade) | Q(risk_override="", risk_computed=risk_grade))
    if sla_state:
        if sla_state not in core_sla.STATES:
            errors["sla_state"] = [_("时限状态无效")]
        else:
            qs = qs.filter(sla_q(sla_state, now))
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(description__icontains=q) | Q(parties__name__icontains=q))
    if errors:
        raise ValidationFailed(_("筛选条件有误"), errors)
    return qs.distinct().order_by(F("deadline").asc(nulls_last=True), "-created_at")


def timeline(d: Dispute) -> list[DisputeLog]:
    return list(d.log.select_related("actor"))


# --- acting -----------------------------------------------------------------------------------


def _date(value, name: str, required: bool = False):
    if value in (None, ""):
        if required:
            raise ValidationFailed(_("请填写日期"), {name: [_("必填")]})
        return None
    try:
        d = value if isinstance(value, date) else parse_date(str(value)[:10])
    except ValueError:  # well formed but impossible, e.g. 2026-02-30
        d = None
    if d is None:
        raise ValidationFailed(_("日期格式无效"), {name: [_("日期格式无效，例如 2026-12-01")]})
    return d


def _datetime(value, name: str):
    if value in (None, ""):
        raise ValidationFailed(_("请填写时间"), {name: [_("必填")]})
    try:
        dt = value if isinstance(value, datetime) else parse_datetime(str(value))
    except ValueError:  # well formed but impossible, e.g. 2026-02-30T25:00
        dt = None
    if dt is None:
        raise ValidationFailed(_("时间格式无效"), {name: [_("时间格式无效，例如 2026-12-01T09:30")]})
    return timezone.make_aware(dt) if timezone.is_naive(dt) else dt


def _session_params(raw: dict) -> dict:
    errors = {}
    mode = raw.get("mode") or Session.Mode.ONSITE
    if mode not in Session.Mode.values:
        errors["mode"] = [_("请选择调解方式")]
    place = (raw.get("place") or "").strip()
    link = (raw.get("video_link") or "").strip()
    if mode == Session.Mode.ONSITE and not place:
        errors["place"] = [_("现场调解请填写地点")]
    if mode == Session.Mode.REMOTE and not link:
        errors["video_link"] = [_("远程调解请填写视频会议链接")]
    participants = (raw.get("participants") or "").strip()
    if not participants:
        errors["participants"] = [_("请填写参加人员")]
    for name, value, limit in (("place", place, 200), ("video_link", link, 300), ("participants", participants, 500)):
        if len(value) > limit:  # the column's length: a field error, never cut
            errors[name] = [_("不能超过 %(n)s 个字符") % {"n": limit}]
    minutes = (raw.get("minutes") or "").strip()
    if len(minutes) < 5:
        errors["minutes"] = [_("请填写调解笔录（至少5个字）")]
    try:
        held_at = _datetime(raw.get("held_at"), "held_at")
    except ValidationFailed as exc:
        errors.update(exc.fields)
        held_at = None
    if held_at and held_at > timezone.now() + timedelta(days=1):
        errors["held_at"] = [_("调解时间不能晚于当前时间")]
    if errors:
        raise ValidationFailed(_("调解记录有误，请检查"), errors)
    return {"held_at": held_at, "mode": mode, "place": place, "video_link": link,
            "participants": participants, "minutes": minutes}


def perform_action(user, d: Dispute, action: str, raw: dict | None = None, *, uploads=(), now=None) -> DisputeLog:
    """Validate what an action needs, then hand it to the workflow."""
    raw = dict(raw or {})
    now = now or timezone.now()
    d = Dispute.objects.select_related("center", "region", "mediator").get(pk=d.pk)
    workflow.check(d, action, user)  # 409/403 before looking at inputs
    params: dict = {"note": raw.get("note") or ""}
    if action == "assign":
        m = None
        value = raw.get("mediator")
        if value not in (None, ""):
            try:
                m = Mediator.objects.filter(pk=int(value), active=True).first()
            except (TypeError, ValueError):
                m = None
        if m is None:
            raise ValidationFailed(_("请选择在岗的调解员"), {"mediator": [_("请选择在岗的调解员")]})
        params["mediator"] = m
        params["chosen_by_party"] = str(raw.get("chosen_by_party") or "").lower() in ("1", "true", "on", "yes")
    elif action == "succeed":
        errors = {}
        terms = (raw.get("terms") or "").strip()
        if len(terms) < 5:
            errors["terms"] = [_("请填写协议内容（至少5个字）")]
        try:
            deadline = _date(raw.get("performance_deadline"), "performance_deadline")
            signed_on = _date(raw.get("signed_on"), "signed_on") or timezone.localdate(now)
        except ValidationFailed as exc:
            errors.update(exc.fields)
            deadline = signed_on = None
        if deadline and signed_on and deadline < signed_on:
            errors["performance_deadline"] = [_("履行期限不能早于协议签订日期")]
        if errors:
            raise ValidationFailed(_("调解协议有误，请检查"), errors)
        params["agreement"] = {"facts": (raw.get("facts") or "").strip() or d.description, "terms": terms,
                               "performance_deadline": deadline, "signed_on": signed_on}
    elif action == "fail":
        if (raw.get("referral") or "") not in Referral.values:
            raise ValidationFailed(_("引导分流方式无效"), {"referral": [_("请选择诉讼、仲裁、行政裁决、信访或无")]})
        params["referral"] = raw.get("referral") or ""
    elif action == "follow_up":
        if (raw.get("satisfaction") or "") not in ("", *Satisfaction.values):
            raise ValidationFailed(_("满意度无效"), {"satisfaction": [_("请选择满意度")]})
        params["satisfaction"] = raw.get("satisfaction") or ""
        if raw.get("performance"):
            if raw["performance"] not in Agreement.Performance.values:
                raise ValidationFailed(_("履行情况无效"), {"performance": [_("请选择履行情况")]})
            params["performance"] = raw["performance"]
            params["performed_on"] = _date(raw.get("performed_on"), "performed_on")
    elif action == "performance":
        if raw.get("performance") not in Agreement.Performance.values:
            raise ValidationFailed(_("履行情况无效"), {"performance": [_("请选择履行情况")]})
        params["performance"] = raw["performance"]
        params["performed_on"] = _date(raw.get("performed_on"), "performed_on")
    elif action == "change_channel":
        if raw.get("channel") not in Channel.values:
            raise ValidationFailed(_("调解渠道无效"), {"channel": [_("请选择人民调解、行政调解或司法调解")]})
        params["channel"] = raw["channel"]
    elif action == "regrade":
        if raw.get("grade") not in RiskGrade.values:
            raise ValidationFailed(_("风险等级无效"), {"grade": [_("请选择一般、较大或重大")]})
        params["grade"] = raw["grade"]
    elif action == "session":
        params["session"] = _session_params(raw)
    elif action == "cite_law":
        params.update(cited_article(d, raw.get("article")))
    for upload in uploads:
        validate_upload(upload)
    with transaction.atomic():
        entry = workflow.perform(d, action, user, params, now=now)
        if action == "session":
            for upload in uploads:
                add_session_attachment(entry._session, upload)
    return entry


# --- the agreement document ------------------------------------------------------------------------


def agreement_document(user, d: Dispute) -> bytes:
    """The 人民调解协议书 as DOCX. The center's operator and the case's mediator print the copy the parties
    sign, with their phone numbers, and each such copy is written to the personal-data access log; everyone
    else who may see the case gets the phones masked."""
    from gridgov.disputes.agreement import build_docx
    from gridgov.registry.models import AccessLog

    if not Agreement.objects.filter(dispute=d).exists():
        raise NotFound(_("该纠纷尚无调解协议"))
    full = workflow.mediator_or_operator(user, d)
    body = build_docx(d, full_phones=full)
    if full and d.parties.exclude(phone_hash="").exists():
        AccessLog.objects.create(actor=user, action=AccessLog.Action.EXPORT, model="dispute", object_id=d.pk,
                                 object_label=d.number, fields=["party_phone"], reason=_("打印人民调解协议书"),
                                 count=d.parties.exclude(phone_hash="").count())
    return body


# --- session files ----------------------------------------------------------------------------


def attach_to_session(user, d: Dispute, session_id: int, upload) -> SessionAttachment:
    """Add a file to a session record: by whoever may record sessions, while the case is in mediation.
    Who comes before when: someone who could never record a session of this case (a leader, a grid
    worker who registered it) is 403 in any state; the right person in the wrong state is 409 (then the
    same checks as recording a session)."""
    if not workflow.mediator_or_operator(user, d):
        raise Forbidden(_("您无权为该纠纷的调解记录上传附件"), code="not_permitted")
    workflow.check(d, "session", user)
    session = d.sessions.filter(pk=session_id).first()
    if session is None:
        raise NotFound(_("未找到该调解记录"))
    return add_session_attachment(session, upload)


def add_session_attachment(session: Session, upload) -> SessionAttachment:
    return store_upload(SessionAttachment(session=session), upload)


def get_session_attachment(user, pk: int) -> SessionAttachment:
    att = SessionAttachment.objects.filter(pk=pk, session__dispute__in=Dispute.objects.visible_to(user)).first()
    if att is None:
        raise NotFound(_("未找到该附件"))
    return att


__all__ = ["create_dispute", "convert_event", "perform_action", "OPEN_STATUSES",
           # moved by concern (sla, mediators, legal), still importable here for the pages and bench/sweep.py
           "sla_q", "sla_state", "sweep", "browse_mediators", "suggest_mediators", "legal_advice", "cited_articles"]

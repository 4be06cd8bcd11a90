"""Open311 GeoReport v2 operations: the service list and definitions, filing a request, reading requests.

Filing goes through the events app's one door (:func:`gridgov.events.services.create_event` with a
:class:`~gridgov.cases.engine.Citizen` actor): its validation stands, and its field errors are translated into
the spec's error list here. Nothing in this module writes an event row by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gridgov.cases.engine import Citizen
from gridgov.core import crypto, throttle
from gridgov.core.errors import ValidationFailed
from gridgov.core.idempotency import first_with_key
from gridgov.events import services as events
from gridgov.events.models import Category, Event
from gridgov.open311 import conf
from gridgov.open311.models import LIST_TYPES, ClientApplication, Datatype, ServiceAttribute, ServiceRequest


class Open311Error(Exception):
    """An answer in the spec's error format: ``[{"code": status, "description": …}, …]``."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__("; ".join(str(d) for d in descriptions))
        self.status = status
        self.descriptions = [str(d) for d in descriptions]

    def as_list(self) -> list[dict]:
        return [{"code": self.status, "description": d} for d in self.descriptions]


def bad_request(fields: dict[str, list]) -> Open311Error:
    """400 with one error per field message: ``"phone: 请填写11位手机号码"``."""
    return Open311Error(400, *(f"{name}: {msg}" for name, msgs in fields.items() for msg in msgs))


def check_jurisdiction(value: str | None, host: str) -> None:
    """A jurisdiction_id, when given, must be this server's (settings, else the request's host name)."""
    if not value:
        return
    expected = conf.get("JURISDICTION") or host.split(":")[0]
    if value.strip().lower() != expected.lower():
        raise Open311Error(404, _("jurisdiction_id: 未找到该管辖区（本服务为 %(j)s）") % {"j": expected})


def check_reads(client: str) -> None:
    """Public reads: a limit per client address an hour."""
    throttle.check("open311-read", client, conf.get("READS_PER_HOUR"), 3600)


# --- services ----------------------------------------------------------------------------------


def _leaves():
    return Category.objects.filter(active=True, parent__isnull=False, parent__active=True).select_related("parent")


def _attributes(category: Category) -> list[ServiceAttribute]:
    return list(ServiceAttribute.objects.filter(category=category, active=True).order_by("order", "pk"))


def service_list() -> list[dict]:
    with_fields = set(ServiceAttribute.objects.filter(active=True).values_list("category_id", flat=True))
    return [
        {"service_code": c.code, "service_name": c.name, "description": _service_description(c),
         "metadata": c.pk in with_fields, "type": "realtime", "keywords": f"{c.parent.name},{c.name}",
         "group": c.parent.name}
        for c in _leaves().order_by("parent__order", "parent__code", "order", "code")
    ]


def _service_description(c: Category) -> str:
    return _("%(group)s · %(name)s：%(notice)s") % {"group": c.parent.name, "name": c.name, "notice": service_notice(c)}


def service_notice(c: Category) -> str:
    return _("受理后%(n)s%(unit)s内处置") % {"n": c.time_limit, "unit": c.get_time_unit_display()}


def get_service(code: str) -> Category:
    cat = _leaves().filter(code=code).first()
    if cat is None:
        raise Open311Error(404, _("service_code: 未找到该服务"))
    return cat


def service_definition(code: str) -> dict:
    cat = get_service(code)
    return {"service_code": cat.code, "attributes": [
        {"variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
         "datatype_description": a.datatype_description or a.get_datatype_display(), "order": a.order,
         "description": a.description,
         "values": [{"key": str(v.get("key")), "name": str(v.get("name"))} for v in a.values]
         if a.datatype in LIST_TYPES else []}
        for a in _attributes(cat)
    ]}


# --- filing ------------------------------------------------------------------------------------

# events' field names → the spec's
FIELD_NAMES = {"category": "service_code", "description": "description", "location": "lat/long/address_string",
               "address": "address_string", "reporter_phone": "phone", "reporter_name": "first_name/last_name",
               "attachments": "media", "Idempotency-Key": "Idempotency-Key"}


@dataclass
class Filed:
    request: ServiceRequest
    created: bool


def authenticate(raw_key: str | None) -> ClientApplication:
    client = ClientApplication.authenticate(raw_key or "")
    if client is None:
        raise Open311Error(403, _("api_key: 密钥无效或已停用"))
    return client


def file_request(raw_key: str | None, form, files, *, idempotency_key: str = "", now: datetime | None = None
                 ) -> Filed:
    """POST requests: file a service request as a citizen. ``form`` is the request's POST (a QueryDict),
    ``files`` its FILES. All or nothing: any error leaves no row behind."""
    client = authenticate(raw_key)
    cat = get_service((form.get("service_code") or "").strip())
    errors: dict[str, list[str]] = {}
    answers = parse_attributes(cat, form, errors)
    lng, lat = _coordinate(form, "long", errors), _coordinate(form, "lat", errors)
    media_url = _media_url(form.get("media_url") or "", errors)
    uploads = files.getlist("media") if files is not None else []
    if len(uploads) > 1:
        errors["media"] = [_("只能上传一个媒体文件")]
    if errors:
        raise bad_request(errors)
    phone = crypto.normalize_phone(form.get("phone") or "")
    summary = answers_summary(cat, answers, media_url)
    description = (form.get("description") or "").strip()
    data = events.EventInput(
        category=cat.code, description=f"{description}\n\n{summary}" if summary else description,
        lng=lng, lat=lat, address=(form.get("address_string") or "").strip(),
        reporter_name=full_name(form.get("first_name") or "", form.get("last_name") or ""),
        reporter_phone=phone, attachments=uploads,
    )
    key = (idempotency_key or "").strip()[:128]
    replay = first_with_key(Event.objects, crypto.citizen_scope(phone), key) if key and phone else None
    if replay is None:  # a retry is not counted again
        throttle.check("open311-client", str(client.pk), client.rate_limit_per_hour, 3600,
                       _("该客户端提交过于频繁，请稍后再试"))
        if phone:  # the same hourly limit per phone as every citizen channel
            throttle.check("citizen-report-phone", crypto.phone_hash(phone),
                           settings.GRIDGOV["CITIZEN_REPORTS_PER_PHONE"], 3600,
                           _("该手机号提交过于频繁，请稍后再试；如已提交，请勿重复反映"))
    try:
        with transaction.atomic():
            event, created = events.create_event(Citizen(phone=phone), data, idempotency_key=key, now=now)
            if created:
                sr = ServiceRequest.objects.create(event=event, client=client, token=ServiceRequest.new_token(),
                                                   attributes=answers, media_url=media_url, created_at=event.created_at)
            else:
                sr = ServiceRequest.objects.filter(event=event, client=client).first()
                if sr is None:
                    raise Open311Error(400, _("Idempotency-Key: 该幂等键已用于其他提交，请使用新的幂等键"))
    except ValidationFailed as exc:
        raise bad_request({FIELD_NAMES.get(k, k): v for k, v in exc.fields.items()}
                          or {"request": [str(exc.message)]}) from exc
    sr.event = event
    return Filed(sr, created)


def full_name(first: str, last: str) -> str:
    """first_name / last_name → one name: a Chinese name family name first and without a space."""
    first, last = first.strip(), last.strip()
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return " ".join(p for p in (first, last) if p)


def _coordinate(form, name: str, errors: dict) -> float | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors[name] = [_("应为数字（WGS84 十进制度）")]
        return None
    if value != value or value in (float("inf"), float("-inf")):
        errors[name] = [_("应为数字（WGS84 十进制度）")]
        return None
    return value


def _media_url(raw: str, errors: dict) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    raw = raw.strip()
    if not raw:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(raw)
    except ValidationError:
        errors["media_url"] = [_("应为 http 或 https 链接")]
        return ""
    if len(raw) > 500:
        errors["media_url"] = [_("链接不能超过500个字符")]
        return ""
    return raw


def _given_attributes(form) -> dict[str, list[str]]:
    """``attribute[code]=v`` and ``attribute[code][]=v`` (repeated for a multivaluelist) → {code: [values]}."""
    given: dict[str, list[str]] = {}
    for name in form:
        if name.startswith("attribute[") and name.endswith("]"):
            inner = name[len("attribute["):]
            code = inner[:-3] if inner.endswith("][]") else inner[:-1]
            given.setdefault(code, []).extend(form.getlist(name))
    return given


def parse_attributes(cat: Category, form, errors: dict) -> dict:
    """The answers to the service's attributes, checked: required, datatype, value in the list."""
    fields = {a.code: a for a in _attributes(cat)}
    given = _given_attributes(form)
    answers: dict = {}
    for code in given:
        if code not in fields:
            errors[f"attribute[{code}]"] = [_("该服务没有此附加字段")]
    for code, attr in fields.items():
        name = f"attribute[{code}]"
        values = [v.strip() for v in given.get(code, []) if v.strip()]
        if not values:
            if attr.required:
                errors[name] = [_("必填：%(q)s") % {"q": attr.description}]
            continue
        if attr.datatype != Datatype.MULTIVALUELIST and len(values) > 1:
            errors[name] = [_("只能填写一个值")]
            continue
        value = values[0]
        if attr.datatype == Datatype.NUMBER:
            try:
                number = float(value)
            except ValueError:
                number = float("nan")
            if number != number or number in (float("inf"), float("-inf")):
                errors[name] = [_("应为数字")]
                continue
            answers[code] = int(number) if number.is_integer() else number
        elif attr.datatype == Datatype.DATETIME:
            try:
                moment = parse_datetime(value)
            except ValueError:  # well formed, but no such day or time
                moment = None
            if moment is None:
                errors[name] = [_("时间格式无效，例如 2026-12-01T17:30:00+08:00")]
                continue
            answers[code] = value
        elif attr.datatype in LIST_TYPES:
            allowed = attr.value_keys()
            bad = [v for v in values if v not in allowed]
            if bad:
                errors[name] = [_("可选值为：%(keys)s") % {"keys": "、".join(allowed)}]
                continue
            answers[code] = values if attr.datatype == Datatype.MULTIVALUELIST else value
        else:
            limit = 200 if attr.datatype == Datatype.STRING else 1000
            if len(value) > limit:
                errors[name] = [_("不能超过 %(n)s 个字符") % {"n": limit}]
                continue
            answers[code] = value
    return answers


def answers_summary(cat: Category, answers: dict, media_url: str) -> str:
    """A readable summary of the answers (and a submitted media link), appended to the event's description so
    the center sees them on the case."""
    parts = []
    for attr in _attributes(cat):
        if attr.code not in answers:
            continue
        names = {str(v.get("key")): str(v.get("name")) for v in attr.values or []}
        value = answers[attr.code]
        shown = "、".join(names.get(v, v) for v in value) if isinstance(value, list) else names.get(str(value), str(value))
        parts.append(f"{attr.description}：{shown}")
    if media_url:
        parts.append(_("图片链接：%(url)s") % {"url": media_url})
    return _("【Open311 补充信息】") + "；".join(parts) if parts else ""

"""Petition operations: the one door that web views, the API, commands and the demo use."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from gridgov.accounts.models import Department, User
from gridgov.cases.numbers import next_number
from gridgov.cases.uploads import store_upload, validate_upload
from gridgov.core import crypto
from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.disputes.models import Dispute
from gridgov.events.models import Event
from gridgov.events.services import center_for
from gridgov.petitions import limits, sla, workflow
from gridgov.petitions.models import (
    Channel,
    Petition,
    PetitionAttachment,
    Petitioner,
    PetitionLog,
    Status,
)
from gridgov.regions.models import Region

COLLECTIVE_MIN = 5  # 联名/集体访: five or more petitioners (or people at a visit)
MAX_PETITIONERS = 200

# --- repeat detection -------------------------------------------------------------------------

STOPWORDS = {
    "问题", "反映", "要求", "关于", "请求", "情况", "事项", "再次", "多次", "一直", "希望", "我们", "他们", "信访",
    "的", "了", "和", "与", "及", "对", "在", "被", "给", "把", "是", "有", "不", "又", "还", "再", "请",
}
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)


def subject_tokens(text: str) -> set[str]:
    """jieba words of a subject without punctuation, stop words and single characters."""
    import jieba

    jieba.setLogLevel(60)
    out = set()
    for w in jieba.lcut((text or "").strip()):
        w = w.strip().lower()
        if not w or _PUNCT.match(w) or w in STOPWORDS:
            continue
        if len(w) < 2 and not w.isalnum():
            continue
        if len(w) < 2 and not w.isascii():
            continue
        out.add(w)
    return out


def subject_similarity(a: str, b: str) -> float:
    """Overlap coefficient |A∩B| / min(|A|,|B|) of the subjects' token sets (0 when either is empty).

    With the default threshold 0.5, "小区物业乱收费" and "再次反映小区物业乱收费问题" match
    (all of the shorter's words recur); "小区物业乱收费" and "拖欠农民工工资" do not."""
    ta, tb = subject_tokens(a), subject_tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / min(len(ta), len(tb))


def find_repeats(subject: str, resident_ids: list[int], phones: list[str], *, exclude_pk=None,
                 id_hashes: list[str] = ()) -> list[Petition]:
    """Earlier petitions of the same petitioner (same registry resident, same identity number — by its
    keyed hash — or same phone) with a similar subject, most recent first."""
    who = Q(pk__in=[])
    if resident_ids:
        who |= Q(petitioners__resident_id__in=resident_ids)
    if phones:  # by the keyed hash: the phone is sealed
        who |= Q(petitioners__phone_hash__in=[crypto.phone_hash(p) for p in phones if p])
    if id_hashes:
        who |= Q(petitioners__id_hash__in=[h for h in id_hashes if h])
    qs = Petition.objects.filter(who).distinct().order_by("-registered_at")
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    threshold = limits.get("PETITION_REPEAT_SIMILARITY")
    return [p for p in qs[:200] if subject_similarity(subject, p.subject) >= threshold]


def _link_repeat(p: Petition, match: Petition) -> None:
    """Join ``p`` to the group of ``match`` and set every member's repeat count (under a lock on the root)."""
    root_pk = match.repeat_of_id or match.pk
    Petition.objects.select_for_update().filter(pk=root_pk).first()
    Petition.objects.filter(pk=p.pk).update(repeat_of_id=root_pk)
    group = Q(pk=root_pk) | Q(repeat_of_id=root_pk)
    n = Petition.objects.filter(group).count() - 1
    Petition.objects.filter(group).update(repeat_count=n)
    p.refresh_from_db(fields=["repeat_of", "repeat_count"])


# --- registration -----------------------------------------------------------------------------


@dataclass
class PetitionerInput:
    name: str = ""
    phone: str = ""
    id_number: str = ""
    resident_id: int | None = None


@dataclass
class PetitionInput:
    channel: str
    subject: str
    demands: str
    petitioners: list[PetitionerInput] = field(default_factory=list)
    region: str = ""  # region code; default: the registering user's region
    target_department: str = ""  # code
    target_agency: str = ""
    people_count: int = 0
    collective: bool = False
    events: list[str] = field(default_factory=list)  # event numbers
    disputes: list[str] = field(default_factory=list)  # dispute numbers
    attachments: list = field(default_factory=list)


def _user_region(user) -> Region | None:
    return user.region if isinstance(user, User) and user.region_id else None


def _resolve_petitioners(user, items: list[PetitionerInput], errors: dict) -> list[dict]:
    from gridgov.registry.identity import check_phone, check_ric
    from gridgov.registry.models import Resident

    out = []
    if not items:
        errors["petitioners"] = [_("请至少填写一名信访人")]
    if len(items) > MAX_PETITIONERS:
        errors["petitioners"] = [_("信访人不能超过%(n)d名") % {"n": MAX_PETITIONERS}]
        return out
    for i, item in enumerate(items):
        key = f"petitioners.{i}"
        row = {"resident": None, "name": (item.name or "").strip()[:50], "phone": "", "id_number": ""}
        if item.resident_id:
            resident = Resident.objects.visible_to(user).filter(pk=item.resident_id).first()
            if resident is None:
                errors[f"{key}.resident_id"] = [_("未找到该实有人口")]
                continue
            row["resident"] = resident
        try:
            row["phone"] = check_phone(item.phone)
        except ValueError as exc:
            errors[f"{key}.phone"] = [str(exc)]
        if (item.id_number or "").strip():
            try:
                number = check_ric(item.id_number).number
            except ValueError as exc:
                errors[f"{key}.id_number"] = [str(exc)]
            else:
                if row["resident"] is None:  # a registry resident with this number: link instead of storing it
                    row["resident"] = Resident.objects.visible_to(user).filter(
                        id_type="ric", id_hash=crypto.lookup_hash(f"ric:{number}")).first()
                if row["resident"] is None:
                    row["id_number"] = number
        if row["resident"] is not None:
            row["name"] = row["name"] or row["resident"].name
            row["phone"] = row["phone"] or row["resident"].phone
        if not row["name"]:
            errors[f"{key}.name"] = [_("请填写信访人姓名")]
        out.append(row)
    return out


def _validate(user, data: PetitionInput) -> dict:
    errors: dict[str, list[str]] = {}
    if data.channel not in Channel.values:
        errors["channel"] = [_("请选择信访形式：来信、来访、网上或电话")]
    subject = (data.subject or "").strip()
    if len(subject) < 4:
        errors["subject"] = [_("请填写信访事项（至少4个字）")]
    elif len(subject) > 200:
        errors["subject"] = [_("信访事项不能超过200字")]
    demands = (data.demands or "").strip()
    if len(demands) < 5:
        errors["demands"] = [_("请填写诉求（至少5个字）")]
    elif len(demands) > 5000:
        errors["demands"] = [_("诉求不能超过5000字")]
    base = _user_region(user)
    region = None
    code = (data.region or "").strip()
    if code:
        region = Region.objects.filter(code=code).first()
        if region is None or (base is not None and not region.code.startswith(base.code)):
            errors["region"] = [_("请选择您辖区内的区划")]
            region = None
    else:
        region = base
        if region is None:
            errors["region"] = [_("请选择事项所在区划")]
    dept = None
    if (data.target_department or "").strip():
        dept = Department.objects.filter(code=data.target_department.strip(), active=True).first()
        if dept is None:
            errors["target_department"] = [_("请选择有效的部门")]
    agency = (data.target_agency or "").strip()[:100]
    if dept is None and not agency and "target_department" not in errors:
        errors["target_agency"] = [_("请选择反映对象部门或填写反映对象")]
    if data.people_count < 0 or data.people_count > 100000:
        errors["people_count"] = [_("人数无效")]
    petitioners = _resolve_petitioners(user, data.petitioners, errors)
    events = []
    for number in data.events:
        number = (number or "").strip()
        if not number:
            continue
        e = Event.objects.visible_to(user).filter(number=number).first()
        if e is None:
            errors.setdefault("events", []).append(_("未找到事件 %(n)s") % {"n": number})
        else:
            events.append(e)
    disputes = []
    for number in data.disputes:
        number = (number or "").strip()
        if not number:
            continue
        d = Dispute.objects.visible_to(user).filter(number=number).first()
        if d is None:
            errors.setdefault("disputes", []).append(_("未找到纠纷 %(n)s") % {"n": number})
        else:
            disputes.append(d)
    for f in data.attachments:
        try:
            validate_upload(f)
        except ValidationFailed as exc:
            errors.setdefault("attachments", []).extend(sum(exc.fields.values(), []))
    if errors:
        raise ValidationFailed(_("登记内容有误，请检查"), errors)
    return {"subject": subject, "demands": demands, "region": region, "dept": dept, "agency": agency,
            "petitioners": petitioners, "events": events, "disputes": disputes}


REGISTERING_ROLES = (User.Role.OPERATOR, User.Role.GRID_WORKER, User.Role.ADMIN)


def create_petition(user, data: PetitionInput, *, now: datetime | None = None) -> Petition:
    """Register a petition; detect and link a repeat of an earlier one by the same petitioner."""
    from gridgov.core.errors import Forbidden

    now = now or timezone.now()
    role = User.Role.ADMIN if getattr(user, "is_superuser", False) else getattr(user, "role", None)
    if role not in REGISTERING_ROLES:
        raise Forbidden(_("您无权登记信访件"))
    clean = _validate(user, data)
    region = clean["region"]
    center = user.region if role == User.Role.OPERATOR else center_for(region)
    rows = clean["petitioners"]
    people = max(data.people_count or 0, len(rows))
    with transaction.atomic():
        p = Petition(
            number=next_number(timezone.localdate(now), prefix="XF"), channel=data.channel,
            subject=clean["subject"], demands=clean["demands"], target_department=clean["dept"],
            target_agency="" if clean["dept"] else clean["agency"], region=region, center=center,
            people_count=people, is_collective=bool(data.collective) or people >= COLLECTIVE_MIN,
            registered_by=user, registered_at=now, created_at=now,
        )
        workflow.open_petition(p, user, now)
        for i, row in enumerate(rows):
            number = row["id_number"]
            Petitioner.objects.create(
                petition=p, resident=row["resident"], name=row["name"], phone=row["phone"], order=i,
                id_number_enc=crypto.encrypt(number), id_hash=crypto.lookup_hash(f"ric:{number}") if number else "",
                id_masked=crypto.mask_id(number) if number else "",
            )
        if clean["events"]:
            p.events.set(clean["events"])
        if clean["disputes"]:
            p.disputes.set(clean["disputes"])
        for upload in data.attachments:
            add_attachment(p, upload, user)
        matches = find_repeats(
            p.subject, [r["resident"].pk for r in rows if r["resident"]], [r["phone"] for r in rows if r["phone"]],
            exclude_pk=p.pk, id_hashes=list(p.petitioners.exclude(id_hash="").values_list("id_hash", flat=True)),
        )
        if matches:
            _link_repeat(p, matches[0])
    return p


def add_attachment(p: Petition, upload, actor=None, log: PetitionLog | None = None) -> PetitionAttachment:
    return store_upload(PetitionAttachment(petition=p, log=log, uploaded_by=actor if isinstance(actor, User) else None),
                        upload)


# --- reading ----------------------------------------------------------------------------------


def get_visible(user, number: str) -> Petition:
    p = Petition.objects.visible_to(user).filter(number=number).select_related(
        "region", "center", "target_department", "handling_department", "transferred_to_department", "leader",
        "registered_by", "repeat_of",
    ).first()
    if p is None:
        raise NotFound(_("未找到该信访件"))
    return p


def get_attachment(user, pk: int) -> PetitionAttachment:
    att = PetitionAttachment.objects.filter(pk=pk, petition__in=Petition.objects.visible_to(user)).first()
    if att is None:
        raise NotFound(_("未找到该附件"))
    return att


def timeline(p: Petition) -> list[PetitionLog]:
    return list(p.log.select_related("actor").prefetch_related("attachments"))


def departments_for(p: Petition):
    return Department.objects.filter(active=True, region__code__in=p.region.ancestors_codes()).order_by("code")


def filtered_petitions(user, *, status: str = "", channel: str = "", sla_state: str = "", backlog: str = "",
                       repeat: str = "", region: str = "", q: str = "", now=None):
    errors = {}
    qs = Petition.objects.visible_to(user)
    if status:
        wanted = [s for s in status.split(",") if s]
        if any(s not in Status.values for s in wanted):
            errors["status"] = [_("状态无效")]
        qs = qs.filter(status__in=wanted)
    if channel:
        if channel not in Channel.values:
            errors["channel"] = [_("信访形式无效")]
        qs = qs.filter(channel=channel)
    if sla_state:
        if sla_state not in sla.core_sla.STATES:
            errors["sla_state"] = [_("时限状态无效")]
        else:
            qs = qs.filter(sla.sla_q(sla_state, now))
    if backlog in ("1", "true", "yes"):
        qs = qs.filter(sla.backlog_q(now))
    elif backlog not in ("", "0", "false", "no"):
        errors["backlog"] = [_("积案筛选值无效")]
    if repeat in ("1", "true", "yes"):
        qs = qs.filter(repeat_count__gte=1)
    elif repeat not in ("", "0", "false", "no"):
        errors["repeat"] = [_("重复信访筛选值无效")]
    if region:
        if not region.isdigit():
            errors["region"] = [_("区划代码无效")]
        qs = qs.filter(region__code__startswith=region)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(subject__icontains=q) | Q(petitioners__name=q))
    if errors:
        raise ValidationFailed(_("筛选条件有误"), errors)
    return qs.order_by(F("deadline").asc(nulls_last=True), "-registered_at")


def counts_by_status(user, **filters) -> dict[str, int]:
    """Each status's count under the list's other filters (those of :func:`filtered_petitions`, ``status``
    ignored): one GROUP BY, so the status chips add up to the list's total."""
    filters.pop("status", None)
    rows = filtered_petitions(user, **filters).values("status").annotate(n=Count("pk", distinct=True)).order_by()
    return {r["status"]: r["n"] for r in rows}


def _parse_day(value, field_name: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        day = parse_date(str(value))
    except ValueError:
        day = None
    if day is None:
        raise ValidationFailed(_("日期格式无效"), {field_name: [_("日期格式无效，例如 2026-12-01")]})
    return day


def reply_rate_for(user, *, region: str = "", since=None, until=None, now=None) -> dict:
    """七日内回复率 of the letters registered from ``since`` through ``until`` (dates, default: the last
    30 days) in ``region`` (a code prefix), within what ``user`` may see."""
    now = now or timezone.now()
    until_day = _parse_day(until, "until") or timezone.localtime(now).date()
    since_day = _parse_day(since, "since") or until_day - timedelta(days=29)
    if since_day > until_day:
        raise ValidationFailed(_("开始日期不能晚于结束日期"), {"since": [_("开始日期不能晚于结束日期")]})
    if region and not region.isdigit():
        raise ValidationFailed(_("区划代码无效"), {"region": [_("区划代码无效")]})
    qs = Petition.objects.visible_to(user).filter(registered_at__date__gte=since_day,
                                                  registered_at__date__lte=until_day)
    if region:
        qs = qs.filter(region__code__startswith=region)
    out = sla.reply_rate(qs, now)
    out.update({"region": region, "since": since_day, "until": until_day})
    return out


# --- acting -----------------------------------------------------------------------------------


def _department(p: Petition, value, field_name: str, required: bool = True) -> Department | None:
    if value in (None, ""):
        if required:
            raise ValidationFailed(_("请选择部门"), {field_name: [_("请选择部门")]})
        return None
    key = str(value)
    serving = departments_for(p)
    dept = serving.filter(code=key).first() or (serving.filter(pk=int(key)).first() if key.isdigit() else None)
    if dept is None:
        raise ValidationFailed(_("请选择负责该地区的有效部门"), {field_name: [_("请选择负责该地区的有效部门")]})
    return dept


def perform_action(user, p: Petition, action: str, raw: dict | None = None, *, uploads=(), now=None) -> PetitionLog:
    """Validate the inputs an action needs (after the 409/403 checks), then hand it to the workflow."""
    raw = dict(raw or {})
    now = now or timezone.now()
    p = Petition.objects.select_related("region", "center").get(pk=p.pk)
    workflow.check(p, action, user, now)
    params: dict = {"note": raw.get("note") or ""}
    if action == "accept" and p.status == Status.REGISTERED:
        params["department"] = _department(p, raw.get("department"), "department", required=False)
    elif action == "transfer":
        dept = _department(p, raw.get("department"), "department", required=False)
        agency = (raw.get("agency") or "").strip()
        if dept is None and not agency:
            raise ValidationFailed(_("请选择转送部门或填写转送机关"), {"agency": [_("请选择转送部门或填写转送机关")]})
        if len(agency) > 100:
            raise ValidationFailed(_("转送机关名称过长"), {"agency": [_("不能超过100字")]})
        params["department"], params["agency"] = dept, agency
    elif action == "request_extension":
        most = limits.get("PETITION_EXTENSION_MAX_DAYS")
        try:
            days = int(str(raw.get("days") or "").strip())
        except ValueError:
            raise ValidationFailed(_("请填写延长天数"), {"days": [_("请填写延长天数（整数）")]}) from None
        if days < 1:
            raise ValidationFailed(_("延长天数至少为1日"), {"days": [_("延长天数至少为1日")]})
        if days > most:
            msg = _("延长期限不得超过%(n)d日（信访工作条例第三十五条）") % {"n": most}
            raise ValidationFailed(msg, {"days": [msg]})
        params["days"] = days
    elif action in ("reply", "reply_review", "reply_recheck"):
        params["reply_date"] = _parse_day(raw.get("reply_date"), "reply_date")
    elif action == "record_delivery":
        params["delivery_date"] = _parse_day(raw.get("delivery_date"), "delivery_date")
    for upload in uploads:
        validate_upload(upload)
    with transaction.atomic():
        entry = workflow.perform(p, action, user, params, now=now)
        for upload in uploads:
            add_attachment(entry.petition, upload, user, log=entry)
    return entry

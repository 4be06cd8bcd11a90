"""三报告: drafting, editing, sending and archiving the analysis reports; the scheduled monthly run.

The one door for every change of an :class:`~gridgov.analysis.models.AnalysisReport` — pages, API, command and
task all call these functions, and each writes one :class:`~gridgov.analysis.models.AnalysisReportLog` row:

* :func:`draft` — the three reports of a region and period from a fresh analysis. A report that does not
  exist is created; a draft gets the new numbers and the newly generated text of every section *nobody has
  edited* (an edited section keeps its text: an editor's words are not thrown away by a redraft); a sent
  report is left as it is.
* :func:`edit` — change the text of sections and the recipients of a draft; the DOCX is made again.
* :func:`send` — draft → sent (报送): the report, its numbers and its DOCX are frozen; a later edit, redraft
  or send is a 409.
* :func:`run_scheduled` — for the last complete month, the drafts of every city, county and township that
  lacks them (idempotent: a region whose three reports exist is skipped).

Status is changed only here (:func:`send`); the kernel's lifecycles are for cases with deadlines and
statistics, which a report has none of (docs/analysis.md).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.analysis import document, texts
from gridgov.analysis.analysis import analyse
from gridgov.analysis.models import AnalysisReport, AnalysisReportLog
from gridgov.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gridgov.regions.models import Region
from gridgov.stats import queries
from gridgov.stats.queries import Period

log = logging.getLogger(__name__)
K, S, A = AnalysisReport.Kind, AnalysisReport.Status, AnalysisReportLog.Action
CENTER_LEVELS = (Region.Level.CITY, Region.Level.COUNTY, Region.Level.TOWNSHIP)
PERIOD_KINDS = ("month", "week", "year", "day")
MAX_SECTION = 20000
MAX_RECIPIENTS = 1000
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --- periods and regions -------------------------------------------------------------------------------


def last_complete_month(today: date | None = None) -> Period:
    today = today or timezone.localdate()
    return queries.period("month", (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"))


def resolve_period(kind: str = "month", value: str = "", today: date | None = None) -> Period:
    """A period the statistics layer knows (month by default; no value: the current one). A bad kind or value,
    or a period not yet begun, is a 422 naming the field."""
    kind = (kind or "month").strip()
    if kind not in PERIOD_KINDS:
        raise ValidationFailed(_("统计周期类型无效"), {"period": [_("只能是 month、week、year 或 day")]})
    try:
        p = queries.period(kind, (value or "").strip() or None, today)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, {"value": list(exc.fields.get("period", [exc.message]))}) from None
    if p.start > (today or timezone.localdate()):
        raise ValidationFailed(_("统计周期尚未开始"), {"value": [_("统计周期尚未开始，不能分析")]})
    if p.start.year < 2000:
        raise ValidationFailed(_("统计周期超出范围"), {"value": [_("统计周期须在2000年以后")]})
    return p


def center_region(user, code: str) -> Region:
    """The region ``code`` with a center (city, county, township) inside ``user``'s statistics scope; 404
    outside it, 422 for a community or grid."""
    if not (code or "").strip():
        raise ValidationFailed(_("请选择区域"), {"region": [_("请选择区域")]})
    n = queries.node(user, code.strip())
    if n.level not in CENTER_LEVELS:
        raise ValidationFailed(_("只能分析市、县(区)、乡镇(街道)"), {"region": [_("只能分析市、县(区)、乡镇(街道)")]})
    return Region.objects.select_related("parent").get(code=n.code)


# --- scope ---------------------------------------------------------------------------------------------


def visible_reports(user):
    """The reports of regions inside the user's statistics scope (a township its own, a county its own and its
    townships', the city all)."""
    root = queries.root_of(user)
    if root is None:
        return AnalysisReport.objects.none()
    return AnalysisReport.objects.filter(region__code__startswith=root.code).select_related(
        "region", "generated_by", "sent_by", "updated_by")


def get_visible(user, pk) -> AnalysisReport:
    report = visible_reports(user).filter(pk=pk).first()
    if report is None:
        raise NotFound(_("报告不存在或不在您的管辖范围内"))
    return report


def may_write(user) -> bool:
    """Operators and administrators draft, edit and send (within their scope); leaders read."""
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in (User.Role.OPERATOR,
                                                                                       User.Role.ADMIN)))


def _check_writer(user) -> None:
    if user is not None and not may_write(user):
        raise Forbidden(_("只有综治中心受理员可以编辑和报送分析报告"))


# --- drafting ------------------------------------------------------------------------------------------


def default_recipients(region: Region) -> str:
    same = _("%(name)s党委、政府，%(name)s党委政法委") % {"name": region.name}
    parent = region.parent if region.parent_id else None
    if parent is None:
        return same
    return same + _("；%(above)s党委政法委（%(above)s综治中心）") % {"above": parent.name}


def title_of(region: Region, kind: str, p: Period) -> str:
    return f"{region.name}{p.label}{AnalysisReport.Kind(kind).label}"[:200]


def _store(report: AnalysisReport) -> str | None:
    """Render and store the DOCX of ``report`` (not saved); the name of the file it replaces."""
    data = document.render(report, report.data)
    sha = hashlib.sha256(data).hexdigest()
    name = f"analysis/{report.region.code}/{report.period_kind}-{report.period_start.isoformat()}-{report.kind}-{sha[:12]}.docx"
    old = report.docx.name if report.docx else None
    report.docx = default_storage.save(name, ContentFile(data))
    report.docx_sha256, report.docx_size = sha, len(data)
    return old if old and old != report.docx.name else None


def _delete_later(name: str | None) -> None:
    if not name:
        return

    def gone():
        try:
            default_storage.delete(name)
        except OSError:
            log.warning("analysis file %s could not be deleted", name)

    transaction.on_commit(gone)


def _merge_sections(old: list[dict], new: list[dict]) -> list[dict]:
    edited = {s["key"]: s for s in old if s.get("edited")}
    return [edited.get(s["key"]) or {**s, "edited": False} for s in new]


def draft(region: Region, p: Period, *, user=None, now: datetime | None = None, kinds=None,
          analysis: dict | None = None) -> list[AnalysisReport]:
    """The three reports of ``region`` for ``p``: created, or (drafts) given the new numbers and the new text
    of the sections nobody edited; sent ones are left alone."""
    _check_writer(user)
    now = now or timezone.now()
    a = analysis or analyse(region.code, p, now)
    out = []
    for kind in kinds or K.values:
        out.append(_draft_one(region, p, kind, a, user, now))
    return out


def _draft_one(region, p, kind, a, user, now) -> AnalysisReport:
    generated = texts.sections_for(kind, a)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                report = (AnalysisReport.objects.select_for_update().select_related("region")
                          .filter(region=region, period_kind=p.kind, period_start=p.start, kind=kind).first())
                if report is not None and not report.is_draft:
                    return report
                action = A.REDRAFT if report is not None else A.DRAFT
                if report is None:
                    report = AnalysisReport(region=region, period_kind=p.kind, period_start=p.start, kind=kind,
                                            recipients=default_recipients(region), sections=[])
                report.period_end, report.title, report.data = p.end, title_of(region, kind, p), a
                report.sections = _merge_sections(report.sections, generated)
                report.generated_at, report.generated_by = now, user
                report.updated_at, report.updated_by = now, user
                old = _store(report)
                report.save()
                AnalysisReportLog.objects.create(report=report, action=action, actor=user, at=now,
                                                 data={"sha256": report.docx_sha256})
                _delete_later(old)
                return report
        except IntegrityError:  # created by a concurrent run between our read and our insert: redraft it
            continue
    raise IntegrityError("analysis report row could not be written")


def draft_for(user, region_code: str, period_kind: str = "month", value: str = "",
              now: datetime | None = None) -> list[AnalysisReport]:
    """Draft (or redraft) the three reports as ``user``: fields first (422), then the region (404)."""
    _check_writer(user)
    errors: dict = {}
    p = None
    try:
        p = resolve_period(period_kind, value, timezone.localdate(now) if now else None)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if not (region_code or "").strip():
        errors["region"] = [_("请选择区域")]
    if errors:
        raise ValidationFailed(_("输入有误，请检查标出的字段"), errors)
    return draft(center_region(user, region_code), p, user=user, now=now)


# --- editing and sending -------------------------------------------------------------------------------


def _locked(report: AnalysisReport) -> AnalysisReport:
    locked = AnalysisReport.objects.select_for_update().select_related("region").get(pk=report.pk)
    if not locked.is_draft:
        raise Conflict(_("报告已报送归档，不能再修改"), code="invalid_state")
    return locked


def edit(user, report: AnalysisReport, sections: dict[str, str] | None = None, recipients: str | None = None,
         now: datetime | None = None) -> AnalysisReport:
    """Change the text of some sections (key → text) and/or the recipients of a draft; the DOCX is made again.
    Unknown keys, empty or over-long text are 422 naming the field; a sent report is a 409."""
    _check_writer(user)
    now = now or timezone.now()
    sections = sections or {}
    errors: dict[str, list[str]] = {}
    keys = {s["key"] for s in report.sections}
    for key, text in sections.items():
        if key not in keys:
            errors[f"sections.{key}"] = [_("没有这一部分")]
        elif not isinstance(text, str) or not text.strip():
            errors[f"sections.{key}"] = [_("内容不能为空")]
        elif len(text) > MAX_SECTION:
            errors[f"sections.{key}"] = [_("不能超过%(n)d个字符") % {"n": MAX_SECTION}]
    if recipients is not None and len(recipients) > MAX_RECIPIENTS:
        errors["recipients"] = [_("不能超过%(n)d个字符") % {"n": MAX_RECIPIENTS}]
    with transaction.atomic():
        report = _locked(report)
        if errors:
            raise ValidationFailed(_("输入有误，请检查标出的字段"), errors)
        changed = []
        rows = []
        for s in report.sections:
            text = sections.get(s["key"])
            if text is not None and text.strip() != s["text"]:
                s = {**s, "text": text.strip(), "edited": True}
                changed.append(s["key"])
            rows.append(s)
        if recipients is not None and recipients.strip() != report.recipients:
            report.recipients = recipients.strip()
            changed.append("recipients")
        if not changed:
            return report
        report.sections, report.updated_at, report.updated_by = rows, now, user
        old = _store(report)
        report.save()
        AnalysisReportLog.objects.create(report=report, action=A.EDIT, actor=user, at=now,
                                         data={"changed": changed, "sha256": report.docx_sha256})
        _delete_later(old)
    return report


def send(user, report: AnalysisReport, now: datetime | None = None) -> AnalysisReport:
    """报送: draft → sent, with who and when; the DOCX is made once more (with the date sent) and frozen."""
    _check_writer(user)
    now = now or timezone.now()
    with transaction.atomic():
        report = _locked(report)
        report.status, report.sent_at, report.sent_by = S.SENT, now, user
        old = _store(report)
        report.save()
        AnalysisReportLog.objects.create(report=report, action=A.SEND, actor=user, at=now,
                                         note=report.recipients[:500], data={"sha256": report.docx_sha256})
        _delete_later(old)
    return report


def file_response(report: AnalysisReport):
    from django.http import FileResponse

    try:
        handle = report.docx.open("rb")
    except (FileNotFoundError, ValueError):
        raise NotFound(_("报告文件已不存在")) from None
    resp = FileResponse(handle, as_attachment=True, filename=f"{report.title}.docx", content_type=DOCX_TYPE)
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "private, no-cache"
    return resp


# --- the schedule --------------------------------------------------------------------------------------


def run_scheduled(value: str | None = None, today: date | None = None, now: datetime | None = None) -> dict:
    """The drafts of the last complete month (or the month ``value``) for every city, county and township
    lacking any of its three reports: ``{"period", "drafted", "kept", "failed"}`` (regions)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    p = resolve_period("month", value, today) if value else last_complete_month(today)
    have: dict[int, set[str]] = {}
    for rid, kind in AnalysisReport.objects.filter(period_kind="month", period_start=p.start).values_list(
            "region_id", "kind"):
        have.setdefault(rid, set()).add(kind)
    counts = {"period": p.param, "drafted": 0, "kept": 0, "failed": 0}
    for region in Region.objects.filter(level__in=CENTER_LEVELS).select_related("parent").order_by("code"):
        missing = [k for k in K.values if k not in have.get(region.pk, set())]
        if not missing:
            counts["kept"] += 1
            continue
        try:
            draft(region, p, now=now, kinds=missing)
            counts["drafted"] += 1
        except Exception:  # one region's failure must not stop the others; the log has the trace
            log.exception("analysis reports %s %s failed", p.start, region.code)
            counts["failed"] += 1
    return counts

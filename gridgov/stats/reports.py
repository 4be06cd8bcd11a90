"""Reports (通报): a region's weekly or monthly figures as an Excel workbook and a PDF, archived.

A report is built for a city, county or township (a region with a governance center) and a period (a week,
Monday to Sunday, or a calendar month) from the rollups (:mod:`gridgov.stats.reports_data`):

1. 总体情况 — a paragraph with the period's main figures and what is open and overdue at generation;
2. 案件数量 — the event counts of the period against the previous one;
3. 考核指标 — every event KPI (gridgov.stats.kpis) of the period and the previous one, the change in
   percentage points, and its formula;
4. 下级区域排名 — the child regions ranked by 按期结案率, then 结案率, with the previous period's rank;
5. 高发事件类别 and 事件来源 — the categories (top ten) and sources of the period's events;
6. 超期在办事件 — the most overdue open events at generation (number, title, category, place);
7. 矛盾纠纷化解 and 8. 信访办理 — 化解率 and 就地化解率; 七日内回复率 and 积案.

The counting rules are the KPIs' (docs/evaluation.md): the cohort of cases reported in the period, judged at
the period's end (or now while it runs); the open and overdue figures and the overdue list are as at
generation.

Archive (:class:`gridgov.stats.models.Report`): one row per region, kind and period start. Generating again
replaces the files of the same row (``generated_at`` and ``generated_by`` updated, old files deleted after the
commit). The scheduled run (:func:`run_scheduled`) generates the last complete week's and month's reports for
every center; a report that already exists and was generated after its period ended is left as it is, so
running it twice (or every hour) creates nothing new; one generated while its period still ran is replaced.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import date, datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.regions.models import Region
from gridgov.stats import queries, reports_data
from gridgov.stats.kpis import KPIS, Counts, kpis_of, percent
from gridgov.stats.models import Report
from gridgov.stats.queries import Node, Period
from gridgov.stats.render import Column, ReportDoc, Section, render_pdf, render_xlsx
from gridgov.stats.reports_data import ReportSource

log = logging.getLogger(__name__)

PERIOD_OF_KIND = {Report.Kind.WEEKLY: "week", Report.Kind.MONTHLY: "month"}
CENTER_LEVELS = (Region.Level.CITY, Region.Level.COUNTY, Region.Level.TOWNSHIP)
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}

# the counts a report shows, in its order
COUNT_ROWS = (
    ("reported", _l("受理数")), ("valid", _l("立案数")), ("dispatched", _l("派遣数")), ("due", _l("应结案数")),
    ("closed", _l("结案数")), ("closed_on_time", _l("按期结案数")), ("reworked", _l("返工数")),
    ("extended", _l("延期数")), ("returned", _l("退回数")), ("rated", _l("评价数")), ("satisfied", _l("满意数")),
)


# --- periods ----------------------------------------------------------------------------------------------


def last_complete(kind: str, today: date | None = None) -> Period:
    """The last week (Monday–Sunday) or calendar month that has ended by ``today``."""
    today = today or timezone.localdate()
    if kind == Report.Kind.WEEKLY:
        return queries.period("week", (today - timedelta(days=7)).isoformat())
    return queries.period("month", (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"))


KIND_ERROR = _l("通报类型只能是 weekly（周通报）或 monthly（月通报）")


def _check_kind(kind: str) -> str:
    if kind not in PERIOD_OF_KIND:
        raise ValidationFailed(_("通报类型无效"), {"kind": [str(KIND_ERROR)]})
    return kind


def report_period(kind: str, value: str | None = None, today: date | None = None) -> Period:
    """The period of a report: monthly ``2026-11``; weekly a day of the week (``2026-11-23``) or an ISO week
    (``2026-W48``); no value: the last complete one. A bad value or a period not begun is a field error."""
    _check_kind(kind)
    today = today or timezone.localdate()
    value = (value or "").strip()
    if not value:
        return last_complete(kind, today)
    bad = ValidationFailed(_("统计周期格式不正确"), {"value": [
        _("月通报请填写年月，如 2026-11") if kind == Report.Kind.MONTHLY
        else _("周通报请填写该周任一天的日期（如 2026-11-23）或周次（如 2026-W48）")]})
    week = re.fullmatch(r"(\d{4})-?[Ww](\d{1,2})", value)
    try:
        if kind == Report.Kind.WEEKLY and week:
            value = date.fromisocalendar(int(week[1]), int(week[2]), 1).isoformat()
        elif kind == Report.Kind.MONTHLY and not re.fullmatch(r"\d{4}-\d{1,2}", value):
            raise bad
        elif kind == Report.Kind.WEEKLY and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise bad
        p = queries.period(PERIOD_OF_KIND[kind], value)
    except (ValueError, ValidationFailed):
        raise bad from None
    if p.start > today:
        raise ValidationFailed(_("统计周期尚未开始"), {"value": [_("统计周期尚未开始，不能生成通报")]})
    if p.start.year < 2000:
        raise bad
    return p


def period_label(kind: str, p: Period) -> str:
    if kind == Report.Kind.MONTHLY:
        return p.label
    year, week, _day = p.start.isocalendar()
    return _("%(y)d年第%(w)d周（%(start)s至%(end)s）") % {
        "y": year, "w": week, "start": p.start.strftime("%m月%d日"), "end": p.end.strftime("%m月%d日")}


def short_label(kind: str, p: Period) -> str:
    """The period in a report's title: 2026年11月, 2026年第48周."""
    if kind == Report.Kind.MONTHLY:
        return p.label
    year, week, _day = p.start.isocalendar()
    return _("%(y)d年第%(w)d周") % {"y": year, "w": week}


def period_end_moment(p: Period) -> datetime:
    """The first moment after the period (local midnight)."""
    return timezone.make_aware(datetime.combine(p.end + timedelta(days=1), datetime.min.time()))


# --- the document -----------------------------------------------------------------------------------------


def _pp(now: float | None, before: float | None) -> float | None:
    """A change of a rate in percentage points."""
    return None if now is None or before is None else (now - before) * 100


def _figure(value: int) -> str:
    return f"{value:,}"


def title_of(n: Node, kind: str) -> str:
    return (_("%(name)s社会治理月度通报") if kind == Report.Kind.MONTHLY else _("%(name)s社会治理周通报")) % {
        "name": n.name}


def build_doc(source: ReportSource, n: Node, kind: str, p: Period) -> ReportDoc:
    """The report of ``n`` for ``p`` as a render.ReportDoc (no rendering, no writing)."""
    prev = p.previous()
    cur, before = source.counts("event", n.code, p), source.counts("event", n.code, prev)
    k_now, k_before = kpis_of(cur), kpis_of(before)
    open_now = source.open_now("event", n.code)
    label, prev_label = period_label(kind, p), period_label(kind, prev)
    sections = [
        _overview(n, cur, k_now, open_now, source.now),
        Section(_("二、事件数量"), [Column("item", _("项目")), Column("now", _("本期"), "int"),
                                    Column("before", _("上期"), "int"), Column("change", _("增减"), "int")],
                [{"item": str(lbl), "now": cur[key], "before": before[key], "change": cur[key] - before[key]}
                 for key, lbl in COUNT_ROWS],
                text=_("本期：%(now)s；上期：%(before)s。按上报日期统计当期受理的事件。") % {
                    "now": label, "before": prev_label}),
        Section(_("三、考核指标"), [Column("item", _("指标")), Column("now", _("本期"), "pct"),
                                    Column("before", _("上期"), "pct"), Column("change", _("变化(百分点)"), "num"),
                                    Column("formula", _("计算公式"))],
                [{"item": str(k.label), "now": k_now.get(k.key), "before": k_before.get(k.key),
                  "change": _pp(k_now.get(k.key), k_before.get(k.key)), "formula": str(k.formula)}
                 for k in KPIS if "event" in k.kinds],
                text=_("应结案数 = 结案数 + 已过办结时限的在办数；无应结案数（分母为0）的指标显示为“—”。")),
        _ranking_section(source, n, p),
        *_category_sections(source, n, p),
        _overdue_section(source, n),
        _dispute_section(source, n, p, prev),
        _petition_section(source, n, p, prev),
    ]
    return ReportDoc(title=title_of(n, kind), region_name=n.name, period_label=label,
                     generated_at=source.now, sections=sections,
                     subtitle=_("%(name)s综治中心") % {"name": n.name})


def _overview(n: Node, cur: Counts, k: dict, open_now: dict, now: datetime) -> Section:
    text = _(
        "本期%(name)s共受理事件%(reported)s件，立案%(valid)s件；应结案%(due)s件，已结案%(closed)s件，其中按期结案"
        "%(on_time)s件；结案率%(close_rate)s，按期结案率%(on_time_rate)s。\n"
        "截至%(at)s，%(name)s在办事件%(open)s件，其中已超期%(overdue)s件、即将超期%(near)s件。"
    ) % {
        "name": n.name, "reported": _figure(cur["reported"]), "valid": _figure(cur["valid"]),
        "due": _figure(cur.due), "closed": _figure(cur["closed"]), "on_time": _figure(cur["closed_on_time"]),
        "close_rate": percent(k.get("close_rate")), "on_time_rate": percent(k.get("on_time_close_rate")),
        "at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
        "open": _figure(open_now["open"]), "overdue": _figure(open_now["overdue"]),
        "near": _figure(open_now["near_due"]),
    }
    return Section(_("一、总体情况"), [], text=text)


def _ranking_section(source: ReportSource, n: Node, p: Period) -> Section:
    rows = reports_data.ranking(source, n, p)
    # narrow headers: the PDF's A4 width holds these nine columns without wrapping a number
    columns = [Column("rank", _("排名"), "int"), Column("name", _("区域")), Column("reported", _("受理"), "int"),
               Column("due", _("应结案"), "int"), Column("close_rate", _("结案率"), "pct"),
               Column("on_time_rate", _("按期结案率"), "pct"), Column("change", _("较上期"), "num"),
               Column("safety_index", _("平安指数"), "num"), Column("movement", _("升降"))]
    child = str(queries.LEVEL_NAMES.get(n.level + 1, ""))
    return Section(
        _("四、下级区域排名"), columns,
        [{"rank": r.rank, "name": r.node.name, "reported": r.counts["reported"], "due": r.counts.due,
          "close_rate": r.kpis["close_rate"], "on_time_rate": r.kpis["on_time_close_rate"],
          "change": _pp(r.kpis["on_time_close_rate"], r.previous_kpis["on_time_close_rate"]),
          "movement": r.movement, "safety_index": r.safety_index}
         for r in rows],
        text=_("各%(child)s按按期结案率排名，相同时按结案率；本期无应结案事件的不排名。“较上期”为按期结案率较上期"
               "的变化（百分点），“升降”为名次较上期的变化（↑2：上升2名）。平安指数的计算见考核评价。") % {"child": child})


def _category_sections(source: ReportSource, n: Node, p: Period) -> list[Section]:
    top, total = reports_data.top_categories(source, n.code, p)
    cats = Section(_("五、高发事件类别"), [Column("rank", _("序号"), "int"), Column("name", _("事件类别")),
                                          Column("reported", _("受理数"), "int"), Column("share", _("占比"), "pct")],
                   [{"rank": i, **r} for i, r in enumerate(top, start=1)],
                   text=_("本期受理事件%(total)s件，按类别列出最多的%(n)d类。") % {
                       "total": _figure(total), "n": reports_data.TOP_CATEGORIES})
    sources = Section(_("六、事件来源"), [Column("name", _("来源")), Column("reported", _("受理数"), "int"),
                                        Column("share", _("占比"), "pct")], reports_data.top_sources(n.code, p))
    return [cats, sources]


def _overdue_section(source: ReportSource, n: Node) -> Section:
    rows = reports_data.overdue_events(source, n.code)
    total = source.open_now("event", n.code)["overdue"]
    # five columns fit an A4 page; the full list (deadlines, categories) is the worklist's export
    columns = [Column("number", _("事件编号")), Column("title", _("标题")), Column("place", _("网格/区划")),
               Column("status", _("状态")), Column("late", _("已超期"))]
    text = _("截至%(at)s，超期在办事件共%(total)s件%(shown)s。完整清单可在事件工作台按时限“已超期”筛选后导出Excel。") % {
        "at": timezone.localtime(source.now).strftime("%Y-%m-%d %H:%M"), "total": _figure(total),
        "shown": _("，列出超期最久的%(n)d件") % {"n": len(rows)} if total > len(rows) else ""}
    return Section(_("七、超期在办事件"), columns, rows, text=text)


def _dispute_section(source: ReportSource, n: Node, p: Period, prev: Period) -> Section:
    rows = []
    for label, period_ in ((_("本期"), p), (_("上期"), prev)):
        c = source.counts("dispute", n.code, period_)
        k = kpis_of(c, "dispute")
        rows.append({"period": label, "reported": c["reported"], "valid": c["valid"], "succeeded": c["succeeded"],
                     "rate": k.get("dispute_resolution_rate"), "local": k.get("local_rate"), "closed": c["closed"]})
    o = source.open_now("dispute", n.code)
    return Section(
        _("八、矛盾纠纷化解"),
        [Column("period", _("期间")), Column("reported", _("登记数"), "int"), Column("valid", _("受理数"), "int"),
         Column("succeeded", _("调解成功数"), "int"), Column("rate", _("化解率"), "pct"),
         Column("local", _("就地化解率"), "pct"), Column("closed", _("结案数"), "int")],
        rows,
        text=_("矛盾纠纷化解率 = 调解成功数 ÷ 受理数；就地化解率 = 乡镇(街道)及以下化解数 ÷ 各层级化解数。"
               "截至生成时在办纠纷%(open)s件，其中超期%(overdue)s件。") % {
            "open": _figure(o["open"]), "overdue": _figure(o["overdue"])})


def _petition_section(source: ReportSource, n: Node, p: Period, prev: Period) -> Section:
    rows = []
    for label, period_ in ((_("本期"), p), (_("上期"), prev)):
        c = source.counts("petition", n.code, period_)
        k = kpis_of(c, "petition")
        rows.append({"period": label, "reported": c["reported"], "valid": c["valid"], "reply_due": c["reply_due"],
                     "replied": c["replied_on_time"], "rate": k.get("reply_rate"), "closed": c["closed"]})
    o = source.open_now("petition", n.code)
    return Section(
        _("九、信访办理"),
        [Column("period", _("期间")), Column("reported", _("登记数"), "int"), Column("valid", _("受理数"), "int"),
         Column("reply_due", _("应回复数"), "int"), Column("replied", _("七日内回复数"), "int"),
         Column("rate", _("七日内回复率"), "pct"), Column("closed", _("办结数"), "int")],
        rows,
        text=_("七日内回复率 = 按期(7日内)程序性回复的来信和网上信访 ÷ 应回复数。截至生成时在办信访%(open)s件，"
               "其中超期%(overdue)s件；积案（登记满%(days)d日仍未办结）%(backlog)s件。") % {
            "open": _figure(o["open"]), "overdue": _figure(o["overdue"]), "days": queries.BACKLOG_DAYS,
            "backlog": _figure(o["backlog"])})


# --- generating and archiving -----------------------------------------------------------------------------


def _node_of(region: Region) -> Node:
    return Node(region.code, region.name, region.level)


def _store(region: Region, kind: str, p: Period, ext: str, data: bytes) -> tuple[str, str, int]:
    sha = hashlib.sha256(data).hexdigest()
    name = f"reports/{region.code}/{kind}-{p.start.isoformat()}-{sha[:12]}.{ext}"
    return default_storage.save(name, ContentFile(data)), sha, len(data)


def _delete_files(names) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # a file already gone is no reason to fail
            log.warning("report file %s could not be deleted", name)


def generate(region: Region, kind: str, p: Period, *, user=None, source: ReportSource | None = None,
             now: datetime | None = None) -> Report:
    """Build, render and archive the report of ``region`` for ``p``; replaces an existing one's files."""
    _check_kind(kind)
    source = source or ReportSource(region.code, now)
    doc = build_doc(source, _node_of(region), kind, p)
    xlsx, pdf = render_xlsx(doc), render_pdf(doc)
    stored = [_store(region, kind, p, "xlsx", xlsx), _store(region, kind, p, "pdf", pdf)]
    (xlsx_name, xlsx_sha, xlsx_size), (pdf_name, pdf_sha, pdf_size) = stored
    fields = {"period_end": p.end, "generated_at": source.now, "generated_by": user,
              "title": f"{doc.title}（{short_label(kind, p)}）"[:200],
              "xlsx": xlsx_name, "xlsx_sha256": xlsx_sha, "xlsx_size": xlsx_size,
              "pdf": pdf_name, "pdf_sha256": pdf_sha, "pdf_size": pdf_size}
    try:
        report, old = _save_row(region, kind, p, fields)
    except BaseException:
        _delete_files([xlsx_name, pdf_name])
        raise
    superseded = [f for f in old if f and f not in (xlsx_name, pdf_name)]
    if superseded:
        transaction.on_commit(lambda: _delete_files(superseded))
    return report


def _save_row(region: Region, kind: str, p: Period, fields: dict) -> tuple[Report, list[str]]:
    """Update the period's row (keeping its id) or create it; the names of the files it had."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                report = (Report.objects.select_for_update()
                          .filter(region=region, kind=kind, period_start=p.start).first())
                if report is None:
                    return Report.objects.create(region=region, kind=kind, period_start=p.start, **fields), []
                old = [report.xlsx.name, report.pdf.name]
                for key, value in fields.items():
                    setattr(report, key, value)
                report.save()
                return report, old
        except IntegrityError:  # created by a concurrent run between our read and our insert: update it
            continue
    raise IntegrityError("report row could not be written")


def is_complete(report: Report) -> bool:
    """Generated after its period ended (else it showed a period still running)."""
    return report.generated_at >= period_end_moment(Period("", report.period_start, report.period_end))


def run_scheduled(kinds=(Report.Kind.WEEKLY, Report.Kind.MONTHLY), *, value: str | None = None,
                  replace: bool = False, today: date | None = None, now: datetime | None = None) -> dict:
    """The reports of every city, county and township for the last complete week and month (or the period
    ``value``): those missing, or generated while their period still ran (or all, with ``replace``).
    Counts per kind: generated, kept (already there), failed."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    regions = list(Region.objects.filter(level__in=CENTER_LEVELS).order_by("code"))
    out = {}
    for kind in kinds:
        p = report_period(kind, value, today)
        source = ReportSource("", now)  # one source a kind: each level's counts read once for all regions
        existing = {r.region_id: r for r in Report.objects.filter(kind=kind, period_start=p.start)}
        counts = {"period": p.param if kind == Report.Kind.MONTHLY else p.start.isoformat(),
                  "generated": 0, "kept": 0, "failed": 0}
        for region in regions:
            have = existing.get(region.pk)
            if have is not None and not replace and is_complete(have):
                counts["kept"] += 1
                continue
            try:
                generate(region, kind, p, source=source, now=now)
                counts["generated"] += 1
            except Exception:  # one region's failure must not stop the others; the log has the trace
                log.exception("report %s %s %s failed", kind, p.start, region.code)
                counts["failed"] += 1
        out[kind] = counts
    return out


# --- who may see and make what ----------------------------------------------------------------------------


def visible_reports(user):
    """The archived reports of regions inside the user's statistics scope (queries.root_of)."""
    root = queries.root_of(user)
    if root is None:
        return Report.objects.none()
    return Report.objects.filter(region__code__startswith=root.code).select_related("region", "generated_by")


def get_visible(user, pk) -> Report:
    report = visible_reports(user).filter(pk=pk).first()
    if report is None:
        raise NotFound(_("通报不存在或不在您的管辖范围内"))
    return report


def generate_for(user, region_code: str, kind: str, value: str = "", now: datetime | None = None) -> Report:
    """Generate (or regenerate) a report as ``user``: the kind and period are checked first (field errors),
    then the region (404 outside the user's scope, a field error below a township)."""
    errors: dict[str, list[str]] = {}
    period = None
    region_code = (region_code or "").strip()
    if not region_code:
        errors["region"] = [_("请选择区域")]
    try:
        _check_kind(kind)
        period = report_period(kind, value, timezone.localdate(now) if now else None)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_("输入有误，请检查标出的字段"), errors)
    n = queries.node(user, region_code)  # NotFound outside the scope
    if n.level not in CENTER_LEVELS:
        raise ValidationFailed(_("只能为市、县(区)、乡镇(街道)生成通报"),
                               {"region": [_("只能为市、县(区)、乡镇(街道)生成通报")]})
    region = Region.objects.get(code=n.code)
    return generate(region, kind, period, user=user, now=now)


def file_response(report: Report, fmt: str):
    """The stored xlsx or pdf of a report as a download (the caller has checked the scope)."""
    from django.http import FileResponse

    if fmt not in CONTENT_TYPES:
        raise NotFound(_("未找到该文件"))
    field = report.xlsx if fmt == "xlsx" else report.pdf
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise NotFound(_("通报文件已不存在，请重新生成")) from None
    resp = FileResponse(handle, as_attachment=True, filename=f"{report.title}.{fmt}", content_type=CONTENT_TYPES[fmt])
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "private, no-cache"
    return resp

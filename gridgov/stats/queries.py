"""Reading the rollups: a region's counts for a period, its children's, the trend, the mix, the open cases.

Every figure here is a sum over the kernel's rollup tables (:mod:`gridgov.cases.tally`) at one level of the
region path — a few hundred or thousand rows for any region and period, whatever the size of the history —
plus a count over the small table of open cases for what time changes (open, overdue, 即将超期, 应结案).
Nothing here reads the case tables, except :func:`mix` below a township (where the cases are few).

Who may see what: :func:`root_of` — an administrator the whole city, an operator or a leader their region's
subtree, anybody else nothing; a code outside it is a 404 (:func:`node`), the same answer as a code that
does not exist.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Length, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.engine import lifecycle, lifecycles
from gridgov.cases.models import MIX_MEASURES, TALLY_MEASURES, OpenCase, Tally, TallyMix
from gridgov.cases.tally import LEVEL_LENGTHS, level_of, under
from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.regions.models import Grid, Region
from gridgov.stats.kpis import Counts

LEVEL_NAMES = {2: _("市"), 3: _("县(区)"), 4: _("乡镇(街道)"), 5: _("村(社区)"), 6: _("网格")}
BACKLOG_DAYS = 90  # 积案: a petition still open three months after it was registered
KINDS = ("event", "dispute", "petition")


# --- scope ------------------------------------------------------------------------------------

def root_of(user) -> Region | None:
    """The highest region ``user`` may see the figures of, or None (no statistics at all)."""
    from gridgov.accounts.models import User

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser or user.role == User.Role.ADMIN:
        # asked two or three times a request (the node, its path): kept on the request's user object
        if getattr(user, "_stats_city", None) is None:
            user._stats_city = Region.objects.filter(level=Region.Level.CITY).order_by("code").first()
        return user._stats_city
    if user.role in (User.Role.OPERATOR, User.Role.LEADER) and user.region_id:
        return user.region
    return None


@dataclass(frozen=True)
class Node:
    """A region or a grid, as the statistics see it."""

    code: str
    name: str
    level: int  # 2 city … 5 community, 6 grid

    @property
    def level_name(self) -> str:
        return str(LEVEL_NAMES.get(self.level, ""))

    @property
    def child_level(self) -> int | None:
        return self.level + 1 if self.level < 6 else None


def node(user, code: str | None = None) -> Node:
    """The region or grid ``code`` (default: the user's own), if ``user`` may see it; else 404."""
    root = root_of(user)
    if root is None:
        raise NotFound(_("没有可查看的统计范围"))
    code = (code or root.code).strip()
    if not code.startswith(root.code) or len(code) not in LEVEL_LENGTHS.values():
        raise NotFound(_("区划不存在或不在您的管辖范围内"))
    if len(code) == LEVEL_LENGTHS[6]:
        g = Grid.objects.filter(code=code).values_list("name", flat=True).first()
        if g is None:
            raise NotFound(_("区划不存在或不在您的管辖范围内"))
        return Node(code, g, 6)
    r = Region.objects.filter(code=code).values_list("name", "level").first()
    if r is None or r[1] < Region.Level.CITY:
        raise NotFound(_("区划不存在或不在您的管辖范围内"))
    return Node(code, r[0], level_of(code))


def path_of(user, n: Node) -> list[Node]:
    """The nodes from the user's root down to ``n`` (the drill-down's breadcrumb)."""
    root = root_of(user)
    codes = [n.code[:k] for lv, k in LEVEL_LENGTHS.items() if len(root.code) <= k < len(n.code)]
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return [Node(c, names.get(c, c), level_of(c)) for c in codes] + [n]


def children(n: Node) -> list[Node]:
    """The child regions (or, under a community, the grids) of ``n``, in code order."""
    if n.level == 6:
        return []
    if n.level == 5:
        rows = Grid.objects.filter(community__code=n.code, active=True).order_by("code").values_list("code", "name")
        return [Node(c, name, 6) for c, name in rows]
    rows = Region.objects.filter(parent__code=n.code).order_by("code").values_list("code", "name")
    return [Node(c, name, n.level + 1) for c, name in rows]


# --- periods ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    kind: str  # day, week, month, year, range
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("%(y)d年%(m)d月") % {"y": self.start.year, "m": self.start.month}
        if self.kind == "year":
            return _("%(y)d年") % {"y": self.start.year}
        if self.kind == "day":
            return self.start.isoformat()
        return f"{self.start.isoformat()} — {self.end.isoformat()}"

    @property
    def param(self) -> str:
        return {"month": self.start.strftime("%Y-%m"), "year": str(self.start.year)}.get(
            self.kind, self.start.isoformat())

    def previous(self) -> Period:
        if self.kind == "month":
            last = self.start - timedelta(days=1)
            return period("month", last.strftime("%Y-%m"))
        if self.kind == "year":
            return period("year", str(self.start.year - 1))
        span = (self.end - self.start).days + 1
        return Period(self.kind, self.start - timedelta(days=span), self.start - timedelta(days=1))

    def moment(self, now: datetime | None = None) -> datetime:
        """When the period's open cases are judged: its end, or now while it runs."""
        now = now or timezone.now()
        end = timezone.make_aware(datetime.combine(self.end + timedelta(days=1), datetime.min.time()))
        return min(now, end)


def period(kind: str = "month", value: str | None = None, today: date | None = None) -> Period:
    """``("month", "2026-11")``, ``("year", "2026")``, ``("week", "2026-11-23")`` (the week of that day),
    ``("day", "2026-11-30")``; no value: the current one. A bad value is a 422 with the field named (also a
    year outside MIN_YEAR..MAX_YEAR, whose moment would not be a datetime)."""
    p = _period(kind, value, today or timezone.localdate())
    if not (MIN_YEAR <= p.start.year and p.end.year <= MAX_YEAR):  # its moment must be a datetime
        raise ValidationFailed(_("统计周期超出范围"), {"period": [_("统计周期须在%(a)d年至%(b)d年之间")
                                                                  % {"a": MIN_YEAR, "b": MAX_YEAR}]})
    return p


MIN_YEAR, MAX_YEAR = 1900, 2999


def _period(kind: str, value: str | None, today: date) -> Period:
    try:
        if kind == "month":
            y, m = (int(x) for x in value.split("-")) if value else (today.year, today.month)
            start = date(y, m, 1)
            return Period("month", start, date(y, m, calendar.monthrange(y, m)[1]))
        if kind == "year":
            y = int(value) if value else today.year
            return Period("year", date(y, 1, 1), date(y, 12, 31))
        if kind in ("week", "day"):
            d = date.fromisoformat(value) if value else today
            if kind == "day":
                return Period("day", d, d)
            start = d - timedelta(days=d.weekday())
            return Period("week", start, start + timedelta(days=6))
    except (ValueError, TypeError, OverflowError):
        raise ValidationFailed(_("统计周期格式不正确"), {"period": [_("统计周期格式不正确")]}) from None
    raise ValidationFailed(_("统计周期只能是日、周、月或年"), {"period": [_("统计周期只能是 day、week、month 或 year")]})


# --- counts -----------------------------------------------------------------------------------

def _check_kind(kind: str) -> str:
    if kind not in {lc.kind for lc in lifecycles()}:
        raise ValidationFailed(_("未知的案件类型"), {"kind": [_("未知的案件类型")]})
    return kind


def _prefix_q(code: str) -> Q:
    return under(code)


# an IN list up to this long is read as that many index probes (below it, faster than a range: a range over the
# places reads every day of the year of each of them, the probes only the period's days)
PLACES_IN_LIST = 5000


def places_q(prefix: str, codes: list[str] | None) -> Q:
    """The rollup rows of the places ``codes`` (all under ``prefix``) when given and not too many, else the
    range of ``prefix``. With the codes, the place index (kind, level, code, day) is probed once per place with
    the period's days as its range; with the prefix alone, every day of every place under it is walked."""
    if codes is not None and len(codes) <= PLACES_IN_LIST:
        return Q(code__in=codes)
    return _prefix_q(prefix)


def counts_by(kind: str, level: int, prefix: str, p: Period, now: datetime | None = None,
              codes: list[str] | None = None, with_open: bool = True) -> dict[str, Counts]:
    """The counts of every node of ``level`` under ``prefix`` (or of the nodes ``codes`` when the caller knows
    them) for the cases reported in ``p``: one GROUP BY over the rollup, one over the open cases (left to the
    caller with ``with_open=False``: :func:`open_counts` reads them with the ones open now in one query)."""
    _check_kind(kind)
    if codes is not None and not codes:
        return {}
    rows = (Tally.objects.filter(places_q(prefix, codes), kind=kind, level=level, day__gte=p.start, day__lte=p.end)
            .values("code").annotate(**{m: Sum(m) for m in TALLY_MEASURES}))
    out: dict[str, Counts] = {r["code"]: Counts({m: r[m] or 0 for m in TALLY_MEASURES}) for r in rows}
    if with_open:
        period_open, _now = open_counts(kind, level, prefix, p, now, with_now=False)
        wanted = set(codes) if codes is not None else None
        for code, values in period_open.items():
            if wanted is None or code in wanted:
                out.setdefault(code, Counts()).values.update(values)
    return out



def counts_and_open_now(kind: str, level: int, prefix: str, p: Period, codes: list[str],
                        now: datetime | None = None) -> tuple[dict[str, Counts], dict[str, dict[str, int]]]:
    """A map's figures of the nodes ``codes`` (of ``level`` under ``prefix``): their counts for ``p`` and their
    open cases now, in two reads (the rollup's; the open cases' of the period and of now together)."""
    by = counts_by(kind, level, prefix, p, now, codes=codes, with_open=False)
    period_open, now_by = open_counts(kind, level, prefix, p, now)
    for code, values in period_open.items():
        by.setdefault(code, Counts()).values.update(values)
    return by, now_by

def open_counts(kind: str, level: int, prefix: str, p: Period | None, now: datetime | None = None,
                with_now: bool = True) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """The open cases by node of ``level`` under ``prefix`` in one GROUP BY: of those reported in ``p``, how many
    are open and how many past their 办结时限 at the period's end (``open``/``open_due``, the period's counts);
    and, with ``with_now``, of all of them, how many are open, overdue, 即将超期 and 积案 now (:func:`open_now`)."""
    _check_kind(kind)
    now = now or timezone.now()
    n = LEVEL_LENGTHS[level]
    aggs = {}
    if p is not None:
        in_p = Q(day__gte=p.start, day__lte=p.end)
        aggs.update(p_open=Count("id", filter=in_p), p_due=Count("id", filter=in_p & Q(due_at__lt=p.moment(now))))
    if with_now:
        aggs.update(open=Count("id"), overdue=Count("id", filter=Q(deadline__lt=now)),
                    near_due=Count("id", filter=Q(warn_at__lte=now, deadline__gte=now)),
                    backlog=Count("id", filter=Q(day__lt=(now - timedelta(days=BACKLOG_DAYS)).date())))
    qs = OpenCase.objects.filter(_prefix_q(prefix), kind=kind)
    if not with_now:
        qs = qs.filter(day__gte=p.start, day__lte=p.end)
    rows = (qs.annotate(node=Substr("code", 1, n), code_len=Length("code")).filter(code_len__gte=n)
            .values("node").annotate(**aggs))
    period_open, open_now_ = {}, {}
    for r in rows:
        if p is not None and r["p_open"]:
            period_open[r["node"]] = {"open": r["p_open"], "open_due": r["p_due"]}
        if with_now:
            open_now_[r["node"]] = {k: r[k] for k in ("open", "overdue", "near_due", "backlog")}
    return period_open, open_now_


def counts(kind: str, code: str, p: Period, now: datetime | None = None) -> Counts:
    """The counts of one region or grid for ``p``."""
    return counts_by(kind, level_of(code), code, p, now).get(code, Counts())


def open_now(kind: str, level: int, prefix: str, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Open, overdue and 即将超期 cases now (whenever reported), by node of ``level`` under ``prefix``."""
    return open_counts(kind, level, prefix, None, now)[1]


def trend(kind: str, code: str, p: Period) -> list[dict]:
    """Reported, taken up and closed cases by day (a month or shorter) or by month (a year)."""
    _check_kind(kind)
    qs = Tally.objects.filter(kind=kind, level=level_of(code), code=code, day__gte=p.start, day__lte=p.end)
    rows = qs.values("day").annotate(reported=Sum("reported"), valid=Sum("valid"), closed=Sum("closed"),
                                     closed_on_time=Sum("closed_on_time"))
    by: dict[str, dict] = {}
    for r in rows:
        key = r["day"].strftime("%Y-%m") if p.kind == "year" else r["day"].isoformat()
        b = by.setdefault(key, {"at": key, "reported": 0, "valid": 0, "closed": 0, "closed_on_time": 0})
        for m in ("reported", "valid", "closed", "closed_on_time"):
            b[m] += r[m] or 0
    keys = _axis(p)
    return [by.get(k, {"at": k, "reported": 0, "valid": 0, "closed": 0, "closed_on_time": 0}) for k in keys]


def _axis(p: Period) -> list[str]:
    if p.kind == "year":
        return [f"{p.start.year}-{m:02d}" for m in range(1, 13)]
    days = (p.end - p.start).days + 1
    return [(p.start + timedelta(days=i)).isoformat() for i in range(days)]


def mix(kind: str, code: str, p: Period, by: str = "category") -> list[dict]:
    """Cases of the period by category or by source, largest first. City, county and township read the
    monthly rollup (whole months: a week or a day is counted from the cases); a community or a grid
    counts its own cases."""
    _check_kind(kind)
    if by not in ("category", "source"):
        raise ValidationFailed(_("分组方式无效"), {"by": [_("只能按 category 或 source 分组")]})
    level = level_of(code)
    whole_months = p.start.day == 1 and (p.end + timedelta(days=1)).day == 1
    if level <= 4 and whole_months:
        rows = (TallyMix.objects.filter(kind=kind, level=level, code=code, month__gte=p.start, month__lte=p.end)
                .values(by).annotate(**{m: Sum(m) for m in MIX_MEASURES}))
        out = [{"key": r[by], **{m: r[m] or 0 for m in MIX_MEASURES}} for r in rows]
    else:
        lc = lifecycle(kind)
        field = lc.category_path if by == "category" else lc.source_path
        start = timezone.make_aware(datetime.combine(p.start, datetime.min.time()))
        end = timezone.make_aware(datetime.combine(p.end + timedelta(days=1), datetime.min.time()))
        rows = (lc.model.objects.filter(lc.place_q(code), **{f"{lc.reported_at_field}__gte": start,
                                                             f"{lc.reported_at_field}__lt": end})
                .values(key=F(field)).annotate(reported=Count("pk")))
        out = [{"key": r["key"], "reported": r["reported"]} for r in rows]
    out = [r for r in out if r.get("reported")]
    out.sort(key=lambda r: (-r["reported"], str(r["key"])))
    return out


def open_feed(kind: str, code: str, state: str = "overdue", limit: int = 20, now: datetime | None = None) -> list:
    """The open cases of a region that are overdue (or 即将超期), the most overdue first: (case id, deadline)."""
    _check_kind(kind)
    now = now or timezone.now()
    qs = OpenCase.objects.filter(under(code), kind=kind)
    qs = qs.filter(deadline__lt=now) if state == "overdue" else qs.filter(warn_at__lte=now, deadline__gte=now)
    return list(qs.order_by("deadline", "case_id").values_list("case_id", "deadline")[:limit])

"""一分析: the structured analysis of a region (city, county, township) for a period.

:func:`analyse` answers a plain, JSON-ready dict with these sections (docs/analysis.md):

* ``events`` (社情) — the period's events, their KPIs' counts, by category and by child place, each against
  the previous period and the same period last year. Read from the statistics layer (:mod:`gridgov.stats.queries`:
  the kernel's rollups ``Tally``/``TallyMix``/``OpenCase``), so every number equals what
  ``/api/v1/stats/summary`` and ``/api/v1/stats/mix`` give for the same region and period.
* ``disputes`` (矛盾纠纷) — registered disputes (the rollup), by type (the monthly rollup), by risk grade and
  by outcome (one GROUP BY over the period's disputes of the region: tens of thousands a year, not millions).
* ``petitions`` (信访) — received (the rollup), repeats and 联名/集体访 of the period, 积案 now (the petitions'
  own rule, :func:`gridgov.petitions.sla.backlog_q`).
* ``warnings`` — what the provider slot ``analysis.warnings`` answers (gridgov.warnings fills it); None when
  nothing answers (shown as 无).
* ``keypersons`` — key persons under management and in hand (动态掌控) at the period's end
  (:func:`gridgov.stats.eval_keypersons.control_by_node`), visits made in the period and those on time.
* ``hotspots`` and ``rectification`` (重点整治) — :mod:`gridgov.analysis.rules`.

A change is ``{"now", "base", "diff", "pct"}``; ``pct`` is None when the base is 0 (shown as "—").
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import Coalesce, NullIf, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.engine import lifecycle
from gridgov.core import providers
from gridgov.regions.models import Region
from gridgov.stats import queries
from gridgov.stats.kpis import Counts, kpis_of, percent
from gridgov.stats.queries import Node, Period

WARNING_SLOT = "analysis.warnings"
LEVELS = ("blue", "yellow", "orange", "red")
EVENT_COUNTS = ("reported", "valid", "closed", "closed_on_time", "open", "open_due")


# --- periods -------------------------------------------------------------------------------------------


def same_period_last_year(p: Period) -> Period:
    """The same month, year, ISO week or day one year earlier."""
    if p.kind == "month":
        return queries.period("month", f"{p.start.year - 1}-{p.start.month:02d}")
    if p.kind == "year":
        return queries.period("year", str(p.start.year - 1))
    if p.kind == "week":
        year, week, _d = p.start.isocalendar()
        try:
            start = date.fromisocalendar(year - 1, week, 1)
        except ValueError:  # week 53 in a year of 52
            start = date.fromisocalendar(year - 1, 52, 1)
        return Period("week", start, start + timedelta(days=6))
    start = _minus_year(p.start)
    return Period(p.kind, start, start + (p.end - p.start))


def _minus_year(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def period_dict(p: Period) -> dict:
    return {"kind": p.kind, "value": p.param, "label": str(p.label), "start": p.start.isoformat(),
            "end": p.end.isoformat()}


# --- changes -------------------------------------------------------------------------------------------


def change(now: int, base: int) -> dict:
    """``now`` against ``base``: the difference and the change in % (None when the base is 0)."""
    return {"now": now, "base": base, "diff": now - base, "pct": round((now - base) * 100 / base, 1) if base else None}


def pct_text(pct: float | None) -> str:
    """+12.5% / -3.0% / — (no base)."""
    if pct is None:
        return "—"
    return f"{pct:+.1f}%"


def trend(now: int, prev: int, yoy: int) -> dict:
    return {"now": now, "prev": change(now, prev), "yoy": change(now, yoy)}


# --- the sections --------------------------------------------------------------------------------------


def _events(n: Node, periods: dict[str, Period], now: datetime) -> dict:
    from gridgov.events.models import Category

    c = {k: queries.counts("event", n.code, x, now) for k, x in periods.items()}
    k_now = kpis_of(c["now"])
    mixes = {k: {r["key"]: r["reported"] for r in queries.mix("event", n.code, x, "category")}
             for k, x in periods.items()}
    keys = sorted(set(mixes["now"]) | set(mixes["prev"]), key=lambda k: (-mixes["now"].get(k, 0), str(k)))
    names = dict(Category.objects.filter(code__in=keys).values_list("code", "name"))
    by_category = [{"key": k, "name": names.get(k) or k or _("未分类"),
                    **trend(mixes["now"].get(k, 0), mixes["prev"].get(k, 0), mixes["yoy"].get(k, 0))}
                   for k in keys]
    by_place = []
    if n.child_level and n.level < 6:
        kids = queries.children(n)
        by = {k: queries.counts_by("event", n.child_level, n.code, x, now) for k, x in periods.items()}
        open_kids = queries.open_now("event", n.child_level, n.code, now)
        for kid in kids:
            got = [by[k].get(kid.code, Counts())["reported"] for k in ("now", "prev", "yoy")]
            by_place.append({"code": kid.code, "name": kid.name, **trend(*got),
                             "overdue_now": open_kids.get(kid.code, {}).get("overdue", 0)})
    return {
        "counts": {k: c["now"][k] for k in EVENT_COUNTS},
        "reported": trend(c["now"]["reported"], c["prev"]["reported"], c["yoy"]["reported"]),
        "closed": trend(c["now"]["closed"], c["prev"]["closed"], c["yoy"]["closed"]),
        "close_rate": percent(k_now.get("close_rate")), "on_time_close_rate": percent(k_now.get("on_time_close_rate")),
        "satisfaction_rate": percent(k_now.get("satisfaction_rate")),
        "open_now": queries.open_now("event", n.level, n.code, now).get(n.code, {"open": 0, "overdue": 0}),
        "by_category": by_category, "by_place": by_place,
    }


def _day_range(p: Period) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(p.start, datetime.min.time()))
    return start, timezone.make_aware(datetime.combine(p.end + timedelta(days=1), datetime.min.time()))


def _outcome_expr():
    """A dispute's outcome now: 调解成功, 调解不成 (引导分流), 不予受理, 调处中."""
    return Case(
        When(status="rejected", then=Value("rejected")),
        When(status="failed", then=Value("failed")),
        When(status="closed", referral__gt="", then=Value("failed")),
        When(status__in=("succeeded", "followed_up", "closed"), then=Value("succeeded")),
        default=Value("open"), output_field=CharField())


OUTCOMES = (("succeeded", gettext_lazy("调解成功")), ("failed", gettext_lazy("调解不成（已引导分流）")),
            ("rejected", gettext_lazy("不予受理")), ("open", gettext_lazy("调处中")))


def _disputes(n: Node, periods: dict[str, Period], now: datetime) -> dict:
    from gridgov.disputes.models import Dispute, DisputeType, RiskGrade

    c = {k: queries.counts("dispute", n.code, x, now) for k, x in periods.items()}
    mixes = {k: {r["key"]: r["reported"] for r in queries.mix("dispute", n.code, x, "category")}
             for k, x in periods.items()}
    types = dict(DisputeType.choices)
    keys = sorted(set(mixes["now"]) | set(mixes["prev"]), key=lambda k: (-mixes["now"].get(k, 0), str(k)))
    by_type = [{"key": k, "name": str(types.get(k, k)),
                **trend(mixes["now"].get(k, 0), mixes["prev"].get(k, 0), mixes["yoy"].get(k, 0))} for k in keys]
    start, end = _day_range(periods["now"])
    qs = Dispute.objects.filter(lifecycle("dispute").place_q(n.code), created_at__gte=start, created_at__lt=end)
    grades = dict(qs.annotate(g=Coalesce(NullIf("risk_override", Value("")), F("risk_computed")))
                  .values("g").annotate(n=Count("pk")).values_list("g", "n"))
    outcomes = dict(qs.annotate(o=_outcome_expr()).values("o").annotate(n=Count("pk")).values_list("o", "n"))
    k_now = kpis_of(c["now"], "dispute")
    return {
        "reported": trend(c["now"]["reported"], c["prev"]["reported"], c["yoy"]["reported"]),
        "valid": c["now"]["valid"], "succeeded": c["now"]["succeeded"],
        "resolution_rate": percent(k_now.get("dispute_resolution_rate")),
        "local_rate": percent(k_now.get("local_rate")),
        "by_type": by_type,
        "by_grade": [{"key": g, "name": str(label), "count": grades.get(g, 0)} for g, label in RiskGrade.choices],
        "by_outcome": [{"key": o, "name": str(label), "count": outcomes.get(o, 0)} for o, label in OUTCOMES],
        "open_now": queries.open_now("dispute", n.level, n.code, now).get(n.code, {"open": 0, "overdue": 0}),
    }


def _petitions(n: Node, periods: dict[str, Period], now: datetime) -> dict:
    from gridgov.petitions.models import Petition
    from gridgov.petitions.sla import backlog_q

    c = {k: queries.counts("petition", n.code, x, now) for k, x in periods.items()}
    start, end = _day_range(periods["now"])
    region_q = Q(region__code__startswith=n.code)
    got = Petition.objects.filter(region_q, registered_at__gte=start, registered_at__lt=end).aggregate(
        repeats=Count("pk", filter=Q(repeat_of__isnull=False)), collective=Count("pk", filter=Q(is_collective=True)))
    k_now = kpis_of(c["now"], "petition")
    return {
        "received": trend(c["now"]["reported"], c["prev"]["reported"], c["yoy"]["reported"]),
        "repeats": got["repeats"], "collective": got["collective"],
        "backlog_now": Petition.objects.filter(region_q).filter(backlog_q(now)).count(),
        "closed": c["now"]["closed"], "reply_rate": percent(k_now.get("reply_rate")),
        "open_now": queries.open_now("petition", n.level, n.code, now).get(n.code, {"open": 0, "overdue": 0}),
    }


def merge_warnings(answers: list[dict]) -> dict | None:
    """The providers' answers as one (normally there is one provider); None when nothing answered."""
    if not answers:
        return None
    out = {"opened": 0, "open_now": 0, "by_level": dict.fromkeys(LEVELS, 0), "by_rule": {}, "rule_labels": {},
           "top": []}
    for a in answers:
        out["opened"] += int(a.get("opened") or 0)
        out["open_now"] += int(a.get("open_now") or 0)
        for lv, v in (a.get("by_level") or {}).items():
            out["by_level"][lv] = out["by_level"].get(lv, 0) + int(v or 0)
        for rule, v in (a.get("by_rule") or {}).items():
            out["by_rule"][rule] = out["by_rule"].get(rule, 0) + int(v or 0)
        out["rule_labels"].update(a.get("rule_labels") or {})
        out["top"].extend(a.get("top") or [])
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    out["top"].sort(key=lambda w: -rank.get(w.get("level"), -1))
    out["top"] = out["top"][:10]
    return out


def warnings_of(code: str, p: Period) -> dict | None:
    return merge_warnings(providers.collect(WARNING_SLOT, code, p.start, p.end))


def _keypersons(n: Node, p: Period, now: datetime) -> dict:
    from gridgov.stats.eval_keypersons import control_by_node

    on = min(p.end, timezone.localdate(now))
    in_hand, total = control_by_node(n.level, n.code, on).get(n.code, (0, 0))
    visits, on_time = visits_on_time(n.code, *_day_range(p))
    return {"under_management": total, "in_hand": in_hand, "not_in_hand": total - in_hand,
            "control_rate": percent(in_hand / total if total else None), "on": on.isoformat(),
            "visits": visits, "visits_on_time": on_time,
            "on_time_rate": percent(on_time / visits if visits else None)}


def visits_on_time(code: str, start: datetime, end: datetime) -> tuple[int, int]:
    """(visits, visits on time) made in [start, end) to key persons of ``code``'s subtree — the rule of
    :func:`gridgov.stats.eval_keypersons.visits_on_time` (on time: by the previous visit, or the listing
    date, plus the person's interval), by place instead of by worker."""
    from gridgov.registry.models import Visit
    from gridgov.stats.eval_keypersons import intervals

    days = intervals()
    longest = max(days.values(), default=30)
    rows = (Visit.objects.filter(key_person__resident__region__code__startswith=code,
                                 visited_at__gte=start - timedelta(days=longest + 1), visited_at__lt=end)
            .order_by("key_person_id", "visited_at", "id")
            .values_list("key_person_id", TruncDate("visited_at"), "key_person__category_id",
                         "key_person__risk_level", "key_person__since"))
    first_day = timezone.localdate(start)
    total = good = 0
    last: dict[int, date] = defaultdict(lambda: None)
    for kp, day, cat, risk, since in rows:
        if day >= first_day:
            due = (last[kp] or since) + timedelta(days=days.get((cat, risk), 30))
            total += 1
            good += day <= due
        last[kp] = day
    return total, good


# --- the analysis --------------------------------------------------------------------------------------


def region_node(code: str) -> Node:
    r = Region.objects.filter(code=code).values_list("name", "level").first()
    if r is None:
        from gridgov.core.errors import NotFound

        raise NotFound(_("区划不存在或不在您的管辖范围内"))
    return Node(code, r[0], r[1])


def analyse(code: str, p: Period | None = None, now: datetime | None = None) -> dict:
    """The analysis of the region ``code`` (scope is the caller's) for ``p`` (default: the current month)."""
    from gridgov.analysis import rules

    now = now or timezone.now()
    p = p or queries.period("month")
    n = region_node(code)
    periods = {"now": p, "prev": p.previous(), "yoy": same_period_last_year(p)}
    events = _events(n, periods, now)
    warnings = warnings_of(n.code, p)
    out = {
        "region": {"code": n.code, "name": n.name, "level": n.level, "level_name": n.level_name},
        "period": period_dict(p), "previous": period_dict(periods["prev"]),
        "last_year": period_dict(periods["yoy"]), "generated_at": now.isoformat(),
        "events": events, "disputes": _disputes(n, periods, now), "petitions": _petitions(n, periods, now),
        "warnings": warnings, "keypersons": _keypersons(n, p, now),
    }
    out["hotspots"] = rules.hotspots(events, warnings)
    out["rectification"] = rules.rectification(n, p, events)
    out["rules"] = rules.describe()
    return out

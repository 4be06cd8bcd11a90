"""跟踪: the events, disputes and petitions in an assessment's affected area since the decision was implemented,
against the same number of days just before — counted set-based for any number of assessments at once.

The windows are whole local days. With S the implementation start date, T today and W the window (days):
L = min(T − S + 1, W); *after* is the L days ending today, *before* the L days ending the day before S. While
the implementation is younger than W, *after* is exactly "since implementation"; later it is the latest W days,
still compared with the W days before implementation (the baseline does not move).

Which cases: every case of the kernel's ``event``, ``dispute`` and ``petition`` lifecycles whose region lies in
one of the affected regions, by the day it was reported (each lifecycle's ``reported_at_field``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy

from gridgov.cases.engine import lifecycle

KINDS = ("event", "dispute", "petition")
KIND_LABELS = {"event": gettext_lazy("事件"), "dispute": gettext_lazy("纠纷"), "petition": gettext_lazy("信访")}
MAX_CASES = 50


@dataclass
class Tracking:
    days: int
    before_from: date
    before_to: date
    after_from: date
    after_to: date
    before: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    after: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    cases: list[tuple[str, int]] = field(default_factory=list)

    @property
    def before_total(self) -> int:
        return sum(self.before.values())

    @property
    def after_total(self) -> int:
        return sum(self.after.values())

    @property
    def ratio(self) -> float:
        """after / before (before counted as at least 1)."""
        return self.after_total / max(self.before_total, 1)

    def rows(self) -> list[dict]:
        return [{"kind": k, "label": KIND_LABELS[k], "before": self.before[k], "after": self.after[k]} for k in KINDS]


def windows(started_on: date | None, today: date, window_days: int) -> Tracking | None:
    if started_on is None or today < started_on:
        return None
    days = min((today - started_on).days + 1, window_days)
    return Tracking(days=days, before_from=started_on - timedelta(days=days), before_to=started_on - timedelta(days=1),
                    after_from=today - timedelta(days=days - 1), after_to=today)


def _codes(a) -> list[str]:
    codes = sorted({r.code for r in a.affected_regions.all()})
    # a code under another one of the same assessment adds nothing (and would count cases twice)
    return [c for c in codes if not any(c != o and c.startswith(o) for o in codes)]


def _days_q(at: str, first: date, last: date) -> Q:
    """Reported on a local day in [first, last], as a range of the timestamp (its index serves it)."""
    start = timezone.make_aware(datetime.combine(first, time.min))
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
    return Q(**{f"{at}__gte": start, f"{at}__lt": end})


def _prefix_q(codes) -> Q:
    q = Q(pk__in=[])
    for c in codes:
        q |= Q(region__code__startswith=c)
    return q


def measure(assessments, now: datetime | None = None, window_days: int = 90, with_cases=lambda a, t: False
            ) -> dict[int, Tracking]:
    """``{assessment id: Tracking}`` for the assessments (their ``affected_regions`` prefetched) that have an
    implementation date reached by today. One grouped count query per kind, and one more per kind for the cases
    of the assessments ``with_cases(a, tracking)`` selects (at most :data:`MAX_CASES` each, newest first)."""
    today = timezone.localdate(now or timezone.now())
    out, codes = {}, {}
    for a in assessments:
        t = windows(a.implementation_started_on, today, window_days)
        if t is not None:
            out[a.pk], codes[a.pk] = t, _codes(a)
    if not out:
        return out
    every = sorted({c for cs in codes.values() for c in cs})
    # only the days of the windows (merged where they meet): an assessment implemented years ago reads its two
    # windows, not everything since
    spans = sorted(span for t in out.values() for span in ((t.before_from, t.before_to), (t.after_from, t.after_to)))
    merged = [list(spans[0])]
    for lo, hi in spans[1:]:
        if lo <= merged[-1][1] + timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    for kind in KINDS:
        lc = lifecycle(kind)
        at = lc.reported_at_field
        days = Q(pk__in=[])
        for lo, hi in merged:
            days |= _days_q(at, lo, hi)
        rows = (lc.model.objects.filter(_prefix_q(every), days)
                .annotate(day=TruncDate(at)).values("region__code", "day").annotate(n=Count("pk")).order_by())
        for row in rows:
            code, day, n = row["region__code"], row["day"], row["n"]
            for pk, t in out.items():
                if not any(code.startswith(c) for c in codes[pk]):
                    continue
                if t.after_from <= day <= t.after_to:
                    t.after[kind] += n
                elif t.before_from <= day <= t.before_to:
                    t.before[kind] += n
    wanted = [a for a in assessments if a.pk in out and with_cases(a, out[a.pk])]
    if wanted:
        _collect_cases(wanted, out, codes)
    return out


def _collect_cases(wanted, out: dict[int, Tracking], codes: dict[int, list[str]]) -> None:
    found: dict[int, list[tuple[datetime, str, int]]] = {a.pk: [] for a in wanted}
    for kind in KINDS:
        lc = lifecycle(kind)
        at = lc.reported_at_field
        q = Q(pk__in=[])
        for a in wanted:
            t = out[a.pk]
            q |= _prefix_q(codes[a.pk]) & _days_q(at, t.after_from, t.after_to)
        rows = lc.model.objects.filter(q).order_by(f"-{at}").values_list("pk", "region__code", at)[:MAX_CASES * len(wanted)]
        for pk, code, moment in rows:
            day = timezone.localdate(moment)
            for a in wanted:
                t = out[a.pk]
                if t.after_from <= day <= t.after_to and any(code.startswith(c) for c in codes[a.pk]):
                    found[a.pk].append((moment, kind, pk))
    for pk, rows in found.items():
        rows.sort(key=lambda r: r[0], reverse=True)
        out[pk].cases = [(kind, case_id) for _m, kind, case_id in rows[:MAX_CASES]]

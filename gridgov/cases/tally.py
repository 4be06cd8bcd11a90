"""The statistics rollups, kept in step with every transition by the engine.

Each lifecycle says what one case counts for right now — its :class:`Share`: the day it was reported, its
place, category and source, a 0/1 per measure (:data:`~gridgov.cases.models.TALLY_MEASURES`) and, while it
is open, the clocks time is judged against. The engine takes a case's share before a transition and after
it and adds the difference to the rollups in the same transaction (:func:`apply`), so

    rollup = the sum of the shares of every case, at every moment,

which is what :func:`recompute` computes from the cases themselves (the property test holds the two equal
after any sequence of actions, and ``manage.py tally_rebuild`` writes it when a base is first upgraded).

- :class:`~gridgov.cases.models.Tally` adds each share to the row of its day at each level of its place
  (city → county → township → community → grid), so a region's figures for a period are a sum over a few
  hundred rows of one level, whatever the size of the history;
- :class:`~gridgov.cases.models.TallyMix` adds it by month, category and source at the city, county and
  township levels;
- :class:`~gridgov.cases.models.OpenCase` holds one row per open case (what is overdue is counted at read
  time against "now", never stored);
- :class:`~gridgov.cases.models.DeptTally` counts what departments did, by the day they did it: a flow of
  the transition records that name a department (:meth:`Lifecycle.department_flows`); a flow ``-measure``
  takes one back on its day (a correction).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from gridgov.cases.models import (
    DEPT_MEASURES,
    MIX_MEASURES,
    TALLY_MEASURES,
    DeptTally,
    OpenCase,
    Tally,
    TallyMix,
)

# the code length of each level of a place's path (city, county, township, community, grid)
LEVEL_LENGTHS = {2: 4, 3: 6, 4: 9, 5: 12, 6: 15}
MIX_LEVELS = (2, 3, 4)


def levels_of(code: str) -> list[tuple[int, str]]:
    """``(level, code)`` of every node on a place's path, city first."""
    return [(lv, code[:n]) for lv, n in LEVEL_LENGTHS.items() if len(code) >= n]


def under(code: str, field: str = "code") -> Q:
    """``field`` starts with ``code``, as a range of the index (``code <= field < code's successor``):
    ``LIKE 'code%'`` is not answered from a plain index on SQLite (its LIKE ignores case) nor on a
    PostgreSQL database whose collation is not C. Codes are digits, so the successor is the last digit
    plus one (``'3715'`` → ``'3716'``; ``'9'`` → ``':'``, still above every digit). Empty: everything."""
    if not code:
        return Q()
    upper = code[:-1] + chr(ord(code[-1]) + 1)
    return Q(**{f"{field}__gte": code, f"{field}__lt": upper})


def level_of(code: str) -> int:
    for lv, n in LEVEL_LENGTHS.items():
        if len(code) == n:
            return lv
    raise ValueError(f"not a region or grid code: {code!r}")


@dataclass(frozen=True)
class Clock:
    """What an open case's time-dependent figures are judged against."""

    status: str
    deadline: datetime | None
    warn_at: datetime | None
    due_at: datetime | None


@dataclass(frozen=True)
class Share:
    """What one case counts for now."""

    day: date
    code: str
    category: str
    source: str
    counts: tuple[tuple[str, int], ...]  # (measure, 0/1) for the measures that are 1
    clock: Clock | None = None  # None: not open
    extra: dict = field(default_factory=dict, compare=False)

    def count(self, measure: str) -> int:
        return dict(self.counts).get(measure, 0)


def make_share(lc, case, counts: dict[str, int], is_open: bool) -> Share:
    """The share of ``case`` with the lifecycle's counts; the kernel fills in the rest."""
    unknown = set(counts) - set(TALLY_MEASURES)
    if unknown:
        raise ValueError(f"{lc.kind}: unknown measures {sorted(unknown)}")
    reported_at = lc.reported_at(case)
    clock = Clock(case.status, case.deadline, case.warn_at, case.due_at) if is_open else None
    return Share(
        day=timezone.localdate(reported_at), code=lc.place_code(case), category=(lc.category_of(case) or "")[:32],
        source=(lc.source_of(case) or "")[:16], counts=tuple(sorted((k, 1) for k, v in counts.items() if v)),
        clock=clock,
    )


# --- the deltas -------------------------------------------------------------------------------

class Delta:
    """The difference a set of transitions makes, gathered, then written with one upsert per table."""

    def __init__(self) -> None:
        self.tally: dict[tuple, Counter] = defaultdict(Counter)
        self.mix: dict[tuple, Counter] = defaultdict(Counter)
        self.open_rows: dict[tuple, tuple | None] = {}  # (kind, case_id) -> row values, None: delete
        self.new_cases: set[tuple] = set()  # (kind, case_id) of cases opened here: no OpenCase row to replace
        self.dept: dict[tuple, Counter] = defaultdict(Counter)

    def add(self, kind: str, share: Share | None, sign: int) -> None:
        if share is None or not share.counts:
            return
        month = share.day.replace(day=1)
        for level, code in levels_of(share.code):
            row = self.tally[(kind, level, code, share.day)]
            for m, v in share.counts:
                row[m] += sign * v
            if level in MIX_LEVELS:
                mix = self.mix[(kind, level, code, month, share.category, share.source)]
                for m, v in share.counts:
                    if m in MIX_MEASURES:
                        mix[m] += sign * v

    def change(self, kind: str, case_id: int, before: Share | None, after: Share | None, new: bool = False
               ) -> None:
        if new:
            self.new_cases.add((kind, case_id))
        if before != after:
            self.add(kind, before, -1)
            self.add(kind, after, +1)
        if (before and before.clock) != (after and after.clock) or (after and after.clock and before != after):
            if after is not None and after.clock is not None:
                c = after.clock
                self.open_rows[(kind, case_id)] = (after.code, after.day, c.status, after.category, c.deadline,
                                                    c.warn_at, c.due_at)
            elif before is not None and before.clock is not None:
                self.open_rows[(kind, case_id)] = None

    def flow(self, kind: str, day: date, department_id: int, measure: str) -> None:
        """Count one of ``measure`` on ``day``; ``-measure`` takes one back (a correction, such as a higher-ranked
        rating turning a department's 满意 into 不满意: the day's row may go below zero, a period's sum is right)."""
        sign, name = (-1, measure[1:]) if measure.startswith("-") else (1, measure)
        if name not in DEPT_MEASURES:
            raise ValueError(f"unknown department measure {measure!r}")
        self.dept[(kind, department_id, day)][name] += sign

    def write(self) -> None:
        _upsert(Tally, ("kind", "level", "code", "day"), TALLY_MEASURES, self.tally)
        _upsert(TallyMix, ("kind", "level", "code", "month", "category", "source"), MIX_MEASURES, self.mix)
        _upsert(DeptTally, ("kind", "department_id", "day"), DEPT_MEASURES, self.dept)
        self._write_open()

    def _write_open(self) -> None:
        gone = [key for key, row in self.open_rows.items() if row is None]
        rows = {key: row for key, row in self.open_rows.items() if row is not None}
        by_kind: dict[str, list[int]] = defaultdict(list)
        for kind, case_id in list(gone) + list(rows):
            if (kind, case_id) not in self.new_cases:
                by_kind[kind].append(case_id)
        for kind, ids in by_kind.items():
            OpenCase.objects.filter(kind=kind, case_id__in=ids).delete()
        if rows:
            OpenCase.objects.bulk_create([
                OpenCase(kind=kind, case_id=case_id, code=code, day=day, status=status, category=category,
                         deadline=deadline, warn_at=warn_at, due_at=due_at)
                for (kind, case_id), (code, day, status, category, deadline, warn_at, due_at) in rows.items()
            ])


def _upsert(model, keys: tuple[str, ...], measures: tuple[str, ...], rows: dict[tuple, Counter]) -> None:
    """Add ``rows`` (key → measure deltas) to ``model``'s table: one INSERT … ON CONFLICT DO UPDATE
    (SQLite ≥ 3.24 and PostgreSQL) that adds, never overwrites — so concurrent transitions compose."""
    rows = {k: c for k, c in rows.items() if any(c.values())}
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    q = connection.ops.quote_name
    cols = [*keys, *measures]
    updates = ", ".join(f"{q(m)} = {table}.{q(m)} + excluded.{q(m)}" for m in measures)
    ordered = sorted(rows.items(), key=lambda kv: tuple(str(x) for x in kv[0]))  # one lock order for all
    with connection.cursor() as cur:
        for start in range(0, len(ordered), 200):
            chunk = ordered[start:start + 200]
            values = ", ".join(["(" + ", ".join(["%s"] * len(cols)) + ")"] * len(chunk))
            params: list = []
            for key, counter in chunk:
                params.extend(key)
                params.extend(counter.get(m, 0) for m in measures)
            cur.execute(
                f"INSERT INTO {table} ({', '.join(q(c) for c in cols)}) VALUES {values} "
                f"ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET {updates}",
                params,
            )


def apply(lc, case_id: int, before: Share | None, after: Share | None,
          flows: Iterable[tuple[date, int, str]] = (), new: bool = False) -> None:
    """Add one transition's difference to the rollups (the engine calls this inside the transaction).
    ``new``: the case is being opened in this transaction, so it has no OpenCase row yet."""
    delta = Delta()
    delta.change(lc.kind, case_id, before, after, new=new)
    for day, department_id, measure in flows:
        delta.flow(lc.kind, day, department_id, measure)
    delta.write()


# --- recomputation ----------------------------------------------------------------------------

def shares(lc, chunk: int = 2000) -> Iterable[tuple[int, Share | None]]:
    """``(case id, share)`` of every case of a lifecycle, read in keyset pages."""
    qs = lc.model.objects.select_related(*lc.tally_related).order_by("pk")
    last = 0
    while True:
        page = list(qs.filter(pk__gt=last)[:chunk])
        if not page:
            return
        for case in page:
            yield case.pk, lc.share(case)
        last = page[-1].pk


def recompute(lifecycles) -> Delta:
    """The rollups as they should be: every case's share summed again, and the department flows counted
    again from the transition records (each record names its department and the measures it counted)."""
    from gridgov.cases.models import TransitionRecord

    delta = Delta()
    kinds = []
    for lc in lifecycles:
        kinds.append(lc.kind)
        for case_id, share in shares(lc):
            delta.change(lc.kind, case_id, None, share)
    records = (TransitionRecord.objects.filter(kind__in=kinds, department__isnull=False).exclude(flows="")
               .values_list("kind", "department_id", "at", "flows").iterator())
    for kind, department_id, at, flows in records:
        for measure in flows.split(","):
            delta.flow(kind, timezone.localdate(at), department_id, measure)
    return delta


def stored() -> dict[str, dict]:
    """What the rollup tables hold now, in the shape of :func:`recompute`'s delta (zero rows left out)."""
    out: dict[str, dict] = {"tally": {}, "mix": {}, "dept": {}, "open": {}}
    for row in Tally.objects.values("kind", "level", "code", "day", *TALLY_MEASURES):
        c = Counter({m: row[m] for m in TALLY_MEASURES if row[m]})
        if c:
            out["tally"][(row["kind"], row["level"], row["code"], row["day"])] = c
    for row in TallyMix.objects.values("kind", "level", "code", "month", "category", "source", *MIX_MEASURES):
        c = Counter({m: row[m] for m in MIX_MEASURES if row[m]})
        if c:
            out["mix"][(row["kind"], row["level"], row["code"], row["month"], row["category"], row["source"])] = c
    for row in DeptTally.objects.values("kind", "department_id", "day", *DEPT_MEASURES):
        c = Counter({m: row[m] for m in DEPT_MEASURES if row[m]})
        if c:
            out["dept"][(row["kind"], row["department_id"], row["day"])] = c
    for r in OpenCase.objects.values_list("kind", "case_id", "code", "day", "status", "category", "deadline",
                                          "warn_at", "due_at"):
        out["open"][(r[0], r[1])] = tuple(r[2:])
    return out


def expected(delta: Delta) -> dict[str, dict]:
    """A recomputed delta in the shape of :func:`stored`."""
    def nonzero(rows):
        return {k: Counter({m: v for m, v in c.items() if v}) for k, c in rows.items() if any(c.values())}

    return {"tally": nonzero(delta.tally), "mix": nonzero(delta.mix), "dept": nonzero(delta.dept),
            "open": {k: v for k, v in delta.open_rows.items() if v is not None}}


def backfill_due(lifecycles, chunk: int = 1000) -> int:
    """Give the cases of a base older than the 办结时限 their ``due_at`` and, when closed, ``closed_on_time``,
    as each lifecycle would have recorded them (:meth:`Lifecycle.backfill_due`); keyset pages, one bulk update
    a page. Returns how many cases got them."""
    done = 0
    for lc in lifecycles:
        qs = lc.model.objects.filter(due_at__isnull=True).select_related(*lc.tally_related).order_by("pk")
        last = 0
        while True:
            page = list(qs.filter(pk__gt=last)[:chunk])
            if not page:
                break
            last = page[-1].pk
            changed = [case for case in page if lc.backfill_due(case)]
            if changed:
                lc.model.objects.bulk_update(changed, ["due_at", "closed_on_time"])
                done += len(changed)
    return done


def rebuild(lifecycles) -> dict[str, int]:
    """Replace the rollups with a recomputation (an upgrade's first run, or a repair); returns row counts.
    Cases older than the 办结时限 get theirs first (:func:`backfill_due`)."""
    from django.db import transaction

    lifecycles = list(lifecycles)
    backfilled = backfill_due(lifecycles)
    delta = recompute(lifecycles)
    with transaction.atomic():
        for model in (Tally, TallyMix, DeptTally, OpenCase):
            model.objects.all().delete()
        delta.write()
    return {"tally": Tally.objects.count(), "mix": TallyMix.objects.count(), "dept": DeptTally.objects.count(),
            "open": OpenCase.objects.count(), "backfilled": backfilled}

"""The warning engine: run every enabled rule and turn its signals into warnings.

:func:`run_rules` calls each enabled rule (its :class:`~gridgov.warnings.models.RuleConfig` over the spec's
defaults) and :func:`upsert` s what it yields. A rule that raises is logged and reported; the others still
run. :func:`upsert` is the de-duplication: a signal whose key has an open warning updates it (numbers,
explanation, cases, point, last_seen, times_seen; a higher level is the system's ``raise_level`` transition,
logged and notified), otherwise it opens a new one. The open warnings of a batch, their places and centers
are read with one query each, not one per signal.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from gridgov.cases import warnrules
from gridgov.cases.numbers import next_number
from gridgov.regions import outlines
from gridgov.regions.models import Grid, Region
from gridgov.warnings import workflow
from gridgov.warnings.config import effective
from gridgov.warnings.models import CLOSED_STATUSES, OPEN_STATUSES, RuleConfig, Warning, WarningCase

log = logging.getLogger(__name__)
CENTER_CODE_LENGTHS = (9, 6, 4)  # township, county, city: the levels that run a center
KEY_LENGTH = Warning._meta.get_field("key").max_length


class Places:
    """Code → (region, center) for a batch of grid or region codes, read with two queries."""

    def __init__(self, codes: Iterable[str]):
        codes = {c for c in codes if c}
        grids = {g.code: g.community_id for g in Grid.objects.filter(code__in=[c for c in codes if len(c) > 12])}
        wanted = set()
        for c in codes:
            wanted.update(c[:n] for n in (2, 4, 6, 9, 12) if n <= len(c))
        self.regions = {r.code: r for r in Region.objects.filter(code__in=wanted)}
        by_id = {r.pk: r for r in self.regions.values()}
        missing = [i for i in grids.values() if i not in by_id]
        for r in Region.objects.filter(pk__in=missing):
            by_id[r.pk] = r
            self.regions[r.code] = r
        self.grids = {code: by_id.get(rid) for code, rid in grids.items()}

    def region(self, code: str) -> Region | None:
        if len(code) > 12:
            return self.grids.get(code)
        return self.regions.get(code)

    def center(self, region: Region) -> Region | None:
        for n in CENTER_CODE_LENGTHS:
            if len(region.code) >= n and region.code[:n] in self.regions:
                return self.regions[region.code[:n]]
        return None


def _set_cases(w: Warning, cases: list[tuple[str, int]]) -> None:
    wanted = {(k, int(i)) for k, i in cases}
    have = set(w.cases.values_list("kind", "case_id")) if w.pk else set()
    gone = have - wanted
    for kind, case_id in gone:
        w.cases.filter(kind=kind, case_id=case_id).delete()
    WarningCase.objects.bulk_create([WarningCase(warning=w, kind=k, case_id=i) for k, i in sorted(wanted - have)])


def _fill(w: Warning, s: warnrules.Signal, now: datetime) -> None:
    w.title, w.explanation, w.numbers = s.title[:200], s.explanation, s.numbers
    point = s.point
    if not point:
        # a condition of a place without a point of its own (a grid's visits, a township's petitions) is shown at
        # the centre of that grid or region on the board's map; None when the place has no outline
        try:
            point = outlines.current().center(s.code)
        except Exception:  # the map is an extra: a bad outline must not stop the sweep
            log.exception("no centre for %s", s.code)
            point = None
    w.lng, w.lat = point if point else (None, None)
    w.last_seen = now


def _recently_closed(keys: list[str], now: datetime) -> dict[str, str]:
    """The keys among ``keys`` whose warning a person closed (已解除 or 误报) within WARNING_QUIET_DAYS, with the
    highest level it was closed at."""
    days = settings.GRIDGOV.get("WARNING_QUIET_DAYS", 7)
    out: dict[str, str] = {}
    if not keys or days <= 0:
        return out
    for i in range(0, len(keys), 500):
        for key, level in (Warning.objects.filter(key__in=keys[i:i + 500], status__in=CLOSED_STATUSES,
                                                  closed_at__gte=now - timedelta(days=days))
                           .values_list("key", "level")):
            out[key] = warnrules.higher(out.get(key, level), level)
    return out


def upsert(signals: Iterable[warnrules.Signal], now: datetime | None = None) -> dict[str, int]:
    """Open or update one warning per signal key; ``{"opened", "updated", "raised", "skipped", "quiet"}``."""
    now = now or timezone.now()
    # one signal per key (the last wins); a key is at most KEY_LENGTH characters, cut the same way everywhere
    signals = list({s.key[:KEY_LENGTH]: s for s in signals}.values())
    counts = {"opened": 0, "updated": 0, "raised": 0, "skipped": 0, "quiet": 0}
    if not signals:
        return counts
    places = Places(s.code for s in signals)
    open_by_key = {}
    keys = [s.key[:KEY_LENGTH] for s in signals]
    for i in range(0, len(keys), 500):
        for w in Warning.objects.filter(status__in=OPEN_STATUSES, key__in=keys[i:i + 500]).select_related("center"):
            open_by_key[w.key] = w
    closed = _recently_closed([k for k in keys if k not in open_by_key], now)
    for s in signals:
        if s.level not in warnrules.LEVELS:
            log.warning("rule %s: signal %s has no valid level %r", s.rule, s.key, s.level)
            counts["skipped"] += 1
            continue
        key = s.key[:KEY_LENGTH]
        w = open_by_key.get(key)
        if w is None and key in closed and warnrules.LEVELS.index(s.level) <= warnrules.LEVELS.index(closed[key]):
            counts["quiet"] += 1  # closed lately by a person at this level or higher: not raised again yet
            continue
        if w is None:
            region = places.region(s.code)
            center = places.center(region) if region is not None else None
            if center is None:
                log.warning("rule %s: signal %s names no known place %r", s.rule, s.key, s.code)
                counts["skipped"] += 1
                continue
            try:
                with transaction.atomic():
                    w = Warning(number=next_number(timezone.localdate(now), "YJ"), rule=s.rule, key=key,
                                level=s.level, region=region, center=center, code=s.code, first_seen=now,
                                times_seen=1, created_at=now)
                    _fill(w, s, now)
                    workflow.open_warning(w, now)
                    _set_cases(w, s.cases)
                counts["opened"] += 1
                continue
            except IntegrityError:  # another sweep opened it meanwhile: update that one
                w = Warning.objects.select_related("center").filter(status__in=OPEN_STATUSES, key=key).first()
                if w is None:
                    raise
        with transaction.atomic():
            _fill(w, s, now)
            w.times_seen += 1
            w.save(update_fields=["title", "explanation", "numbers", "lng", "lat", "last_seen", "times_seen",
                                  "updated_at"])
            _set_cases(w, s.cases)
            if warnrules.LEVELS.index(s.level) > warnrules.LEVELS.index(w.level):
                workflow.perform(w, "raise_level", workflow.SYSTEM, {"level": s.level, "note": s.explanation},
                                 now=now)
                counts["raised"] += 1
            # a lower level is not taken: an open warning keeps the highest level it reached (the figures show
            # how things stand now), so a rule that flaps neither rewrites the level outside the lifecycle nor
            # notifies the same rise twice
        counts["updated"] += 1
    return counts


def run_rules(now: datetime | None = None, only: Iterable[str] | None = None) -> dict[str, dict]:
    """Run every enabled rule (or the ``only`` ones) and upsert its signals: ``{rule: counts}``; a rule
    that fails is logged and reported as ``{"error": …}``, and the others still run."""
    now = now or timezone.now()
    configs = {c.rule: c for c in RuleConfig.objects.all()}
    out: dict[str, dict] = {}
    for spec in warnrules.rules():
        if only is not None and spec.key not in only:
            continue
        enabled, params = effective(spec, configs)
        if not enabled:
            out[spec.key] = {"disabled": 1}
            continue
        try:
            signals = list(spec.fn(now, params))
            out[spec.key] = {"signals": len(signals), **upsert(signals, now)}
        except Exception as exc:  # one rule failing must not stop the others
            log.exception("warning rule %s failed", spec.key)
            out[spec.key] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
    return out

"""Evaluation of grid workers (网格员考核), weekly or monthly, ranked within their township and county.

For every active grid worker of a county, at once (a fixed number of GROUP BY queries, whatever the number
of workers):

- 活跃天数: distinct days with any recorded activity — a transition or note on any case (the lifecycles'
  logs: reporting an event is its first log row), a registry change (一标三实 collected or updated), a
  key-person visit, a recorded view or export of personal data, the last login and the last use of an API
  token (only the latest of each is kept, so they add at most a day each) — against the working days of
  the period that have passed (:mod:`gridgov.worktime`);
- 信息采集/更新: the registry's change rows they wrote (created; updated or moved);
- 上报事件: events they reported in the period, and the valid ones (not rejected, not merged);
- 就地解决: events they reported in the period and resolved on the spot (closed);
- 走访: their visits in the period and those made on time; and the 动态掌控率 of the key persons they are
  responsible for on the period's last (or current) day.

Score: :func:`gridgov.stats.evaluation.weighted_index` of the components (each count against its weekly
target prorated to the days of the period that have passed, capped at 1). docs/evaluation.md gives it all.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import ApiToken, User
from gridgov.cases.engine import lifecycles
from gridgov.core.errors import ValidationFailed
from gridgov.events.models import Event
from gridgov.events.models import Status as EventStatus
from gridgov.regions.models import GridStaff, Region
from gridgov.registry.models import AccessLog, Change, Visit
from gridgov.stats import eval_config
from gridgov.stats.eval_keypersons import control_by_worker, visits_on_time
from gridgov.stats.evaluation import Component, assign_ranks, round2, weighted_index
from gridgov.stats.queries import Node, Period, root_of
from gridgov.worktime.calendar import Calendar

WORKER_COMPONENTS = {
    "active_days": _("活跃天数"),
    "records": _("信息采集/更新"),
    "events": _("有效上报事件"),
    "on_spot": _("就地解决"),
    "control_rate": _("重点人员动态掌控率"),
}
NOT_VALID = (EventStatus.REJECTED, EventStatus.MERGED)


def _midnight(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, datetime.min.time()))


def elapsed(p: Period, now: datetime | None = None) -> tuple[date, int, int]:
    """The period's last day so far, its days so far and its working days so far."""
    last = min(p.end, timezone.localdate(now or timezone.now()))
    days = max((last - p.start).days + 1, 0)
    cal = Calendar()
    if days:
        cal.preload(p.start, last)
    work = sum(1 for i in range(days) if cal.is_workday(p.start + timedelta(days=i))[0])
    return last, days, work


def workers_of(county: str):
    return User.objects.filter(role=User.Role.GRID_WORKER, is_active=True, region__code__startswith=county)


def active_days(workers, start: datetime, end: datetime) -> dict[int, int]:
    """Distinct local days with any recorded activity in [start, end), by worker: the (worker, day) pairs
    of every source in one UNION, counted by the database (a row per worker comes back, not per day)."""
    sources = [(lc.log_model.objects.all(), "actor", "created_at") for lc in lifecycles()]
    sources += [(Change.objects.all(), "actor", "created_at"), (Visit.objects.all(), "worker", "visited_at"),
                (AccessLog.objects.all(), "actor", "created_at"), (ApiToken.objects.all(), "user", "last_used_at"),
                (workers, "id", "last_login")]
    parts, params = [], []
    for qs, who, at in sources:
        column = "pk" if who == "id" else f"{who}_id"
        part = (qs.filter(**{f"{who}__in": workers, f"{at}__gte": start, f"{at}__lt": end}) if who != "id"
                else qs.filter(**{f"{at}__gte": start, f"{at}__lt": end}))
        sql, p = (part.order_by().values(uid=F(column), d=TruncDate(at)).query.sql_with_params())
        parts.append(sql)
        params.extend(p)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT uid, COUNT(*) FROM ({' UNION '.join(parts)}) activity GROUP BY uid", params)
        return dict(cursor.fetchall())


def _figures(county: str, p: Period, now: datetime | None) -> dict[int, dict]:
    scheme = eval_config.scheme("worker")
    last, days, workdays = elapsed(p, now)
    start, end = _midnight(p.start), _midnight(last + timedelta(days=1))
    workers = workers_of(county)
    people = list(workers.values_list("pk", "username", "full_name", "region__code", "region__name"))
    act = active_days(workers, start, end)
    events = {r["reporter_id"]: r for r in Event.objects.filter(
        reporter__in=workers, created_at__gte=start, created_at__lt=end).order_by().values("reporter_id").annotate(
        reported=Count("pk"), valid=Count("pk", filter=~Q(status__in=NOT_VALID)),
        on_spot=Count("pk", filter=Q(resolved_on_spot=True, status=EventStatus.CLOSED)))}
    changes = {r["actor_id"]: r for r in Change.objects.filter(
        actor__in=workers, created_at__gte=start, created_at__lt=end).order_by().values("actor_id").annotate(
        created=Count("pk", filter=Q(action="create")), updated=Count("pk", filter=Q(action__in=("update", "move"))))}
    visits = visits_on_time(workers, start, end)
    control = control_by_worker(workers, last)
    grids = defaultdict(list)
    for uid, gname in (GridStaff.objects.filter(user__in=workers).order_by("grid__code")
                       .values_list("user_id", "grid__name")):
        grids[uid].append(gname)
    share = days / 7 if days else 0
    target = {k: v * share for k, v in scheme.targets.items()}
    shown_targets = {k: round2(v) for k, v in target.items()}
    out = {}
    for uid, username, full_name, rcode, rname in people:
        e = events.get(uid, {})
        ch = changes.get(uid, {})
        records = ch.get("created", 0) + ch.get("updated", 0)
        n_visits, on_time = visits.get(uid, (0, 0))
        covered, managed = control.get(uid, (0, 0))
        comps = [
            Component("active_days", act.get(uid, 0), workdays),
            Component("records", records, target.get("records", 0)),
            Component("events", e.get("valid", 0), target.get("events", 0)),
            Component("on_spot", e.get("on_spot", 0), target.get("on_spot", 0)),
            Component("control_rate", covered, managed),
        ]
        out[uid] = {
            "id": uid, "username": username, "name": full_name or username,
            "region": rcode, "region_name": rname, "township": rcode[:9] if len(rcode) >= 9 else None,
            "grids": grids.get(uid, []),
            "active_days": act.get(uid, 0), "workdays": workdays,
            "records_created": ch.get("created", 0), "records_updated": ch.get("updated", 0), "records": records,
            "events_reported": e.get("reported", 0), "events_valid": e.get("valid", 0),
            "on_spot": e.get("on_spot", 0), "visits": n_visits, "visits_on_time": on_time,
            "key_persons": managed, "key_persons_in_hand": covered,
            "targets": shown_targets,
            "components": {c.key: c.as_dict() for c in comps},
            "score": weighted_index(comps, scheme.weights),
        }
    _rank_within(out.values())
    return out


def _rank_within(rows) -> None:
    rows = list(rows)
    assign_ranks(rows, "score", "county_rank")
    by_township = defaultdict(list)
    for r in rows:
        by_township[r["township"]].append(r)
    for township, group in by_township.items():
        if township:
            assign_ranks(group, "score", "township_rank")
        else:
            for r in group:
                r["township_rank"] = None


def rank_workers(user, n: Node, p: Period, now: datetime | None = None) -> list[dict]:
    """The grid workers of a county, township or community (``n``, in the viewer's scope), with their
    figures, score, rank within their township and — when the viewer sees the whole county — within the
    county, and the change against the period before."""
    if n.level not in (3, 4, 5):
        raise ValidationFailed(_("网格员排名请选择县(区)、乡镇(街道)或村(社区)"),
                               {"code": [_("请选择县(区)、乡镇(街道)或村(社区)")]})
    county = n.code[:6]
    rows = [r for r in _figures(county, p, now).values() if r["region"].startswith(n.code)]
    before = _figures(county, p.previous(), now)
    sees_county = (root := root_of(user)) is not None and len(root.code) <= len(county)
    names = dict(Region.objects.filter(code__in={r["township"] for r in rows if r["township"]})
                 .values_list("code", "name"))
    for r in rows:
        b = before.get(r["id"], {})
        r["township_name"] = names.get(r["township"], "")
        r["previous_score"] = b.get("score")
        r["score_change"] = (round2(r["score"] - b["score"]) if r["score"] is not None
                             and b.get("score") is not None else None)
        for scope in ("township", "county"):
            now_rank, was = r[f"{scope}_rank"], b.get(f"{scope}_rank")
            r[f"previous_{scope}_rank"] = was
            r[f"{scope}_rank_change"] = was - now_rank if now_rank is not None and was is not None else None
        if not sees_county:
            for k in ("county_rank", "previous_county_rank", "county_rank_change"):
                r[k] = None
    return sorted(rows, key=lambda r: (r["township"] or "", r["township_rank"] is None, r["township_rank"] or 0,
                                       r["name"]))

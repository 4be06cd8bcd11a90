"""City-scale data generator for the benchmarks in bench/run.py.  A benchmark fixture, not a test.

    .venv/bin/python bench/generate.py [--events 200000] [--grids 15000] [--seed 2026] [--rollups sql|python|none]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_bench .venv/bin/python bench/generate.py --reset

Where it writes
---------------
A SEPARATE database, never the demo one: by default a fresh SQLite file
``bench/out/bench.sqlite3`` (git-ignored; deleted and recreated on every run), or the
database in ``DATABASE_URL`` (PostgreSQL).  A PostgreSQL database that already has tables is
refused unless ``--reset`` is given, which drops and recreates its ``public`` schema.

What it creates
---------------
1. ``migrate``, then the real 聊城 divisions (``data/divisions/3715``: 1 city, 8 counties,
   136 townships, 2,408 communities) through ``regions.services.import_divisions``.
2. Grids, ~15,000 (``--grids``):
   * ``generate_demo_grids(per_community=2)`` — the project's own synthetic layout: two
     rectangles per real community (codes ``…001``/``…002``) plus the one school grid (``…901``)
     in a hole of the first community's grid: 4,817 grids;
   * then, to reach city scale, every community except the first (the one with the school hole)
     is SUBDIVIDED: its layout cell (``demo_layout``) is cut into 2 + k rectangles in rows, with
     no gaps and no overlaps; grids 001 and 002 are shrunk to the first two rectangles (boundary
     and ``updated_at`` rewritten) and k synthetic grids with codes community + ``101``, ``102`` …
     take the rest (k = 4 or 5 so the total is ``--grids``).  Boundaries stay synthetic.
3. The 15 city departments and the default taxonomy (``install_default_categories``).
4. Users: admin, the city operator ``op_city``, an operator ``op_<code>`` for every county and
   township center, a leader ``leader_<county>`` per county, a liaison ``liaison_<DEPT>`` per
   department, and one grid worker ``gw_<grid code>`` per general grid (with its GridStaff row).
5. ``--events`` events (default 200,000) reported over the 365 days before the generation
   time (``as_of``), weighted to working hours, with per-event lifecycles whose durations are
   drawn from log-normal distributions (a small share of cases is stuck for weeks), so the
   states at ``as_of`` come out in realistic proportions: mostly closed, a few thousand open,
   some of them near due or overdue.  20 "busy spots" (markets, school gates) get 3 % of the
   events, clustered within ~100 m, mostly of one category.

6. The statistics rollups (``--rollups``, default ``sql``): ``Tally``, ``TallyMix``, ``OpenCase`` and
   ``DeptTally`` filled from the events and their records by bench/rollups.py's set-based rebuild
   (``python``: the kernel's ``tally.rebuild``, much slower at millions; ``none``: left empty).

ROWS ARE WRITTEN DIRECTLY, FOR VOLUME
-------------------------------------
Events, their EventLog rows (one per transition, consistent with the final state:
report → accept → dispatch → sign → feedback → verify_pass → rate, with reject / merge /
resolve-on-spot / rework variants), the statistics record of each transition
(``cases.TransitionRecord``), the department M2M rows and the DailySequence counters are
bulk-inserted (log rows and records as plain ``executemany`` rows), NOT driven through
``workflow.perform``: 200,000 cases through the workflow would take hours.  The workflow itself is exercised by the test suite (and create_event is measured
through the real service by bench/run.py).  What is kept consistent with the workflow:

* numbers are ``SJ`` + local date + 5-digit daily sequence, unique, in report order, and the
  ``DailySequence`` rows are set to the last number used, so ``next_number`` continues;
* an open event carries the deadline of its current stage computed with one reused
  ``gridgov.worktime.calendar.Calendar`` (acceptance: ``ACCEPT_LIMIT`` from the report — the
  ``accept`` transition keeps it; handling: the category's limit from the dispatch; verification:
  ``VERIFY_LIMIT`` from the feedback), and ``warn_at`` computed exactly as
  ``workflow.warn_moment`` does (``NEAR_DUE_RATIO`` of the working time), on the same Calendar;
  closed, rejected and merged events have no stage;
* ``lead_department``, ``involved_departments``/``assisting_departments``, ``closed_at``,
  ``result``, ``rating``, ``rework_count``, ``resolved_on_spot`` and ``merged_into`` match the log;
* ``due_at`` (办结时限) is ``workflow.due_moment`` at the report (acceptance + the category's limit +
  verification, in working time) and ``closed_on_time`` is ``closed_at <= due_at`` for closed events;
* each record carries what ``engine.record`` would: the actor's role, ``on_time`` against the deadline
  of the stage the action ended (None where none ran), and the department and measures of
  ``EventLifecycle.department_flows``. ``bench/rollups.py --replay N`` drives N generated events again
  through the real engine (rolled back) and compares event fields and records one by one.

No SlaNotice rows are written: bench/run.py's first sweep therefore sees the whole backlog.
The generation time (``as_of``), the busy spots and the counts are stored in a ``bench_meta``
table so bench/run.py can pin "now" to ``as_of``.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import math
import random
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

SOURCES = [  # (source, weight)
    ("grid_patrol", 45), ("citizen", 25), ("hotline", 22), ("video", 4), ("department", 2), ("superior", 2),
]
CATEGORY_GROUP_WEIGHT = {"01": 1.0, "02": 1.0, "03": 2.2, "04": 0.6}  # city management is the bulk
HOTSPOTS = 20
HOTSPOT_SHARE = 0.03
HOTSPOT_CATEGORIES = ["0303", "0304", "0301", "0308", "0305", "0201"]
CHUNK = 10_000


# ------------------------------------------------------------------------------------------------ setup


def prepare_database(url: str, reset: bool) -> None:
    if benchlib.is_sqlite(url):
        path = benchlib.sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(path) + suffix)
            if p.exists():
                p.unlink()
        return
    from django.db import connection

    tables = connection.introspection.table_names()
    if tables:
        if not reset:
            sys.exit(f"{url} already has {len(tables)} tables; pass --reset to drop and recreate its public schema")
        with connection.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE")
            cur.execute("CREATE SCHEMA public")


def timed(label: str, timings: dict):
    class _T:
        def __enter__(self):
            self.t = time.perf_counter()
            print(f"· {label} …", flush=True)

        def __exit__(self, *exc):
            timings[label] = round(time.perf_counter() - self.t, 2)
            print(f"  {label}: {timings[label]:.1f} s", flush=True)

    return _T()


# ------------------------------------------------------------------------------------------------ grids


def split_box(box, n: int):
    """Cut ``box`` into ``n`` rectangles in rows (each row its own column count): no gaps, no overlaps."""
    from gridgov.regions.services import _edges

    x0, y0, x1, y1 = box
    ground_w = (x1 - x0) * math.cos(math.radians((y0 + y1) / 2))
    rows = max(1, min(n, round(math.sqrt(n * (y1 - y0) / ground_w))))
    per_row = [n // rows + (1 if r < n % rows else 0) for r in range(rows)]
    ys = _edges(y1, y0, rows)  # north to south
    out = []
    for r, cols in enumerate(per_row):
        xs = _edges(x0, x1, cols)
        out.extend((xs[c], ys[r + 1], xs[c + 1], ys[r]) for c in range(cols))
    return out


def subdivide_grids(target_total: int) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from gridgov.regions import spatial
    from gridgov.regions.models import Grid, Region
    from gridgov.regions.services import (
        BULK_BATCH,
        ORDINALS,
        _demo_households,
        _rectangle,
        community_short_name,
        demo_layout,
    )

    communities = list(
        Region.objects.filter(level=Region.Level.COMMUNITY, code__startswith=benchlib.CITY)
        .order_by("code").values_list("code", "name", "id")
    )
    cells = demo_layout([c for c, _n, _i in communities])
    existing = {g.code: g for g in Grid.objects.filter(code__startswith=benchlib.CITY)}
    eligible = communities[1:]  # the first community keeps its school hole as generate_demo_grids drew it
    need = max(0, target_total - len(existing))
    base, rem = divmod(need, len(eligible))
    now = timezone.now()
    to_update, to_create = [], []
    for i, (code, name, cid) in enumerate(eligible):
        extra = base + (1 if i < rem else 0)
        if extra == 0:
            continue
        if extra > 99:
            raise SystemExit("too many grids per community (codes 101–199)")
        tiles = split_box(cells[code], 2 + extra)
        for seq, tile in ((1, tiles[0]), (2, tiles[1])):
            g = existing[f"{code}{seq:03d}"]
            g.boundary, g.updated_at = _rectangle(tile), now
            to_update.append(g)
        short = community_short_name(name)
        for k in range(extra):
            n = k + 3
            ordinal = ORDINALS[n - 1] if n <= len(ORDINALS) else str(n)
            to_create.append(Grid(
                code=f"{code}{101 + k}", name=f"{short}第{ordinal}网格", community_id=cid,
                boundary=_rectangle(tiles[2 + k]), households=_demo_households(code, 101 + k),
            ))
    with transaction.atomic():
        Grid.objects.bulk_update(to_update, ["boundary", "updated_at"], batch_size=BULK_BATCH)
        Grid.objects.bulk_create(to_create, batch_size=BULK_BATCH)
    spatial.invalidate()
    return {"shrunk": len(to_update), "created": len(to_create), "total": Grid.objects.count()}


# ------------------------------------------------------------------------------------------------ people


def create_people() -> dict:
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.db import transaction

    from gridgov.accounts.models import Department, User
    from gridgov.demo.services import DEPARTMENTS
    from gridgov.events.taxonomy import install_default_categories
    from gridgov.regions.models import Grid, GridStaff, Region

    pw = UNUSABLE_PASSWORD_PREFIX + "bench"
    with transaction.atomic():
        city = Region.objects.get(code=benchlib.CITY)
        for code, name in DEPARTMENTS:
            Department.objects.get_or_create(code=code, defaults={"name": name, "region": city})
        install_default_categories()
        users = [User(username="admin", role=User.Role.ADMIN, full_name="系统管理员", is_staff=True,
                      is_superuser=True, password=pw),
                 User(username="op_city", role=User.Role.OPERATOR, full_name=f"{city.name}综治中心 受理员",
                      region=city, password=pw)]
        for r in Region.objects.filter(level__in=(Region.Level.COUNTY, Region.Level.TOWNSHIP),
                                       code__startswith=benchlib.CITY).order_by("code"):
            users.append(User(username=f"op_{r.code}", role=User.Role.OPERATOR, full_name=f"{r.name}综治中心 受理员",
                              region=r, password=pw))
            if r.level == Region.Level.COUNTY:
                users.append(User(username=f"leader_{r.code}", role=User.Role.LEADER, full_name=f"{r.name}领导",
                                  region=r, password=pw))
        for d in Department.objects.all():
            users.append(User(username=f"liaison_{d.code}", role=User.Role.LIAISON, full_name=f"{d.name}联络员",
                              department=d, password=pw))
        grids = list(Grid.objects.filter(kind=Grid.Kind.GENERAL).order_by("code").values_list("id", "code", "name",
                                                                                          "community_id"))
        for _gid, code, name, community_id in grids:
            users.append(User(username=f"gw_{code}", role=User.Role.GRID_WORKER, full_name=f"{name} 网格员",
                              region_id=community_id, password=pw))
        User.objects.bulk_create(users, batch_size=1000)
        ids = dict(User.objects.filter(username__startswith="gw_").values_list("username", "id"))
        GridStaff.objects.bulk_create(
            [GridStaff(grid_id=gid, user_id=ids[f"gw_{code}"], role=GridStaff.Role.WORKER) for gid, code, _n, _c in grids],
            batch_size=1000,
        )
    return {"users": User.objects.count(), "grid_staff": GridStaff.objects.count(),
            "departments": Department.objects.count()}


# ------------------------------------------------------------------------------------------------ events


def lognormal(rng: random.Random, median_hours: float, sigma: float) -> timedelta:
    return timedelta(hours=median_hours * math.exp(rng.gauss(0.0, sigma)))


def lifecycle(rng: random.Random, t0, source: str, can_rate: bool) -> list[tuple]:
    """Planned steps (action, from, to, time) of one case; cut at ``as_of`` by the caller."""
    steps = [("report", "", "reported", t0)]
    t = t0

    def add(action, frm, to, dt):
        nonlocal t
        t = t + dt
        steps.append((action, frm, to, t))

    roll = rng.random()
    if source == "grid_patrol" and roll < 0.15:  # resolved on the spot, with evidence, then verified
        add("resolve_on_spot", "reported", "handled", timedelta(minutes=rng.uniform(5, 40)))
        add("verify_pass", "handled", "closed", lognormal(rng, 8, 0.8))
        return steps
    roll = rng.random()
    if roll < 0.04:
        add("reject", "reported", "rejected", lognormal(rng, 1.5, 1.0))
        return steps
    if roll < 0.07:
        add("merge", "reported", "merged", lognormal(rng, 1.0, 1.0))
        return steps
    add("accept", "reported", "accepted", lognormal(rng, 1.5, 1.0))
    add("dispatch", "accepted", "dispatched", lognormal(rng, 0.5, 1.0))
    add("sign", "dispatched", "handling", lognormal(rng, 3, 1.0))
    stuck = rng.uniform(5, 25) if rng.random() < 0.02 else 1.0  # a few cases wait weeks for a department
    add("feedback", "handling", "handled", lognormal(rng, 40, 0.9) * stuck)
    if rng.random() < 0.06:  # verification fails once: rework
        add("verify_fail", "handled", "dispatched", lognormal(rng, 10, 0.8))
        add("sign", "dispatched", "handling", lognormal(rng, 3, 1.0))
        add("feedback", "handling", "handled", lognormal(rng, 24, 0.9))
    add("verify_pass", "handled", "closed", lognormal(rng, 12, 0.8))
    if can_rate and rng.random() < 0.7:
        add("rate", "closed", "closed", lognormal(rng, 20, 1.0))
    return steps


NOTES = {
    "reject": "经核实不属于受理范围",
    "feedback": "已到现场处置完毕，附整改照片",
    "verify_fail": "现场核查未整改到位，请返工",
    "resolve_on_spot": "已现场劝导，问题当场解决",
}


def generate_events(n: int, seed: int, as_of) -> dict:
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.db import connection, transaction
    from shapely.geometry import Point, shape

    from gridgov.accounts.models import Department, User
    from gridgov.cases.models import DailySequence, TransitionRecord
    from gridgov.demo.services import DESCRIPTIONS
    from gridgov.events.models import Category, Event, EventLog, TimeUnit
    from gridgov.events.workflow import LIFECYCLE, mask_phone
    from gridgov.regions.models import Grid, Region
    from gridgov.worktime import calendar as workcal

    rng = random.Random(seed)
    zone = ZoneInfo(settings.TIME_ZONE)
    cal = workcal.Calendar()
    # the overrides do not change while generating: ask the calendar about each day once (millions of deadlines)
    cal.is_workday = functools.lru_cache(maxsize=None)(cal.is_workday)
    ratio = settings.GRIDGOV["NEAR_DUE_RATIO"]
    accept_limit = workcal.parse_limit(settings.GRIDGOV["ACCEPT_LIMIT"])
    verify_limit = workcal.parse_limit(settings.GRIDGOV["VERIFY_LIMIT"])

    def warn_moment(start, deadline, unit):  # workflow.warn_moment on the reused Calendar
        if unit == TimeUnit.NATURAL_HOURS:
            return start + (deadline - start) * ratio
        total = cal.working_seconds_between(start, deadline)
        return cal.add_working_seconds(start, int(total * ratio)).at

    # --- reference data
    regions = {code: (rid, name) for rid, code, name in Region.objects.values_list("id", "code", "name")}
    users = {u.username: u for u in User.objects.exclude(username__startswith="gw_")}
    worker_of = {u[1]: (u[0], u[2]) for u in User.objects.filter(username__startswith="gw_")
                 .values_list("id", "username", "full_name")}
    depts = {d.code: d for d in Department.objects.all()}
    liaison = {code: users[f"liaison_{code}"] for code in depts}
    leaves = list(Category.objects.filter(parent__isnull=False, active=True).select_related("default_department"))
    cat_weights = list(itertools.accumulate(CATEGORY_GROUP_WEIGHT.get(c.code[:2], 1.0) for c in leaves))
    cat_by_code = {c.code: c for c in leaves}
    grids = []
    for gid, code, boundary, community_id, kind in Grid.objects.filter(active=True).order_by("code").values_list(
            "id", "code", "boundary", "community_id", "kind"):
        ring = boundary["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        holed = shape(boundary) if len(boundary["coordinates"]) > 1 else None
        grids.append((gid, code, (min(xs), min(ys), max(xs), max(ys)), holed, community_id, kind))
    # the urban district is busier; cumulative weights once (rng.choices would re-sum 15,000 weights per call)
    grid_cum = list(itertools.accumulate(2.0 if g[1].startswith("371502") else 1.0 for g in grids))

    def point_in(grid, near=None):
        x0, y0, x1, y1 = grid[2]
        for _ in range(100):
            if near is None:
                x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
            else:  # ~80 m scatter around a busy spot
                x = near[0] + rng.gauss(0, 80 / (111_320 * math.cos(math.radians(near[1]))))
                y = near[1] + rng.gauss(0, 80 / 111_320)
            if x0 < x < x1 and y0 < y < y1 and (grid[3] is None or grid[3].contains(Point(x, y))):
                return round(x, 6), round(y, 6)
        return round((x0 + x1) / 2, 6), round(y0 + (y1 - y0) / 6, 6)

    general = [g for g in grids if g[5] == Grid.Kind.GENERAL]
    hotspots = []
    for i, g in enumerate(rng.sample(general, HOTSPOTS)):
        x0, y0, x1, y1 = g[2]
        c = (round((x0 + x1) / 2, 6), round((y0 + y1) / 2, 6))
        hotspots.append({"grid": g[1], "lng": c[0], "lat": c[1], "category": HOTSPOT_CATEGORIES[i % len(HOTSPOT_CATEGORIES)],
                         "weight": 1 / (i + 1), "_grid": g})
    hot_weights = [h["weight"] for h in hotspots]

    # --- when, where, what: sort by report time so ids and numbers follow it
    start = as_of - timedelta(days=365)
    span = 365 * 86400 - 900
    plans = []
    while len(plans) < n:
        t = start + timedelta(seconds=rng.uniform(0, span))
        local = t.astimezone(zone)
        w = 1.0 if 8 <= local.hour < 20 else 0.25 if 6 <= local.hour < 23 else 0.05
        if local.weekday() >= 5:
            w *= 0.6
        if rng.random() >= w:
            continue
        t = t.replace(microsecond=0)
        if rng.random() < HOTSPOT_SHARE:
            h = rng.choices(hotspots, hot_weights)[0]
            grid = h["_grid"]
            lng, lat = point_in(grid, near=(h["lng"], h["lat"]))
            cat = cat_by_code[h["category"]] if rng.random() < 0.6 else rng.choices(leaves, cum_weights=cat_weights)[0]
        else:
            grid = rng.choices(grids, cum_weights=grid_cum)[0]
            lng, lat = point_in(grid)
            cat = rng.choices(leaves, cum_weights=cat_weights)[0]
        plans.append((t, grid, lng, lat, cat))
    plans.sort(key=lambda p: p[0])

    per_day: Counter = Counter()
    status_counts: Counter = Counter()
    totals = Counter()
    open_target: dict[tuple, tuple[int, str]] = {}  # (township, category) -> (id, number) of the latest case
    Involved = Event.involved_departments.through
    adapt_dt = connection.ops.adapt_datetimefield_value
    adapt_json = EventLog._meta.get_field("data").get_db_prep_save
    log_cols = ("event_id", "actor_id", "actor_label", "action", "from_status", "to_status", "note", "data",
                "created_at")
    log_sql = (f"INSERT INTO {connection.ops.quote_name(EventLog._meta.db_table)} "
               f"({', '.join(connection.ops.quote_name(c) for c in log_cols)}) VALUES ({', '.join(['%s'] * len(log_cols))})")
    record_cols = ("kind", "case_id", "number", "region_id", "center_id", "category", "action", "from_status",
                   "to_status", "actor_role", "department_id", "flows", "on_time", "at")
    record_sql = (f"INSERT INTO {connection.ops.quote_name(TransitionRecord._meta.db_table)} "
                  f"({', '.join(connection.ops.quote_name(c) for c in record_cols)}) "
                  f"VALUES ({', '.join(['%s'] * len(record_cols))})")
    Assisting = Event.assisting_departments.through
    community_names = {rid: name for _code, (rid, name) in regions.items()}

    for chunk_start in range(0, n, CHUNK):
        ev_rows, log_rows, inv_rows, ass_rows, rec_rows = [], [], [], [], []
        for offset, (t0, grid, lng, lat, cat) in enumerate(plans[chunk_start:chunk_start + CHUNK]):
            pk = chunk_start + offset + 1
            day = t0.astimezone(zone).date()
            per_day[day] += 1
            number = f"SJ{day:%Y%m%d}{per_day[day]:05d}"
            township = grid[1][:9]
            township_id = regions[township][0]
            operator = users[f"op_{township}"]
            source = rng.choices([s for s, _w in SOURCES], [w for _s, w in SOURCES])[0]
            if source == "grid_patrol" and grid[5] != Grid.Kind.GENERAL:
                source = "hotline"
            phone = ""
            if source == "grid_patrol":
                reporter_id, reporter_name = worker_of[f"gw_{grid[1]}"]
                label, reporter_role = reporter_name, User.Role.GRID_WORKER
            elif source == "citizen":
                reporter_id, reporter_name = None, ""
                phone = f"1{rng.choice('3578')}{rng.randint(100000000, 999999999)}"
                label, reporter_role = f"群众 {mask_phone(phone)}", "citizen"
            else:
                reporter_id, reporter_name, label = operator.id, operator.full_name, operator.full_name
                reporter_role = User.Role.OPERATOR
            steps = lifecycle(rng, t0, source, can_rate=source in ("grid_patrol", "citizen"))
            done = [s for s in steps if s[3] <= as_of]
            if done[-1][0] == "merge" and (township, cat.code) not in open_target:
                done[-1] = ("reject", "reported", "rejected", done[-1][3])  # nothing to merge into yet
            lead = cat.default_department or depts["CGJ"]
            assisting = []
            if any(s[0] == "dispatch" for s in done) and rng.random() < 0.08:
                assisting = [depts["ZJJ"] if lead.code == "GAJ" else depts["GAJ"]]
            ev = Event(
                id=pk, number=number, source=source, category_id=cat.id, title=cat.name,
                description=rng.choice(DESCRIPTIONS.get(cat.code) or [f"{cat.name}：群众反映的情况需核实处理"]),
                lng=lng, lat=lat, address=f"{community_names[grid[4]]}附近", grid_id=grid[0], region_id=grid[4],
                center_id=township_id, urgency=cat.urgency, people_involved=rng.choice([0, 1, 1, 2, 3, 5]),
                reporter_id=reporter_id, reporter_name=reporter_name[:50], reporter_phone=phone, created_at=t0,
            )
            # 办结时限 as workflow.due_moment promises it at report: accept + category + verify limits in a row
            due = t0
            for amount, unit in (accept_limit, (cat.time_limit, cat.time_unit), verify_limit):
                due = cal.add_time(due, amount, unit).at
            ev.due_at = due
            stage = None  # (start, amount, unit, Deadline) of the running stage
            for action, frm, to, when in done:
                actor_id, actor_label, note, data = operator.id, operator.full_name, NOTES.get(action, ""), {}
                role = User.Role.OPERATOR
                deadline_before = stage[3].at if stage is not None else None  # the engine judges the action by it
                dept_before = ev.lead_department_id
                if action == "report":
                    actor_id, actor_label, role = reporter_id, label, reporter_role
                    stage = (when, *accept_limit)
                elif action in ("sign", "feedback"):
                    actor_id, actor_label = liaison[lead.code].id, liaison[lead.code].full_name
                    role = User.Role.LIAISON
                    if action == "feedback":
                        ev.result = note
                        stage = (when, *verify_limit)
                elif action == "dispatch":
                    ev.lead_department_id = lead.id
                    data = {"lead_department": lead.name, "assisting_departments": [d.name for d in assisting]}
                    stage = (when, cat.time_limit, cat.time_unit)
                elif action == "verify_fail":
                    ev.rework_count += 1
                    ev.result = ""
                    stage = (when, cat.time_limit, cat.time_unit)
                elif action == "resolve_on_spot":
                    actor_id, actor_label, role = reporter_id, label, reporter_role
                    ev.resolved_on_spot, ev.result = True, note
                    stage = (when, *verify_limit)
                elif action in ("reject", "verify_pass", "merge"):
                    stage = None
                    if action == "verify_pass":
                        ev.closed_at = when
                        ev.closed_on_time = when <= ev.due_at  # the engine's _mark_closing
                    if action == "merge":
                        ev.merged_into_id, target_number = open_target[(township, cat.code)]
                        data = {"target": target_number}
                elif action == "rate":
                    actor_id, actor_label, role = reporter_id, label, reporter_role
                    ev.rating = rng.choices(["satisfied", "basically", "unsatisfied"], weights=[70, 20, 10])[0]
                    data = {"rating": ev.rating}
                if stage is not None and len(stage) == 3:
                    stage = (*stage, cal.add_time(*stage))
                log_rows.append((pk, actor_id, actor_label[:100], action, frm, to, note, adapt_json(data, connection),
                                 adapt_dt(when)))
                # the statistics record the engine writes with each transition (engine.record)
                on_time = None if deadline_before is None else when <= deadline_before
                department, flows = LIFECYCLE.department_flows(action, dept_before, ev, on_time)
                rec_rows.append((
                    "event", pk, number, grid[4], township_id, cat.code[:32], action, frm, to, str(role),
                    department, ",".join(flows) if department else "", on_time, adapt_dt(when)))
            ev.status = done[-1][2]
            if stage is not None:
                s_start, amount, unit, d = stage
                ev.stage_started_at, ev.deadline, ev.deadline_unit = s_start, d.at, unit
                ev.deadline_provisional = d.provisional
                ev.warn_at = warn_moment(s_start, d.at, unit)
                totals["with_deadline"] += 1
                if d.at <= as_of:
                    totals["overdue_at_as_of"] += 1
                elif ev.warn_at <= as_of:
                    totals["near_due_at_as_of"] += 1
            if ev.lead_department_id:
                inv_rows.append(Involved(event_id=pk, department_id=lead.id))
                for d in assisting:
                    inv_rows.append(Involved(event_id=pk, department_id=d.id))
                    ass_rows.append(Assisting(event_id=pk, department_id=d.id))
            if ev.status not in ("rejected", "merged"):  # a later duplicate may be merged into it
                open_target[(township, cat.code)] = (pk, number)
            status_counts[ev.status] += 1
            ev_rows.append(ev)
        with transaction.atomic():
            Event.objects.bulk_create(ev_rows, batch_size=2000)
            Involved.objects.bulk_create(inv_rows, batch_size=2000)
            Assisting.objects.bulk_create(ass_rows, batch_size=2000)
            with connection.cursor() as cur:  # plain rows (~6 of each a case): the ORM's per-field work dominated
                cur.executemany(log_sql, log_rows)
                cur.executemany(record_sql, rec_rows)
        totals["logs"] += len(log_rows)
        totals["records"] += len(rec_rows)
        totals["involved"] += len(inv_rows)
        print(f"  {chunk_start + len(ev_rows):>8,} events, {totals['logs']:>9,} log rows", flush=True)

    DailySequence.objects.bulk_create([DailySequence(prefix="SJ", day=d, last=k) for d, k in sorted(per_day.items())],
                                      batch_size=1000)
    public_hotspots = [{k: v for k, v in h.items() if not k.startswith("_")} for h in hotspots]
    return {"status_counts": dict(status_counts), "totals": dict(totals), "hotspots": public_hotspots}


def finish_database() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    from gridgov.events.models import Event

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for sql in connection.ops.sequence_reset_sql(no_style(), [Event]):
                cur.execute(sql)
            cur.execute("ANALYZE")  # what autovacuum would do shortly after a bulk load
        else:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="number of events (default 200000)")
    parser.add_argument("--grids", type=int, default=15_000, help="total grids to reach (default 15000)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reset", action="store_true", help="PostgreSQL: drop and recreate the public schema first")
    parser.add_argument("--rollups", choices=("sql", "python", "none"), default="sql",
                        help="fill the statistics rollups at the end: set-based SQL (bench/rollups.py, default), "
                             "the kernel's tally.rebuild, or not at all")
    args = parser.parse_args()

    url = benchlib.database_url()
    benchlib.setup_django(url)
    prepare_database(url, args.reset)

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from gridgov.core.notify import muted
    from gridgov.regions import services as regions

    timings: dict = {}
    t_all = time.perf_counter()
    as_of = timezone.now().replace(microsecond=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}  as_of={as_of.isoformat()}")
    with muted():
        with timed("migrate", timings):
            call_command("migrate", verbosity=0, interactive=False)
        with timed("divisions", timings):
            counts = regions.import_divisions(benchlib.BASE_DIR / "data" / "divisions" / benchlib.CITY, benchlib.CITY)
            print(f"  regions created: {counts.total('created')}")
        with timed("grids", timings):
            demo = regions.generate_demo_grids(benchlib.CITY, per_community=2)
            sub = subdivide_grids(args.grids)
            print(f"  generate_demo_grids: {demo['created']} created; subdivided: {sub['shrunk']} shrunk, "
                  f"{sub['created']} synthetic 1xx grids; total {sub['total']}")
        with timed("departments, categories, users", timings):
            people = create_people()
            print(f"  {people}")
        with timed("events", timings):
            made = generate_events(args.events, args.seed, as_of)
        if args.rollups != "none":
            import rollups

            with timed(f"rollups ({args.rollups})", timings):
                made["rollups"] = rollups.rebuild_sql() if args.rollups == "sql" else rollups.rebuild_python()
                print(f"  {made['rollups']}")
        with timed("finish (sequences, ANALYZE/checkpoint)", timings):
            finish_database()
    total = round(time.perf_counter() - t_all, 2)
    from gridgov.events.models import Event, EventLog
    from gridgov.regions.models import Grid

    meta = {
        "as_of": as_of.isoformat(), "events": Event.objects.count(), "event_logs": EventLog.objects.count(),
        "grids": Grid.objects.count(), "seed": args.seed, "status_counts": made["status_counts"],
        "totals": made["totals"], "hotspots": made["hotspots"], "timings_s": timings, "generation_s": total,
        "rollups": made.get("rollups"),
    }
    benchlib.write_meta(meta)
    print(f"events by status: {made['status_counts']}")
    print(f"open with deadline: {made['totals'].get('with_deadline', 0)}, overdue at as_of: "
          f"{made['totals'].get('overdue_at_as_of', 0)}, near due: {made['totals'].get('near_due_at_as_of', 0)}")
    print(f"done in {total:.1f} s: {meta['events']:,} events, {meta['event_logs']:,} log rows "
          f"({made['totals'].get('records', 0):,} statistics records), {meta['grids']:,} grids")


if __name__ == "__main__":
    main()

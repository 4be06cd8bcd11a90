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
planned as numpy column arrays (bench/gen_events.py: every case's path and step times drawn at once,
every stage deadline on a working-time axis built from the project's Calendar, bench/gen_calendar.py)
and written in bulk (bench/gen_load.py: chunks of 50,000 events; ``executemany`` on SQLite with the
journal off for the load, ``COPY`` on PostgreSQL; the big tables' secondary indexes dropped and built
again after), NOT driven through ``workflow.perform``: 2,000,000 cases through the workflow would take
days.  The workflow itself is exercised by the test suite (and create_event is measured
through the real service by bench/run.py); gridgov/core/tests/test_bench_generate.py generates a small city
and checks it against the services.  What is kept consistent with the workflow:

* numbers are ``SJ`` + local date + 5-digit daily sequence, unique, in report order, and the
  ``DailySequence`` rows are set to the last number used, so ``next_number`` continues;
* an open event carries the deadline of its current stage computed on the working-time axis (the
  project's ``gridgov.worktime.calendar.Calendar`` asked once per day; the test compares it with
  ``Calendar.add_time``) (acceptance: ``ACCEPT_LIMIT`` from the report — the
  ``accept`` transition keeps it; handling: the category's limit from the dispatch; verification:
  ``VERIFY_LIMIT`` from the feedback), and ``warn_at`` computed exactly as
  ``workflow.warn_moment`` does (``NEAR_DUE_RATIO`` of the working time), on the same axis;
  closed, rejected and merged events have no stage;
* ``lead_department``, ``involved_departments``/``assisting_departments``, ``closed_at``,
  ``result``, ``rating``, ``rework_count``, ``resolved_on_spot`` and ``merged_into`` match the log;
* ``due_at`` (办结时限) is ``workflow.due_moment`` at the report (acceptance + the category's limit +
  verification, in working time) and ``closed_on_time`` is ``closed_at <= due_at`` for closed events;
* each record carries what ``engine.record`` would: the actor's role, ``on_time`` against the deadline
  of the stage the action ended (None where none ran), and the department and measures of
  ``EventLifecycle.department_flows``. ``bench/rollups.py --replay N`` drives N generated events again
  through the real engine (rolled back) and compares event fields and records one by one.

No SlaNotice rows are written: bench/run.py's first sweep therefore sees the whole backlog.  No Assist
(吹哨报到) rows either: an assisting department is named at dispatch (M2M) but never reports in.
A merge goes into the latest earlier case of the same township and category if that one is still open
at the moment of the merge; otherwise the case is rejected instead.
The generation time (``as_of``), the busy spots and the counts are stored in a ``bench_meta``
table so bench/run.py can pin "now" to ``as_of``.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

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
    if benchlib.ensure_postgres_database(url):
        print(f"· created database {url.rsplit('/', 1)[1]}", flush=True)
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


def generate_events(n: int, seed: int, as_of, timings: dict | None = None) -> dict:
    """Plan ``n`` events as arrays (gen_events.py) and write them in bulk (gen_load.py), the secondary indexes of
    the big tables dropped for the load and built again after it."""
    import gen_events
    import gen_load
    from django.db import connection

    from gridgov.events.models import Event

    first_id = (Event.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    t = time.perf_counter()
    plan = gen_events.plan(n, seed, as_of, first_id=first_id)
    if timings is not None:
        timings["events: plan"] = round(time.perf_counter() - t, 2)
    print(f"  planned in {time.perf_counter() - t:.1f} s", flush=True)
    with gen_load.without_indexes(gen_load.tables(), timings):
        t = time.perf_counter()
        made = gen_load.write(plan, as_of)
        if timings is not None:
            timings["events: write"] = round(time.perf_counter() - t, 2)
        print(f"  written in {time.perf_counter() - t:.1f} s", flush=True)
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        with connection.cursor() as cur:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Event]):
                cur.execute(sql)
    made["hotspots"] = plan.ref["hotspots"]
    return made


@contextlib.contextmanager
def fast_sqlite():
    """SQLite only, for the generator's own connection: no rollback journal and no fsync while loading (a
    crash means generating again); WAL, the app's mode, is set back at the end."""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA journal_mode=OFF")
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-262144")  # 256 MB of page cache for the index builds
        cur.execute("PRAGMA temp_store=MEMORY")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")


def finish_database() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    from gridgov.events.models import Event

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for sql in connection.ops.sequence_reset_sql(no_style(), [Event]):
                cur.execute(sql)
            # what autovacuum does to a year's rows long before anyone reads them: statistics, and the visibility
            # map without which every index-only count (the worklist's capped counts) visits the table
            cur.execute("VACUUM (ANALYZE)")
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
        with fast_sqlite(), timed("events", timings):
            made = generate_events(args.events, args.seed, as_of, timings)
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

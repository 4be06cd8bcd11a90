"""The SLA sweep of the three lifecycles, before and after: cases per second of two code trees in one run.

    .venv/bin/python bench/sweep.py                      # before = 563b3c1, after = this checkout as it is
    .venv/bin/python bench/sweep.py --after HEAD         # after = a commit (extracted; others' edits left out)
    .venv/bin/python bench/sweep.py --before DIR --after DIR --reps 4
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_sweep .venv/bin/python bench/sweep.py

A benchmark, not a test.  What it measures: ``gridgov.events.sla.sweep``,
``gridgov.disputes.services.sweep`` and ``gridgov.petitions.sla.sweep`` — each called with ``now``
pinned to the generation time, again and again until a call finds nothing left — in cases per
second, for two code trees ("before" and "after").

The two trees
-------------
``--before``/``--after`` take a directory (used as it is) or a commit, which is extracted with
``git archive`` into ``bench/out/<before|after>-<commit>`` and checked file by file against the
commit at the start and the end of every run (extracted again when something touched it: the
extraction lies inside this checkout, within reach of a tree-wide search-and-replace).
``--before`` defaults to 563b3c1 (main before the case kernel), ``--after`` to this checkout.

Each tree runs in its own driver process (this file's ``_drive`` mode) with the tree first on
``sys.path`` and ``DJANGO_SETTINGS_MODULE=gridgov.settings`` — its models, migrations and sweep —
on its own copy of the base.  Per repetition both drivers start, then the trees TAKE TURNS
lifecycle by lifecycle (events: before, after; disputes: after, before; petitions: before, after;
the next repetition starts the other way round): on a machine shared with other work, load that
comes and goes falls on both sides alike, and the two runs of a lifecycle are seconds apart.

The database
------------
One base database, made once and reused while its parameters stay the same (``--regen`` remakes
it): SQLite ``bench/out/sweep-base.sqlite3`` (git-ignored), or the PostgreSQL database named in
``DATABASE_URL`` (its ``public`` schema is dropped and recreated; a database with tables that is
not a sweep base is refused unless ``--regen`` is given).  It is made BY THE BEFORE TREE, so it
has the schema of main before the refactor:

1. the before tree's ``bench/generate.py --events N`` (the city, 15,000 grids, N events over a
   year; a few hundred open, some of them due);
2. ``_seed`` (this file, run under the before tree): per lifecycle ``--due`` cases that are due
   at the generation time (60 % overdue, 40 % near due), as many open cases that are not due yet,
   and (disputes, petitions) as many closed ones, bulk-inserted through the before tree's models
   (so only columns of today's schema are written; the refactor keeps them all).  Events: open in
   every stage (reported … handled) with their lead department; disputes: accepted, assigned (one
   mediator with a login per township) and mediating, plus a tenth of ``--due`` succeeded cases
   whose judicial-confirmation window is about to end (the third kind of dispute reminder);
   petitions: registered, handling and reviewing, 40 % of them letters owing the 7-day reply
   (so the ack reminders come out of the same rows).  Deadlines are synthetic: each case is at
   a drawn fraction of its stage (overdue > 1, near due between NEAR_DUE_RATIO and 1).

Every repetition of either tree starts from a fresh COPY of the base (SQLite: the backup API into
``bench/out/sweep-copy-<side>.sqlite3``; PostgreSQL: ``CREATE DATABASE <name>_<side> TEMPLATE
<name>``).  In its copy the tree first runs its own ``migrate`` (for the before tree a no-op; for
the after tree whatever its migrations do to today's data), then, on PostgreSQL, ``ANALYZE``;
neither is in the sweep time.

What is reported
----------------
Per lifecycle and tree: cases swept (the sum of the counts the sweep returns: one case reminded
or escalated once for one kind and deadline; a petition letter can count twice, its stage and its
7-day reply), the seconds of the calls that did work (median and p95 over the repetitions),
cases per second (median over the repetitions), statements per case (every statement through
Django's cursor, counted with ``connection.execute_wrapper``; PostgreSQL's implicit BEGIN/COMMIT
are not statements), the CPU share and cases per CPU second (the driver process, plus the
server backend when PostgreSQL runs on this machine: less sensitive to load than wall time, blind
to waiting, so a check), the empty call that ends each sweep, the rows the sweep inserted per
table (is it the same work on both sides?), and the after/before ratio of cases per second: of
the medians, and run by run (the two runs of a lifecycle in one repetition).  Before every pair of
runs the load average and the top CPU consumers (``top``) are sampled.  A table on stdout and
``bench/out/sweep.json`` (one entry per database vendor); the drivers' stderr in
``bench/out/sweep-<side>.log``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

pc = time.perf_counter
BASE_DIR = Path(__file__).resolve().parent.parent
OUT_DIR = BASE_DIR / "bench" / "out"
BEFORE_COMMIT = "563b3c1"
DEFAULT_SQLITE = OUT_DIR / "sweep-base.sqlite3"
SEED_KEY = "sweep_seed"
SEED_VERSION = 2
LIFECYCLES = {  # name -> the sweep entry point (called as fn(now=as_of))
    "events": "gridgov.events.sla.sweep",
    "disputes": "gridgov.disputes.services.sweep",
    "petitions": "gridgov.petitions.sla.sweep",
}
# files whose digests are recorded per tree: equal digests mean the same sweep code
SWEEP_FILES = ["gridgov/events/sla.py", "gridgov/events/workflow.py", "gridgov/events/notifications.py",
               "gridgov/disputes/services.py", "gridgov/disputes/workflow.py", "gridgov/disputes/notifications.py",
               "gridgov/petitions/sla.py", "gridgov/petitions/workflow.py", "gridgov/petitions/notifications.py",
               "gridgov/core/sla.py", "gridgov/core/notify.py", "gridgov/cases/sla.py", "gridgov/cases/sweep.py",
               "gridgov/cases/engine.py", "gridgov/cases/notify.py"]


# ================================================================================================
# inside a tree: django setup, the seed and the driver (subprocesses; the tree is first on sys.path)
# ================================================================================================


def setup_tree(tree: Path) -> None:
    sys.path.insert(0, str(tree))
    os.environ["DJANGO_SETTINGS_MODULE"] = "gridgov.settings"
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory: not what production runs
    import django

    django.setup()
    import gridgov

    where = Path(gridgov.__file__).resolve()
    if tree.resolve() not in where.parents:
        sys.exit(f"gridgov was imported from {where}, not from the tree {tree}")


def read_meta() -> dict:
    from django.db import connection

    if "bench_meta" not in connection.introspection.table_names():
        return {}
    with connection.cursor() as cur:
        cur.execute("SELECT key, value FROM bench_meta")
        return {k: json.loads(v) for k, v in cur.fetchall()}


def write_meta(key: str, value) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM bench_meta WHERE key = %s", [key])
        cur.execute("INSERT INTO bench_meta (key, value) VALUES (%s, %s)", [key, json.dumps(value)])


def stage_times(rng, state: str, as_of, length: timedelta, ratio: float):
    """(start, deadline, warn_at) of a stage of ``length`` that is ``state`` at ``as_of``."""
    if state == "overdue":
        f = rng.uniform(1.02, 1.6)
    elif state == "near_due":
        f = rng.uniform(ratio + 0.01, 0.99)
    else:
        f = rng.uniform(0.05, ratio - 0.02)
    start = (as_of - length * f).replace(microsecond=0)
    return start, start + length, start + length * ratio


def states(rng, due: int) -> list[str]:
    """``due`` due cases (60 % overdue, 40 % near due) and as many not due yet, shuffled."""
    overdue = round(due * 0.6)
    out = ["overdue"] * overdue + ["near_due"] * (due - overdue) + ["normal"] * due
    rng.shuffle(out)
    return out


class Numbers:
    """Case numbers in the project's format (prefix + local date + 5 digits), unique per prefix and day."""

    def __init__(self, prefix: str, first: int):
        from zoneinfo import ZoneInfo

        from django.conf import settings

        self.prefix, self.first, self.per_day = prefix, first, {}
        self.zone = ZoneInfo(settings.TIME_ZONE)

    def __call__(self, at) -> str:
        day = at.astimezone(self.zone).date()
        n = self.per_day[day] = self.per_day.get(day, self.first - 1) + 1
        return f"{self.prefix}{day:%Y%m%d}{n:05d}"


def seed_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="sweep.py _seed")
    p.add_argument("--tree", required=True)
    p.add_argument("--due", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--params", required=True, help="the JSON stored as the seed marker")
    ns = p.parse_args(argv)
    setup_tree(Path(ns.tree))

    from django.conf import settings
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.db import connection, transaction
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from gridgov.accounts.models import Department, User
    from gridgov.disputes import models as dm
    from gridgov.events import models as em
    from gridgov.petitions import models as pm
    from gridgov.regions.models import Grid, Region

    meta = read_meta()
    if "as_of" not in meta:
        sys.exit("no bench_meta: run bench/generate.py first")
    as_of = parse_datetime(meta["as_of"])
    rng = random.Random(ns.seed)
    ratio = settings.GRIDGOV["NEAR_DUE_RATIO"]
    due = ns.due
    t0 = pc()

    region_by_code = {r.code: r for r in Region.objects.filter(code__startswith="3715")}
    grids = []
    for gid, code, boundary, community_id in Grid.objects.filter(kind=Grid.Kind.GENERAL, active=True).order_by(
            "code").values_list("id", "code", "boundary", "community_id"):
        ring = boundary["coordinates"][0]
        lng = round(sum(x for x, _y in ring[:-1]) / (len(ring) - 1), 6)
        lat = round(sum(y for _x, y in ring[:-1]) / (len(ring) - 1), 6)
        grids.append((gid, code, community_id, lng, lat))
    operators = {u.region_id: u for u in User.objects.filter(role=User.Role.OPERATOR, region__isnull=False)}
    depts = list(Department.objects.order_by("code"))
    dept_by_code = {d.code: d for d in depts}

    def place():
        gid, code, community_id, lng, lat = rng.choice(grids)
        township = region_by_code[code[:9]]
        return gid, community_id, township, lng, lat

    made = {}
    # --- events: open in every stage -------------------------------------------------------------
    leaves = list(em.Category.objects.filter(parent__isnull=False, active=True).select_related("default_department"))
    number = Numbers("SJ", 90001)  # the generator's daily sequences stay far below 90000
    stage_weights = [("reported", 10), ("accepted", 10), ("dispatched", 25), ("handling", 40), ("handled", 15)]
    rows, extra = [], []
    for state in states(rng, due):
        status = rng.choices([s for s, _w in stage_weights], [w for _s, w in stage_weights])[0]
        cat = rng.choice(leaves)
        gid, community_id, township, lng, lat = place()
        if status in ("reported", "accepted"):
            length, unit = timedelta(days=1), em.TimeUnit.WORKING_HOURS  # ~4 working hours, elapsed
        elif status == "handled":
            length, unit = timedelta(days=1.4), em.TimeUnit.WORKING_DAYS
        else:
            unit = cat.time_unit
            scale = {em.TimeUnit.NATURAL_HOURS: 1 / 24, em.TimeUnit.WORKING_HOURS: 2.5 / 24}.get(unit, 1.4)
            length = timedelta(days=cat.time_limit * scale)
        start, deadline, warn_at = stage_times(rng, state, as_of, length, ratio)
        created = start if status == "reported" else start - timedelta(hours=rng.uniform(1, 48))
        op = operators[township.id]
        lead = (cat.default_department or dept_by_code["CGJ"]) if status in ("dispatched", "handling", "handled") \
            else None
        rows.append(em.Event(
            number=number(created), source="hotline", category=cat, title=cat.name,
            description=f"{cat.name}：群众来电反映，需核实处理（基准测试数据）", lng=lng, lat=lat,
            address="基准测试地址", grid_id=gid, region_id=community_id, center=township, urgency=cat.urgency,
            people_involved=rng.choice([0, 1, 1, 2, 3]), reporter=op, reporter_name=op.full_name[:50],
            status=status, lead_department=lead, stage_started_at=start, deadline=deadline, deadline_unit=unit,
            warn_at=warn_at, created_at=created,
        ))
        extra.append((op, lead))
    with transaction.atomic():
        em.Event.objects.bulk_create(rows, batch_size=1000)
        em.EventLog.objects.bulk_create([
            em.EventLog(event=e, actor=op, actor_label=op.full_name, action="report", from_status="",
                        to_status="reported", created_at=e.created_at) for e, (op, _l) in zip(rows, extra, strict=True)
        ], batch_size=1000)
        involved = em.Event.involved_departments.through
        involved.objects.bulk_create([involved(event_id=e.pk, department_id=lead.pk)
                                      for e, (_o, lead) in zip(rows, extra, strict=True) if lead], batch_size=1000)
    made["events"] = len(rows)

    # --- disputes: running (accepted, assigned, mediating), closed, and agreements near the confirmation limit
    pw = UNUSABLE_PASSWORD_PREFIX + "bench"
    townships = [r for r in region_by_code.values() if r.level == Region.Level.TOWNSHIP]
    with transaction.atomic():
        User.objects.bulk_create([User(username=f"med_{t.code}", role=User.Role.MEDIATOR, region=t, password=pw,
                                       full_name=f"{t.name}调解员") for t in townships], batch_size=1000)
        users = {u.region_id: u for u in User.objects.filter(role=User.Role.MEDIATOR, username__startswith="med_")}
        dm.Mediator.objects.bulk_create([
            dm.Mediator(user=users[t.id], name=users[t.id].full_name, org_name=f"{t.name}人民调解委员会", region=t,
                        specialties=rng.sample([c for c, _l in dm.DisputeType.choices], 3)) for t in townships
        ])
    mediator = {m.region_id: m for m in dm.Mediator.objects.all()}
    number = Numbers("JF", 1)
    types = [c for c, _l in dm.DisputeType.choices]
    length = timedelta(days=30)  # DISPUTE_LIMITS "30 days" on every channel
    rows, agreements = [], []
    today = timezone.localdate(as_of)  # the sweep's "today"
    plan = [(s, "running") for s in states(rng, due)] + [("", "closed")] * due + [("", "confirm")] * (due // 10)
    for state, kind in plan:
        gid, community_id, township, lng, lat = place()
        d = dm.Dispute(source=dm.Source.CENTER, dispute_type=rng.choice(types), channel=dm.Channel.PEOPLE,
                       description="双方因琐事发生争执，申请调解（基准测试数据）", lng=lng, lat=lat,
                       address="基准测试地址", grid_id=gid, region_id=community_id, center=township,
                       reporter=operators[township.id], reporter_name=operators[township.id].full_name[:50],
                       people_count=rng.choice([2, 2, 3, 4]))
        if kind == "running":
            start, d.deadline, d.warn_at = stage_times(rng, state, as_of, length, ratio)
            d.stage_started_at, d.deadline_unit = start, "natural_hours"
            d.status = rng.choices([dm.Status.ACCEPTED, dm.Status.ASSIGNED, dm.Status.MEDIATING], [3, 3, 4])[0]
            if d.status != dm.Status.ACCEPTED:
                d.mediator = mediator[township.id]
            d.created_at = start - timedelta(hours=rng.uniform(1, 72))
        else:
            d.mediator = mediator[township.id]
            if kind == "closed":
                d.status, d.result = dm.Status.CLOSED, "调解成功，双方达成协议并已履行"
                d.created_at = as_of - timedelta(days=rng.uniform(40, 360))
                d.closed_at = d.created_at + timedelta(days=rng.uniform(5, 30))
            else:  # signed 23–30 days ago: the judicial-confirmation window ends within 7 days
                d.status, d.result = dm.Status.SUCCEEDED, "调解成功，双方达成协议"
                signed = today - timedelta(days=rng.randint(23, 30))
                d.created_at = as_of - timedelta(days=(today - signed).days + rng.uniform(3, 20))
                agreements.append((d, signed))
        d.created_at = d.created_at.replace(microsecond=0)
        d.number = number(d.created_at)
        rows.append(d)
    with transaction.atomic():
        dm.Dispute.objects.bulk_create(rows, batch_size=1000)
        dm.DisputeLog.objects.bulk_create([
            dm.DisputeLog(dispute=d, actor=d.reporter, actor_label=d.reporter_name, action="register",
                          from_status="", to_status="registered", data={"risk": "general", "event": None},
                          created_at=d.created_at) for d in rows
        ], batch_size=1000)
        dm.Agreement.objects.bulk_create([
            dm.Agreement(dispute=d, facts="纠纷主要事实（基准测试数据）", terms="协议内容（基准测试数据）", signed_on=signed)
            for d, signed in agreements
        ], batch_size=1000)
    made["disputes"] = len(rows)

    # --- petitions: registered, handling and reviewing (letters owe the 7-day reply), and closed ones
    number = Numbers("XF", 1)
    channels = [("letter", 40), ("visit", 30), ("online", 20), ("phone", 10)]
    limits_days = {"registered": settings.GRIDGOV["PETITION_ACCEPT_DAYS"],
                   "handling": settings.GRIDGOV["PETITION_HANDLE_DAYS"],
                   "reviewing": settings.GRIDGOV["PETITION_REVIEW_DAYS"]}
    ack_days = settings.GRIDGOV["PETITION_ACK_DAYS"]
    ack_channels = {c.strip() for c in settings.GRIDGOV["PETITION_ACK_CHANNELS"].split(",") if c.strip()}
    rows = []
    for state in states(rng, due) + ["closed"] * due:
        gid, community_id, township, _lng, _lat = place()
        op = operators[township.id]
        channel = rng.choices([c for c, _w in channels], [w for _c, w in channels])[0]
        p = pm.Petition(channel=channel, subject="反映小区环境问题（基准测试数据）", demands="请求有关部门尽快处理（基准测试数据）",
                        region_id=community_id, center=township, registered_by=op,
                        people_count=rng.choice([1, 1, 1, 2, 3]))
        if state == "closed":
            p.status = pm.Status.CLOSED
            p.registered_at = as_of - timedelta(days=rng.uniform(90, 360))
            p.accepted_at = p.registered_at + timedelta(days=rng.uniform(1, 10))
            p.handling_department = rng.choice(depts)
            p.closed_at = p.accepted_at + timedelta(days=rng.uniform(20, 60))
            if channel in ack_channels:
                p.ack_due_at = p.registered_at + timedelta(days=ack_days)
                p.ack_warn_at = p.registered_at + timedelta(days=ack_days) * ratio
                p.acked_at = p.accepted_at
        else:
            p.status = rng.choices([pm.Status.REGISTERED, pm.Status.HANDLING, pm.Status.REVIEWING], [35, 45, 20])[0]
            start, p.deadline, p.warn_at = stage_times(rng, state, as_of, timedelta(days=limits_days[p.status]), ratio)
            p.stage_started_at = start
            if p.status == pm.Status.REGISTERED:
                p.registered_at = start
            elif p.status == pm.Status.HANDLING:
                p.registered_at = start - timedelta(days=rng.uniform(1, 10))
                p.accepted_at, p.handling_department = start, rng.choice(depts)
            else:
                p.registered_at = start - timedelta(days=rng.uniform(70, 120))
                p.accepted_at = p.registered_at + timedelta(days=rng.uniform(1, 10))
                p.handling_department = rng.choice(depts)
                p.reply_text = "书面答复意见（基准测试数据）"
                p.replied_on = (p.accepted_at + timedelta(days=30)).date()
                p.reply_delivered_on = p.replied_on + timedelta(days=2)
                p.review_requested_at = start
            if channel in ack_channels:
                p.ack_due_at = p.registered_at + timedelta(days=ack_days)
                p.ack_warn_at = p.registered_at + timedelta(days=ack_days) * ratio
                p.acked_at = p.accepted_at  # None while registered: the reply is still owed
        p.registered_at = p.created_at = p.registered_at.replace(microsecond=0)
        p.number = number(p.registered_at)
        rows.append(p)
    with transaction.atomic():
        pm.Petition.objects.bulk_create(rows, batch_size=1000)
        pm.PetitionLog.objects.bulk_create([
            pm.PetitionLog(petition=p, actor=p.registered_by, actor_label=str(p.registered_by), action="register",
                           from_status="", to_status="registered", created_at=p.registered_at) for p in rows
        ], batch_size=1000)
    made["petitions"] = len(rows)

    # what the sweeps should find, by the before tree's own SLA filters
    from gridgov.disputes import services as dsvc
    from gridgov.events import sla as esla
    from gridgov.petitions import sla as psla

    expected = {
        "events": {s: em.Event.objects.filter(esla.sla_q(s, as_of)).count() for s in ("overdue", "near_due")},
        "disputes": {s: dm.Dispute.objects.filter(dsvc.sla_q(s, as_of)).count() for s in ("overdue", "near_due")},
        "petitions": {**{s: pm.Petition.objects.filter(psla.sla_q(s, as_of)).count() for s in ("overdue", "near_due")},
                      **{f"ack_{s}": pm.Petition.objects.filter(psla.ack_q(s, as_of)).count()
                         for s in ("overdue", "near_due")}},
    }
    expected["disputes"]["confirm"] = due // 10
    marker = {**json.loads(ns.params), "inserted": made, "due_at_as_of": expected,
              "seed_s": round(pc() - t0, 1), "made_at": datetime.now().isoformat(timespec="seconds")}
    write_meta(SEED_KEY, marker)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ANALYZE")
        else:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(json.dumps(marker, ensure_ascii=False))


class QueryCount:
    """Counts the statements a block runs through Django's cursor (no debug cursor, nothing kept)."""

    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        from django.db import connection

        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


PROTOCOL = "@@sweep@@ "  # the driver's answers on stdout start with this (anything else there is ignored)


def server_cpu(pid: int | None) -> float | None:
    """CPU seconds of a local PostgreSQL backend so far (/proc), None when it cannot be read."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def drive_main(argv: list[str]) -> None:
    """Set the tree up on its copy, say ready, then sweep one lifecycle per "run <name>" line on stdin."""
    p = argparse.ArgumentParser(prog="sweep.py _drive")
    p.add_argument("--tree", required=True)
    p.add_argument("--max-calls", type=int, default=20)
    ns = p.parse_args(argv)
    tree = Path(ns.tree)
    answer_to = sys.stdout
    sys.stdout = sys.stderr  # whatever the tree prints goes to the log, not into the protocol

    def answer(obj) -> None:
        answer_to.write(PROTOCOL + json.dumps(obj, ensure_ascii=False) + "\n")
        answer_to.flush()

    t_setup = pc()
    setup_tree(tree)
    import importlib

    from django.core.management import call_command
    from django.db import connection
    from django.utils import translation
    from django.utils.dateparse import parse_datetime

    setup_s = pc() - t_setup
    t = pc()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_s = pc() - t
    t = pc()
    backend_pid = None
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ANALYZE")
            cur.execute("SHOW server_version")
            db_version = "PostgreSQL " + cur.fetchone()[0]
            cur.execute("SELECT pg_backend_pid()")
            backend_pid = cur.fetchone()[0]
            if server_cpu(backend_pid) is None:  # not a server on this machine
                backend_pid = None
        else:
            db_version = "SQLite " + sqlite3.sqlite_version
    analyze_s = pc() - t
    meta = read_meta()
    as_of = parse_datetime(meta["as_of"])

    # warm-up outside the timing: URL conf, translations, the sweep modules
    from django.conf import settings
    from django.urls import reverse

    translation.activate(settings.LANGUAGE_CODE)
    for name in ("events:detail", "disputes:detail", "petitions:detail"):
        try:
            reverse(name, args=["X"])
        except Exception:  # noqa: BLE001 - a warm-up only
            pass
    fns = {}
    for name, dotted in LIFECYCLES.items():
        module, attr = dotted.rsplit(".", 1)
        fns[name] = getattr(importlib.import_module(module), attr)

    def row_counts() -> dict:
        with connection.cursor() as cur:
            counts = {}
            for table in connection.introspection.table_names():
                cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
                counts[table] = cur.fetchone()[0]
        return counts

    def sweep(name: str) -> dict:
        fn = fns[name]
        rows_before = row_counts()
        calls = []
        for _ in range(ns.max_calls):
            with QueryCount() as qc:
                s0 = server_cpu(backend_pid)
                c0, t0 = time.process_time(), pc()
                counts = fn(now=as_of)
                elapsed, cpu = pc() - t0, time.process_time() - c0
                s1 = server_cpu(backend_pid)
            cases = sum(v for v in counts.values() if isinstance(v, int))
            calls.append({"seconds": elapsed, "cpu_seconds": cpu, "queries": qc.n, "cases": cases,
                          "server_cpu_seconds": s1 - s0 if s0 is not None and s1 is not None else None,
                          "counts": {k: v for k, v in counts.items() if isinstance(v, int)}})
            if cases == 0:
                break
        work = [c for c in calls if c["cases"]]
        merged: dict = {}
        for c in work:
            for k, v in c["counts"].items():
                merged[k] = merged.get(k, 0) + v
        idle = calls[-1] if calls and calls[-1]["cases"] == 0 else None
        server = [c["server_cpu_seconds"] for c in work]
        return {
            "cases": sum(c["cases"] for c in work), "seconds": sum(c["seconds"] for c in work),
            "cpu_seconds": sum(c["cpu_seconds"] for c in work),
            "server_cpu_seconds": sum(server) if server and None not in server else None,
            "queries": sum(c["queries"] for c in work),
            "counts": merged, "calls": len(calls), "finished": idle is not None,
            "idle_seconds": idle["seconds"] if idle else None, "idle_queries": idle["queries"] if idle else None,
            # the rows the sweep inserted, by table (the same work on both sides?)
            "rows_written": {t: n - rows_before.get(t, 0) for t, n in row_counts().items()
                             if n != rows_before.get(t, 0)},
        }

    answer({"ready": True, "tree": str(tree), "db_version": db_version, "setup_s": setup_s,
            "migrate_s": migrate_s, "analyze_s": analyze_s, "as_of": meta["as_of"],
            "server_cpu": backend_pid is not None})
    for line in sys.stdin:
        command = line.split()
        if not command or command[0] == "quit":
            break
        if command[0] == "run" and len(command) == 2 and command[1] in fns:
            answer(sweep(command[1]))
        else:
            answer({"error": f"unknown command {line.strip()!r}"})


class Driver:
    """A tree's driver process on its own copy of the base, swept one lifecycle at a time on request."""

    def __init__(self, side: str, tree: Path, url: str, python: str):
        self.side = side
        self.copy_url, self.drop = make_copy(url, side)
        self.log = OUT_DIR / f"sweep-{side}.log"
        self.proc = subprocess.Popen(
            [python, str(Path(__file__).resolve()), "_drive", "--tree", str(tree)], cwd=tree,
            env=child_env(self.copy_url), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.log.open("w"), text=True, bufsize=1)

    def read(self) -> dict:
        for line in self.proc.stdout:
            if line.startswith(PROTOCOL):
                answer = json.loads(line[len(PROTOCOL):])
                if "error" in answer:
                    raise RuntimeError(answer["error"])
                return answer
        tail = self.log.read_text()[-4000:]
        raise RuntimeError(f"the {self.side} driver ended (exit {self.proc.wait()}); the end of {self.log}:\n{tail}")

    def run(self, name: str) -> dict:
        self.proc.stdin.write(f"run {name}\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.drop()


# ================================================================================================
# the orchestrator (this checkout's python; no django here)
# ================================================================================================


def pg_params(url: str) -> dict:
    import dj_database_url

    cfg = dj_database_url.parse(url)
    return {"host": cfg["HOST"] or "127.0.0.1", "port": cfg["PORT"] or 5432, "user": cfg["USER"],
            "password": cfg["PASSWORD"] or None, "name": cfg["NAME"]}


def pg_admin(url: str):
    import psycopg

    p = pg_params(url)
    return psycopg.connect(host=p["host"], port=p["port"], user=p["user"], password=p["password"],
                           dbname="postgres", autocommit=True)


def read_seed_marker(url: str) -> tuple[dict | None, int]:
    """(the seed marker or None, the number of tables) of the base database."""
    if url.startswith("sqlite:"):
        path = Path(url.split("sqlite:///", 1)[1])
        if not path.exists():
            return None, 0
        with sqlite3.connect(path) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            if "bench_meta" not in tables:
                return None, len(tables)
            row = conn.execute("SELECT value FROM bench_meta WHERE key = ?", [SEED_KEY]).fetchone()
        return (json.loads(row[0]) if row else None), len(tables)
    import psycopg

    p = pg_params(url)
    with pg_admin(url) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [p["name"]]).fetchone():
            return None, 0
    with psycopg.connect(host=p["host"], port=p["port"], user=p["user"], password=p["password"],
                         dbname=p["name"]) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
        if "bench_meta" not in tables:
            return None, len(tables)
        row = conn.execute("SELECT value FROM bench_meta WHERE key = %s", [SEED_KEY]).fetchone()
    return (json.loads(row[0]) if row else None), len(tables)


def child_env(url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
    env.update(DATABASE_URL=url, DEBUG="0", PYTHONDONTWRITEBYTECODE="1")
    return env


def ensure_base(url: str, before: Path, before_info: dict, args, python: str) -> dict:
    params = {"version": SEED_VERSION, "events": args.events, "due": args.due, "seed": args.seed,
              "made_by": before_info.get("commit") or before_info["path"]}
    marker, tables = read_seed_marker(url)
    if marker and not args.regen and all(marker.get(k) == v for k, v in params.items()):
        return marker
    if tables and not marker and not args.regen and not url.startswith("sqlite:"):
        sys.exit(f"{url.split('@')[-1]} has {tables} tables and is not a sweep base; pass --regen to reset it")
    print(f"· making the base database ({args.events:,} events, {args.due:,} due cases a lifecycle) with "
          f"{before} …", flush=True)
    t = pc()
    gen = [python, str(before / "bench" / "generate.py"), "--events", str(args.events), "--seed", str(args.seed)]
    if not url.startswith("sqlite:"):
        name = pg_params(url)["name"]
        with pg_admin(url) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        gen.append("--reset")
    subprocess.run(gen, cwd=before, env=child_env(url), check=True, stdout=subprocess.DEVNULL)
    done = subprocess.run([python, str(Path(__file__).resolve()), "_seed", "--tree", str(before), "--due",
                           str(args.due), "--seed", str(args.seed), "--params", json.dumps(params)],
                          cwd=before, env=child_env(url), check=True, capture_output=True, text=True)
    marker = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  base made in {pc() - t:.0f} s: inserted {marker['inserted']}", flush=True)
    return marker


def make_copy(url: str, side: str) -> tuple[str, callable]:
    if url.startswith("sqlite:"):
        src = Path(url.split("sqlite:///", 1)[1])
        dst = OUT_DIR / f"sweep-copy-{side}.sqlite3"

        def drop():
            for suffix in ("", "-wal", "-shm"):
                Path(str(dst) + suffix).unlink(missing_ok=True)

        drop()
        with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
            a.backup(b)
        return f"sqlite:///{dst}", drop
    name = pg_params(url)["name"]
    copy = f"{name}_{side}"
    with pg_admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}"')
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')

    def drop():
        with pg_admin(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')

    return url.rsplit("/", 1)[0] + "/" + copy, drop


def load_sample() -> dict:
    """The load average and the processes using the CPU right now (top's second, 1-second sample)."""
    sample = {"at": datetime.now().isoformat(timespec="seconds"), "loadavg": [round(x, 2) for x in os.getloadavg()],
              "top": []}
    try:
        text = subprocess.run(["top", "-b", "-n", "2", "-d", "1", "-w", "200", "-o", "%CPU"], capture_output=True,
                              text=True, timeout=15).stdout
    except (OSError, subprocess.SubprocessError):
        return sample
    block = text.rsplit("\ntop - ", 1)[-1].splitlines()
    try:
        head = next(i for i, line in enumerate(block) if line.lstrip().startswith("PID"))
    except StopIteration:
        return sample
    cols = block[head].split()
    for line in block[head + 1:]:
        parts = line.split(None, len(cols) - 1)
        if len(parts) < len(cols):
            continue
        row = dict(zip(cols, parts, strict=False))
        cpu = float(row.get("%CPU", "0").replace(",", "."))
        if cpu < 2:
            break
        pid = int(row["PID"])
        command = process_args([pid]).get(pid) or row.get("COMMAND", "")
        sample["top"].append({"pid": pid, "user": row.get("USER", ""), "cpu": cpu, "command": command[:70]})
    return sample


def process_args(pids: list[int]) -> dict:
    """Short command lines (the interpreter's directory dropped) of the given processes."""
    out = {}
    for pid in pids:
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        args = [a for a in args if a]
        if args:
            args[0] = Path(args[0]).name
            out[pid] = " ".join(" ".join(args).split())[:100]
    return out


def tree_info(tree: Path, commit: str | None) -> dict:
    info = {"path": str(tree)}
    if commit:
        info["source"] = f"git archive {commit[:10]}"
        info["commit"] = commit
    elif (tree / ".git").exists():
        git = ["git", "-C", str(tree)]
        info["source"] = "git " + subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True,
                                                 text=True).stdout.strip()
        dirty = subprocess.run(git + ["status", "--porcelain", "--", "gridgov"], capture_output=True,
                               text=True).stdout.splitlines()
        info["uncommitted_gridgov_files"] = len(dirty)
    digest = hashlib.sha256()
    for rel in SWEEP_FILES:
        f = tree / rel
        digest.update(rel.encode() + b"\0" + (f.read_bytes() if f.exists() else b"<missing>") + b"\0")
    info["sweep_code_sha256"] = digest.hexdigest()[:16]
    return info


def git(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(BASE_DIR), *args], capture_output=True, **kw)


def commit_of(rev: str) -> str | None:
    done = git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def extraction_problems(tree: Path, commit: str) -> list[str]:
    """Files of an extraction that differ from ``git archive <commit>`` (edited, missing, or a .py added):
    the extraction lies inside the working tree, where a tree-wide search-and-replace can reach it."""
    listing = git("ls-tree", "-r", "-z", commit, check=True).stdout.decode().split("\0")
    blobs = {}
    for entry in filter(None, listing):
        meta, path = entry.split("\t", 1)
        mode, kind, sha = meta.split()
        if kind == "blob" and mode != "120000":
            blobs[path] = sha
    present = [p for p in blobs if (tree / p).is_file()]
    problems = [f"missing {p}" for p in blobs if p not in set(present)]
    hashed = subprocess.run(["git", "hash-object", "--no-filters", "--stdin-paths"], cwd=tree, capture_output=True,
                            text=True, input="\n".join(str(tree.resolve() / p) for p in present), check=True
                            ).stdout.split()  # absolute: git reads --stdin-paths from the top of the repository
    problems += [f"changed {p}" for p, sha in zip(present, hashed, strict=True) if sha != blobs[p]]
    for f in (tree / "gridgov").rglob("*.py"):
        rel = f.relative_to(tree).as_posix()
        if rel not in blobs:
            problems.append(f"added {rel}")
    return problems


def extract(tree: Path, commit: str) -> None:
    import shutil

    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    archive = git("archive", commit, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    (tree / ".bench-source").write_text(f"git archive {commit}\n")


def prepare_tree(arg: str, side: str) -> tuple[Path, str | None]:
    """A tree from ``--before``/``--after``: a directory with gridgov/ as it is, or a commit, extracted with
    git archive into bench/out/<side>-<commit> and checked file by file against the commit on every run
    (re-extracted when something touched it).  Returns (the directory, the commit or None)."""
    path = Path(arg)
    if (path / "gridgov").is_dir() and not (path / ".bench-source").exists():
        return path.resolve(), None
    if (path / ".bench-source").exists():  # an extraction given by its directory
        commit = (path / ".bench-source").read_text().split()[-1]
        tree = path.resolve()
    else:
        commit = commit_of(arg)
        if commit is None:
            sys.exit(f"--{side} {arg}: neither a directory with gridgov/ nor a commit")
        tree = OUT_DIR / f"{side}-{arg if arg == BEFORE_COMMIT else commit[:10]}"
    if not (tree / ".bench-source").exists():
        print(f"· extracting git archive {commit[:10]} into {tree} …", flush=True)
        extract(tree, commit)
    elif problems := extraction_problems(tree, commit):
        print(f"· {tree} differs from {commit[:10]} ({len(problems)}: {', '.join(problems[:3])} …): "
              "extracting it again", flush=True)
        extract(tree, commit)
    return tree, commit


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summarise(runs: list[dict], lifecycles: list[str]) -> dict:
    out = {}
    for side in ("before", "after"):
        mine = [r for r in runs if r["side"] == side]
        per = {}
        for name in lifecycles + ["all"]:
            if name == "all":
                rows = [{"cases": sum(r["lifecycles"][n]["cases"] for n in lifecycles),
                         "seconds": sum(r["lifecycles"][n]["seconds"] for n in lifecycles),
                         "cpu_seconds": sum(r["lifecycles"][n]["cpu_seconds"] for n in lifecycles),
                         "server_cpu_seconds": sum(r["lifecycles"][n].get("server_cpu_seconds") or 0
                                                   for n in lifecycles),
                         "queries": sum(r["lifecycles"][n]["queries"] for n in lifecycles),
                         "idle_seconds": sum(r["lifecycles"][n]["idle_seconds"] or 0 for n in lifecycles),
                         "counts": {}} for r in mine]
            else:
                rows = [r["lifecycles"][name] for r in mine]
            rows = [{**x, "all_cpu_seconds": x["cpu_seconds"] + (x.get("server_cpu_seconds") or 0)} for x in rows]
            secs = [x["seconds"] for x in rows]
            cases = [x["cases"] for x in rows]
            rates = [c / s if s else 0.0 for c, s in zip(cases, secs, strict=True)]
            med_s = statistics.median(secs)
            per[name] = {
                "reps": len(rows), "cases": cases, "cases_same_every_rep": len(set(cases)) == 1,
                "counts": rows[0]["counts"],
                "seconds": {"median": med_s, "p95": pct(secs, 95), "min": min(secs), "max": max(secs), "all": secs},
                "cases_per_s": {"at_median_seconds": statistics.median(cases) / med_s if med_s else 0.0,
                                "median": statistics.median(rates), "min": min(rates), "max": max(rates)},
                "queries_per_case": statistics.median(
                    [x["queries"] / x["cases"] for x in rows if x["cases"]] or [0.0]),
                # CPU seconds of the sweep: the process (on SQLite that includes the database's work) plus, on a
                # local PostgreSQL, its server backend. Less sensitive to a loaded machine than wall time, blind to
                # waiting (fsync, round trips): a check, the wall-clock cases/s is the result
                "cpu_share": statistics.median([x["all_cpu_seconds"] / x["seconds"] for x in rows if x["seconds"]]),
                "cases_per_cpu_s": statistics.median(
                    [x["cases"] / x["all_cpu_seconds"] for x in rows if x["all_cpu_seconds"]]),
                "idle_sweep_s": statistics.median([x["idle_seconds"] or 0 for x in rows]),
            }
        out[side] = per
    out["ratio_after_before_cases_per_s"] = {
        n: (out["after"][n]["cases_per_s"]["median"] / out["before"][n]["cases_per_s"]["median"]
            if out["before"][n]["cases_per_s"]["median"] else None) for n in lifecycles + ["all"]}
    paired = {}
    for n in lifecycles + ["all"]:
        ratios = []
        for rep in sorted({r["rep"] for r in runs}):
            side_rows = {}
            for r in runs:
                if r["rep"] != rep:
                    continue
                names = lifecycles if n == "all" else [n]
                cases = sum(r["lifecycles"][m]["cases"] for m in names)
                secs = sum(r["lifecycles"][m]["seconds"] for m in names)
                side_rows[r["side"]] = cases / secs if secs else 0.0
            if side_rows.get("before"):
                ratios.append(side_rows["after"] / side_rows["before"])
        paired[n] = {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)} if ratios else None
    # the two runs of a lifecycle in a repetition follow each other: their ratio, one per repetition
    out["paired_ratio_after_before_cases_per_s"] = paired
    out["ratio_after_before_cases_per_cpu_s"] = {
        n: (out["after"][n]["cases_per_cpu_s"] / out["before"][n]["cases_per_cpu_s"]
            if out["before"][n]["cases_per_cpu_s"] else None) for n in lifecycles + ["all"]}
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_seed":
        return seed_main(sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "_drive":
        return drive_main(sys.argv[2:])
    ap = argparse.ArgumentParser(description="The SLA sweep, before and after (see the module docstring).")
    ap.add_argument("--before", default=BEFORE_COMMIT,
                    help=f"the before tree: a directory, or a commit to extract (default {BEFORE_COMMIT}, into "
                         f"bench/out/before-{BEFORE_COMMIT})")
    ap.add_argument("--after", default=str(BASE_DIR),
                    help="the after tree: a directory (default: this checkout, as it is) or a commit to extract")
    ap.add_argument("--reps", type=int, default=4,
                    help="repetitions (default 4); in each the trees take turns lifecycle by lifecycle")
    ap.add_argument("--events", type=int, default=30_000, help="events generated for the base (default 30000)")
    ap.add_argument("--due", type=int, default=1000, help="due cases added per lifecycle (default 1000)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--only", default=",".join(LIFECYCLES), help="comma-separated subset of events,disputes,petitions")
    ap.add_argument("--regen", action="store_true", help="remake the base database even if it matches")
    ap.add_argument("--python", default=sys.executable, help="the interpreter for both trees (default: this one)")
    args = ap.parse_args()
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    lifecycles = args.only.split(",")
    if unknown := set(lifecycles) - set(LIFECYCLES):
        ap.error(f"unknown lifecycles: {', '.join(sorted(unknown))}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    before, before_commit = prepare_tree(args.before, "before")
    after, after_commit = prepare_tree(args.after, "after")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"
    vendor = "sqlite" if url.startswith("sqlite:") else "postgresql"
    trees = {"before": tree_info(before, before_commit), "after": tree_info(after, after_commit)}
    marker = ensure_base(url, before, trees["before"], args, args.python)

    runs, samples = [], []
    t_all = pc()
    try:
        for rep in range(args.reps):
            drivers = {}
            try:
                for side, tree in (("before", before), ("after", after)):
                    drivers[side] = Driver(side, tree, url, args.python)
                results = {side: {**d.read(), "side": side, "rep": rep + 1, "lifecycles": {}}
                           for side, d in drivers.items()}
                for i, name in enumerate(lifecycles):
                    # the two trees take turns lifecycle by lifecycle, and who goes first alternates
                    order = ("before", "after") if (rep + i) % 2 == 0 else ("after", "before")
                    sample = load_sample()
                    samples.append({"rep": rep + 1, "lifecycle": name, "first": order[0], **sample})
                    for side in order:
                        result = drivers[side].run(name)
                        result.update(loadavg_before=sample["loadavg"], went_first=side == order[0])
                        results[side]["lifecycles"][name] = result
                    b, a = (results[side]["lifecycles"][name] for side in ("before", "after"))
                    print(f"  rep {rep + 1} {name:<9} load {sample['loadavg'][0]:5.2f}  {order[0]:<6} first:  before "
                          f"{b['cases']:,} in {b['seconds']:6.2f} s   after {a['cases']:,} in {a['seconds']:6.2f} s",
                          flush=True)
                runs.extend(results.values())
            finally:
                for d in drivers.values():
                    d.close()
    except RuntimeError as exc:
        sys.exit(str(exc))
    total_s = pc() - t_all
    summary = summarise(runs, lifecycles)
    for side, tree, commit in (("before", before, before_commit), ("after", after, after_commit)):
        # did anything touch a tree while it was measured? (others edit this checkout as it runs)
        changed = extraction_problems(tree, commit) if commit else []
        if tree_info(tree, commit)["sweep_code_sha256"] != trees[side]["sweep_code_sha256"]:
            changed.append("the sweep code changed")
        trees[side]["changed_during_run"] = changed[:20]

    # --- report
    db_version = runs[0]["db_version"]
    if not runs[0]["server_cpu"] and vendor == "postgresql":
        print("(the PostgreSQL server is not on this machine: CPU figures are the sweep process's only)")
    loads = [s["loadavg"][0] for s in samples]
    consumers: dict[str, list[float]] = {}
    for s in samples:
        here: dict[str, float] = {}
        for p in s["top"]:
            here[p["command"][:45]] = here.get(p["command"][:45], 0.0) + p["cpu"]
        for command, cpu in here.items():
            consumers.setdefault(command, []).append(cpu)
    print(f"\n{db_version} · base: {marker['inserted']} inserted over {args.events:,} generated events · "
          f"{args.reps} reps a tree, alternating · {total_s:.0f} s")
    for side in ("before", "after"):
        t = trees[side]
        extra = f", {t['uncommitted_gridgov_files']} uncommitted files under gridgov/" \
            if "uncommitted_gridgov_files" in t else ""
        print(f"  {side:<6} {t['path']} ({t.get('source', '?')}{extra}; sweep code {t['sweep_code_sha256']})")
        if t["changed_during_run"]:
            print(f"  WARNING: the {side} tree changed during the run: {', '.join(t['changed_during_run'][:5])}")
    if trees["before"]["sweep_code_sha256"] == trees["after"]["sweep_code_sha256"]:
        print("  the two trees have the same sweep code: the ratio should be ~1.0 (a check of the harness)")
    head = f"{'lifecycle':<10} {'tree':<7} {'cases':>7} {'sweep s median / p95':>21} {'cases/s':>9} " \
           f"{'(min–max)':>13} {'queries/case':>12} {'cpu':>5} {'cases/cpu-s':>11} {'empty call':>10}"
    print("\n" + head + "\n" + "-" * len(head))
    for name in lifecycles + ["all"]:
        for side in ("before", "after"):
            s = summary[side][name]
            cases = s["cases"][0] if s["cases_same_every_rep"] else f"{min(s['cases'])}–{max(s['cases'])}"
            print(f"{name:<10} {side:<7} {cases:>7} {s['seconds']['median']:>10.2f} / {s['seconds']['p95']:<8.2f} "
                  f"{s['cases_per_s']['median']:>9.0f} {s['cases_per_s']['min']:>6.0f}–{s['cases_per_s']['max']:<6.0f} "
                  f"{s['queries_per_case']:>12.1f} {s['cpu_share']:>5.0%} {s['cases_per_cpu_s']:>11.0f} "
                  f"{s['idle_sweep_s'] * 1e3:>8.0f}ms")
        ratio = summary["ratio_after_before_cases_per_s"][name]
        cpu_ratio = summary["ratio_after_before_cases_per_cpu_s"][name]
        pair = summary["paired_ratio_after_before_cases_per_s"][name]
        if ratio:
            print(f"{'':<10} after/before: cases/s {ratio:.3f} (run by run {pair['median']:.3f}, "
                  f"{pair['min']:.2f}–{pair['max']:.2f}); cases per CPU second {cpu_ratio:.3f}")
    print("\nrows the sweep inserted (first run of each tree):")
    for name in lifecycles:
        written = {side: next(r for r in runs if r["side"] == side)["lifecycles"][name]["rows_written"]
                   for side in ("before", "after")}
        fmt_rows = {side: ", ".join(f"{t} +{n:,}" for t, n in sorted(w.items())) or "nothing"
                    for side, w in written.items()}
        if written["before"] == written["after"]:
            print(f"  {name}: the same on both sides: {fmt_rows['before']}")
        else:
            print(f"  {name}: before {fmt_rows['before']}\n  {'':<{len(name)}}  after  {fmt_rows['after']}")
    mismatch = [n for n in lifecycles if summary["before"][n]["cases"] != summary["after"][n]["cases"]]
    if mismatch:
        print(f"\nNOTE: the trees swept different numbers of cases for {', '.join(mismatch)}: compare with care")
    print(f"\nmachine: {os.cpu_count()} cores; load average (1 min) before the measurements "
          f"{min(loads):.2f}–{max(loads):.2f} (median {statistics.median(loads):.2f})")
    top = sorted(consumers.items(), key=lambda kv: -sum(kv[1]))[:6]
    if top:
        print("  other CPU users seen (command: in how many of the samples, median %CPU): " + "; ".join(
            f"{cmd} {len(v)}/{len(samples)} {statistics.median(v):.0f}%" for cmd, v in top))

    mem = ""
    try:
        mem = next(f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB" for line in
                   Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        pass
    result = {
        "database": vendor, "source": url.split("@")[-1], "db_version": db_version,
        "run_at": datetime.now().isoformat(timespec="seconds"), "total_s": total_s,
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "machine": {"nproc": os.cpu_count(), "memory": mem, "python": platform.python_version(),
                    "platform": platform.platform()},
        "trees": trees, "base": marker, "reps": args.reps, "lifecycles": lifecycles,
        "summary": summary, "runs": runs,
        "load": {"samples": samples},
    }
    out = OUT_DIR / "sweep.json"
    existing = json.loads(out.read_text()) if out.exists() else {}
    existing[vendor] = result
    out.write_text(json.dumps(existing, ensure_ascii=False, indent=1, default=str))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()

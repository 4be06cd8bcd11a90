"""A database made and used by the code of 563b3c1 (main before the case kernel) upgrades with nothing lost.

The fixture (data/upgrade_from_563b3c1.sqlite3.gz, made by data/make_upgrade_db.sh with the OLD tree:
the demo city, then extension requests, attachments, linked cases, cited articles and all three SLA
sweeps) is copied and migrated by the CURRENT code's ``manage.py migrate`` in a subprocess. Before and
after, every table is read: its columns, its row count, every primary key, and the first and last
``SAMPLE`` rows by primary key with all their columns. The upgrade must keep every table (or move it
as RENAMED_TABLES says), every row, and every value of every column except those listed in
DROPPED_COLUMNS; ``showmigrations --plan`` must show everything applied.

On SQLite the copy itself is migrated. When the suite runs on PostgreSQL the same proof runs there too:
a scratch database (the test database's name + ``_upgrade``) is migrated by the current code up to
OLD_LEAVES (563b3c1's last migration of each app), every row of the fixture is copied into it in one
transaction (Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so they are checked at the commit
with all rows in place; the append-only triggers fire on UPDATE and DELETE only), the sequences are
moved past the copied ids, and then it is migrated to the head and compared before/after the same way.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connections

COMMIT = "563b3c1"
FIXTURE = Path(__file__).parent / "data" / f"upgrade_from_{COMMIT}.sqlite3.gz"
MANAGE = Path(settings.BASE_DIR) / "manage.py"
SAMPLE = 20

# the last migration of every app at 563b3c1 (its migration graph's leaf nodes)
OLD_LEAVES = {
    "contenttypes": "0002_remove_content_type_name",
    "auth": "0012_alter_user_first_name_max_length",
    "accounts": "0004_apitoken_user_agent",
    "admin": "0003_logentry_add_action_flag_choices",
    "axes": "0010_accessattemptexpiration",
    "sessions": "0001_initial",
    "django_tasks_database": "0021_conditional_partial_index_ordering",
    "core": "0003_phone_clear_dropped",
    "worktime": "0001_initial",
    "regions": "0002_grid_grid_updated_at_idx",
    "events": "0004_event_idempotency_fingerprint",
    "registry": "0005_transfer_request",
    "laws": "0002_fulltext",
    "disputes": "0007_dispute_idempotency_fingerprint",
    "petitions": "0005_reply_delivery",
}

# A table the upgrade moves on purpose: old name -> new name (its rows and columns are compared there).
# events_dailysequence stays: cases.DailySequence took the model and kept the table.
RENAMED_TABLES: dict[str, str] = {}
# A column the upgrade renames on purpose: (old table, old column) -> new column.
RENAMED_COLUMNS: dict[tuple[str, str], str] = {}
# A column the upgrade drops on purpose: old table -> its dropped columns.
DROPPED_COLUMNS: dict[str, set[str]] = {
    # disputes 0011: a cited article's raw consultation score (an engine-internal number, not comparable across
    # engines and never shown) gave way to the 0–100 relevance shown as 高/中/低; old citations keep their article
    # and read as cited without a relevance
    "disputes_disputearticle": {"score"},
}
# Tables ``migrate`` itself adds rows to (a new migration, the content types and permissions of a new
# model): their old rows must all be there unchanged, new rows may follow.
GROWING_TABLES = {"django_migrations", "django_content_type", "auth_permission"}
# SQLite's full-text index of laws_article (an FTS5 table with external content, rebuilt from
# laws_article, and its shadow tables): not on PostgreSQL; compared by row count only.
FTS_SHADOW = re.compile(r"_(data|idx|config|docsize|content)$")
# the settings the fixture was made with (make_upgrade_db.sh): nothing of the caller's deployment
SCRUBBED_ENV = ("SECRET_KEY", "GRIDGOV_FIELD_KEY", "GRIDGOV_HASH_KEY", "GRIDGOV_ENV", "REDIS_URL",
                "GRIDGOV_TASK_BACKEND", "GRIDGOV_MEDIA_ROOT", "GRIDGOV_TEST_DB")


def _suite_on_postgresql() -> bool:
    return connections["default"].vendor == "postgresql"


# --- reading a database -----------------------------------------------------------------------------


@dataclass
class Table:
    columns: list[str]
    key: list[str]  # primary key columns (all columns for a table without one)
    count: int
    keys: list[tuple]  # every row's key, in key order
    head: list[tuple]  # the first SAMPLE rows by key, all columns
    tail: list[tuple]  # the last SAMPLE rows by key


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SqliteReader:
    def __init__(self, path: Path):
        import sqlite3

        self.db = sqlite3.connect(path)
        rows = self.db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
        virtual = {name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")}
        self.index_only = virtual | {
            name for name, _sql in rows for v in virtual if name.startswith(v + "_") and FTS_SHADOW.search(name)}
        self.tables = sorted(name for name, _sql in rows if not name.startswith("sqlite_"))

    def columns(self, table: str) -> tuple[list[str], list[str]]:
        info = self.db.execute(f"PRAGMA table_info({_q(table)})").fetchall()
        columns = [row[1] for row in info]
        key = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
        return columns, key

    def fetch(self, sql: str) -> list[tuple]:
        return self.db.execute(sql).fetchall()

    def close(self):
        self.db.close()


class PostgresReader:
    def __init__(self, conninfo: dict):
        import psycopg

        self.db = psycopg.connect(**conninfo, autocommit=True)
        self.db.execute("SET TIME ZONE 'UTC'")
        self.index_only: set[str] = set()
        self.tables = sorted(r[0] for r in self.db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_type = 'BASE TABLE'").fetchall())

    def columns(self, table: str) -> tuple[list[str], list[str]]:
        columns = [r[0] for r in self.db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s ORDER BY ordinal_position", [table]).fetchall()]
        key = [r[0] for r in self.db.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)", [_q(table)]).fetchall()]
        return columns, key

    def fetch(self, sql: str) -> list[tuple]:
        return self.db.execute(sql).fetchall()

    def close(self):
        self.db.close()


def read_table(reader, table: str, columns: list[str] | None = None, key: list[str] | None = None) -> Table:
    """``columns``/``key`` name the columns to read (an old table's, mapped to the new names)."""
    own_columns, own_key = reader.columns(table)
    columns = columns or own_columns
    key = key or own_key or columns
    name = _q(table)
    count = reader.fetch(f"SELECT COUNT(*) FROM {name}")[0][0]
    if table in reader.index_only:
        return Table(columns, key, count, [], [], [])
    cols = ", ".join(_q(c) for c in columns)
    keys = ", ".join(_q(c) for c in key)
    desc = ", ".join(f"{_q(c)} DESC" for c in key)
    return Table(
        columns, key, count,
        keys=reader.fetch(f"SELECT {keys} FROM {name} ORDER BY {keys}"),
        head=reader.fetch(f"SELECT {cols} FROM {name} ORDER BY {keys} LIMIT {SAMPLE}"),
        tail=reader.fetch(f"SELECT {cols} FROM {name} ORDER BY {desc} LIMIT {SAMPLE}"),
    )


def snapshot(reader) -> dict[str, Table]:
    return {table: read_table(reader, table) for table in reader.tables}


# --- the comparison ---------------------------------------------------------------------------------


def compare(before: dict[str, Table], reader) -> list[str]:
    """What the upgrade lost or changed, table by table (empty when nothing)."""
    problems = []
    after_tables = set(reader.tables)
    for table, old in sorted(before.items()):
        new_table = RENAMED_TABLES.get(table, table)
        if new_table not in after_tables:
            problems.append(f"{table}: the table is gone" + (f" (expected as {new_table})" if new_table != table else ""))
            continue
        new_columns, _new_key = reader.columns(new_table)
        dropped = DROPPED_COLUMNS.get(table, set())
        kept, mapped = [], []
        for column in old.columns:
            name = RENAMED_COLUMNS.get((table, column), column)
            if column in dropped:
                if name in new_columns:
                    problems.append(f"{table}.{column}: listed in DROPPED_COLUMNS but still there")
                continue
            if name not in new_columns:
                problems.append(f"{table}.{column}: the column is gone (not in DROPPED_COLUMNS)")
                continue
            kept.append(column)
            mapped.append(name)
        if set(old.key) - set(kept):
            problems.append(f"{table}: its key {old.key} is not all there any more")
            continue
        key = [RENAMED_COLUMNS.get((table, c), c) for c in old.key]
        new = read_table(reader, new_table, mapped, key)
        growing = table in GROWING_TABLES
        if new.count != old.count and not (growing and new.count > old.count):
            problems.append(f"{table}: {old.count} rows before, {new.count} after")
        if table in getattr(reader, "index_only", set()):
            continue
        if growing:
            missing = set(old.keys) - set(new.keys)
            if missing:
                problems.append(f"{table}: {len(missing)} rows gone, e.g. {sorted(missing)[:5]}")
        elif new.keys != old.keys:
            gone, added = set(old.keys) - set(new.keys), set(new.keys) - set(old.keys)
            problems.append(f"{table}: primary keys differ — gone {sorted(gone)[:5]}, new {sorted(added)[:5]}")
        positions = [old.columns.index(c) for c in kept]
        if growing:  # the old rows, wherever they are among the new ones
            wanted = {row_key(old, row): row for row in old.head + old.tail}
            found = reader.fetch(
                f"SELECT {', '.join(_q(c) for c in mapped)} FROM {_q(new_table)}") if wanted else []
            by_key = {row_key(Table(mapped, key, 0, [], [], []), row): row for row in found}
            pairs = [(row, by_key.get(k)) for k, row in wanted.items()]
        else:
            pairs = list(zip(old.head, new.head, strict=False)) + list(zip(old.tail, new.tail, strict=False))
        for old_row, new_row in pairs:
            expected = tuple(old_row[i] for i in positions)
            if new_row is None or tuple(new_row) != expected:
                diff = ("missing" if new_row is None else
                        {c: (a, b) for c, a, b in zip(kept, expected, new_row, strict=True) if a != b})
                problems.append(f"{table}: row {row_key(old, old_row)} changed: {diff}")
    return problems


def row_key(table: Table, row: tuple) -> tuple:
    return tuple(row[table.columns.index(c)] for c in table.key)


# --- running the current code -----------------------------------------------------------------------


def manage(database_url: str, tmp_path: Path, *args: str, timeout: int = 300) -> str:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(DATABASE_URL=database_url, GRIDGOV_DATA_DIR=str(tmp_path / "data"), DJANGO_SETTINGS_MODULE="gridgov.settings")
    done = subprocess.run([sys.executable, str(MANAGE), *args], cwd=settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done.stdout


def upgrade_and_compare(database_url: str, tmp_path: Path, open_reader) -> None:
    reader = open_reader()
    try:
        before = snapshot(reader)
    finally:
        reader.close()
    manage(database_url, tmp_path, "migrate", "--no-input", "-v", "0")
    plan = manage(database_url, tmp_path, "showmigrations", "--plan")
    unapplied = [line for line in plan.splitlines() if not line.startswith("[X]")]
    assert plan.strip() and not unapplied, f"not applied after migrate: {unapplied}"
    reader = open_reader()
    try:
        problems = compare(before, reader)
    finally:
        reader.close()
    if problems:
        pytest.fail(f"the upgrade from {COMMIT} lost or changed data:\n" + "\n".join(problems), pytrace=False)


def unpack_fixture(tmp_path: Path) -> Path:
    path = tmp_path / "old.sqlite3"
    with gzip.open(FIXTURE) as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def test_the_fixture_is_a_database_of_563b3c1_with_rows_in_every_case_table(tmp_path):
    reader = SqliteReader(unpack_fixture(tmp_path))
    try:
        applied = reader.fetch("SELECT app, name FROM django_migrations")
        leaves = {}
        for app, name in applied:
            leaves[app] = max(leaves.get(app, ""), name)
        assert leaves == OLD_LEAVES
        empty = [t for t in reader.tables
                 if t.split("_")[0] in ("events", "disputes", "petitions")
                 and reader.fetch(f"SELECT COUNT(*) FROM {_q(t)}")[0][0] == 0]
        assert empty == []
    finally:
        reader.close()


# --- SQLite: the copy itself; PostgreSQL: the fixture's rows loaded at the old leaves -------------------


def _postgres_params() -> dict:
    s = connections["default"].settings_dict
    return {"host": s.get("HOST") or "", "port": str(s.get("PORT") or ""), "user": s.get("USER") or "",
            "password": s.get("PASSWORD") or ""}


def _postgres_url(params: dict, dbname: str) -> str:
    auth = quote(params["user"], safe="") + (":" + quote(params["password"], safe="") if params["password"] else "")
    port = f":{params['port']}" if params["port"] else ""
    return f"postgres://{auth}@{params['host']}{port}/{dbname}"


def _conninfo(params: dict, dbname: str) -> dict:
    return {"dbname": dbname, **{k: v for k, v in params.items() if v}}


def load_fixture_into_postgres(sqlite_path: Path, conninfo: dict) -> None:
    """Every row of every fixture table, same columns, in one transaction; then the sequences."""
    import psycopg

    source = SqliteReader(sqlite_path)
    try:
        with psycopg.connect(**conninfo) as pg:
            pg.execute("SET TIME ZONE 'UTC'")  # Django keeps UTC in SQLite, without an offset
            target = {r[0] for r in pg.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_type = 'BASE TABLE'").fetchall()}
            tables = [t for t in source.tables if t not in source.index_only]
            missing = [t for t in tables if t not in target]
            assert not missing, f"tables of the fixture missing at the old leaves on PostgreSQL: {missing}"
            pg.execute("TRUNCATE " + ", ".join(_q(t) for t in tables))  # what post_migrate made at the leaves
            for table in tables:
                columns, _key = source.columns(table)
                pg_columns = {r[0]: r[1] for r in pg.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = %s", [table]).fetchall()}
                assert set(columns) == set(pg_columns), f"{table}: columns differ on PostgreSQL at the old leaves"
                rows = source.fetch(f"SELECT {', '.join(_q(c) for c in columns)} FROM {_q(table)}")
                intervals = [i for i, c in enumerate(columns) if pg_columns[c] == "interval"]
                with pg.cursor() as cur, cur.copy(
                        f"COPY {_q(table)} ({', '.join(_q(c) for c in columns)}) FROM STDIN") as copy:
                    for row in rows:
                        if intervals:  # Django keeps a duration as microseconds in SQLite
                            row = list(row)
                            for i in intervals:
                                row[i] = None if row[i] is None else timedelta(microseconds=row[i])
                        copy.write_row(row)
            sequences = pg.execute(
                "SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name) "
                "FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL").fetchall()
            for table, column, sequence in sequences:
                pg.execute(f"SELECT setval(%s, COALESCE((SELECT MAX({_q(column)}) FROM {_q(table)}), 1), "
                           f"(SELECT MAX({_q(column)}) FROM {_q(table)}) IS NOT NULL)", [sequence])
        # the copy is complete: the same number of rows in every table
        with psycopg.connect(**conninfo, autocommit=True) as pg:
            for table in tables:
                n = pg.execute(f"SELECT COUNT(*) FROM {_q(table)}").fetchone()[0]
                assert n == source.fetch(f"SELECT COUNT(*) FROM {_q(table)}")[0][0], table
    finally:
        source.close()


@pytest.fixture
def scratch_postgres():
    """A fresh PostgreSQL database next to the test database (dropped at the end): its URL and conninfo."""
    import psycopg

    params = _postgres_params()
    name = (connections["default"].creation._get_test_db_name() + "_upgrade")[:63]
    admin = _conninfo(params, "postgres")

    def drop():
        with psycopg.connect(**admin, autocommit=True) as pg:
            pg.execute(f"DROP DATABASE IF EXISTS {_q(name)} WITH (FORCE)")

    drop()
    with psycopg.connect(**admin, autocommit=True) as pg:
        pg.execute(f"CREATE DATABASE {_q(name)}")
    try:
        yield _postgres_url(params, name), _conninfo(params, name)
    finally:
        drop()


# after the upgrade: the statistics rollups built from the old cases (manage.py tally_rebuild) must be what a
# recomputation gives — checked by the current code in the upgraded database
ROLLUP_CHECK = """
from gridgov.cases import tally
from gridgov.cases.engine import lifecycles
from gridgov.events.models import Event
stored, expected = tally.stored(), tally.expected(tally.recompute(lifecycles()))
print("ROLLUPS", "equal" if stored == expected else "differ", *(len(stored[t]) for t in ("tally", "open")))
closed = Event.objects.filter(status="closed")
print("DUE", Event.objects.filter(due_at__isnull=True).count(), closed.count(),
      closed.filter(closed_on_time__isnull=True).count(), closed.filter(closed_on_time=True).count())
"""


def rebuild_rollups_and_check(database_url: str, tmp_path: Path) -> None:
    out = manage(database_url, tmp_path, "tally_rebuild")
    assert "统计汇总已重建" in out, out
    said = manage(database_url, tmp_path, "shell", "-c", ROLLUP_CHECK).split()
    verdict = said[said.index("ROLLUPS") + 1:said.index("DUE")]
    assert verdict[0] == "equal" and int(verdict[1]) > 0 and int(verdict[2]) > 0, verdict
    # every old event got its 办结时限, and every old closed one whether it met it (some did)
    no_due, closed, unjudged, on_time = (int(x) for x in said[said.index("DUE") + 1:said.index("DUE") + 5])
    assert no_due == 0 and closed > 0 and unjudged == 0 and 0 < on_time <= closed, said


TARGETS = ["sqlite"] + (["postgresql"] if _suite_on_postgresql() else [])


@pytest.mark.parametrize("target", TARGETS)
def test_migrating_a_database_of_563b3c1_keeps_every_table_row_and_value(target, tmp_path, request):
    fixture = unpack_fixture(tmp_path)
    if target == "sqlite":
        upgrade_and_compare(f"sqlite:///{fixture}", tmp_path, lambda: SqliteReader(fixture))
        rebuild_rollups_and_check(f"sqlite:///{fixture}", tmp_path)
        return
    url, conninfo = request.getfixturevalue("scratch_postgres")
    steps = "\n".join(f"call_command('migrate', {app!r}, {leaf!r}, interactive=False, verbosity=0)"
                      for app, leaf in OLD_LEAVES.items())
    manage(url, tmp_path, "shell", "-c", "from django.core.management import call_command\n" + steps)
    load_fixture_into_postgres(fixture, conninfo)
    upgrade_and_compare(url, tmp_path, lambda: PostgresReader(conninfo))
    rebuild_rollups_and_check(url, tmp_path)

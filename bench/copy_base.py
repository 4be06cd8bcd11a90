"""Copy a benchmark base made by bench/generate.py on SQLite into a PostgreSQL database, row for row, so both
databases are timed on the very same data.  A benchmark tool, not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_bench_stats \\
        .venv/bin/python bench/copy_base.py bench/out/stats2m.sqlite3 [--reset]

Why: generating 2,000,000 events simulates every case's lifecycle in Python (tens of minutes to hours on a
shared 2-core machine); copying the finished rows takes minutes.  The generator is deterministic for a
seed, so a generated PostgreSQL base and a copied one hold the same cases; the copy saves the simulation.

How: ``migrate`` the target (refused if it has tables, unless ``--reset`` drops and recreates its
``public`` schema), empty every table the migrations filled, then for each table of the SQLite file
(``bench_meta`` included; ``django_migrations`` and SQLite's full-text tables excepted) ``COPY … FROM STDIN`` its rows, with the
triggers and foreign-key checks of the session off (``session_replication_role = replica``: the rows were
consistent in the source; the append-only logs' triggers refuse updates, not inserts).  SQLite's 0/1 become
booleans; its timestamps are UTC text, read with the session's time zone set to UTC.  Then the sequences
are set past the largest ids and the tables ANALYZEd.  At the end the row count of every table is compared
between the two databases; a difference is an error (exit 1).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402
from generate import prepare_database  # noqa: E402

CHUNK = 20_000
NULL_MARK = "@@NULL@@"


def copy_table(cur, source: Path, src: sqlite3.Connection, table: str, cols: list[str]) -> None:
    """COPY one table: as CSV straight from the ``sqlite3`` program when it is installed (no Python per row:
    SQLite's 0/1 are read as booleans, NULL travels as a marker no value holds), else row by row."""
    from django.db import connection

    names = ", ".join(connection.ops.quote_name(c) for c in cols)
    quoted = ", ".join(f'"{c}"' for c in cols)
    if shutil.which("sqlite3"):
        dump = subprocess.Popen(["sqlite3", "-bail", "-readonly", "-csv", "-noheader", "-nullvalue", NULL_MARK,
                                 str(source), f'SELECT {quoted} FROM "{table}"'], stdout=subprocess.PIPE)
        with cur.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN "
                             f"WITH (FORMAT csv, NULL '{NULL_MARK}')") as copy:
            while block := dump.stdout.read(1 << 20):
                copy.write(block)
        if dump.wait() != 0:
            sys.exit(f"sqlite3 failed on {table}")
        return
    cur.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s", [table])
    types = dict(cur.fetchall())
    booleans = [i for i, c in enumerate(cols) if types.get(c) == "boolean"]
    rows = src.execute(f'SELECT {quoted} FROM "{table}"')
    with cur.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN") as copy:
        while batch := rows.fetchmany(CHUNK):
            for row in batch:
                if booleans:
                    row = list(row)
                    for i in booleans:
                        if row[i] is not None:
                            row[i] = bool(row[i])
                copy.write_row(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="the SQLite file bench/generate.py made")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the target's public schema first")
    args = parser.parse_args()

    url = benchlib.database_url()
    if benchlib.is_sqlite(url):
        sys.exit("DATABASE_URL must name the PostgreSQL target")
    source = Path(args.source)
    if not source.exists():
        sys.exit(f"{source}: no such file")
    benchlib.setup_django(url)
    prepare_database(url, args.reset)

    from django.apps import apps
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection

    t_all = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    tables = [r[0] for r in src.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name != 'django_migrations' ORDER BY name")]
    # SQLite's own full-text index (laws' FTS5 table and its shadow tables): PostgreSQL indexes the articles its way
    virtual = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")]
    tables = [t for t in tables if not any(t == v or t.startswith(v + "_") for v in virtual)]
    counts: dict[str, tuple[int, int]] = {}
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute("SET TIME ZONE 'UTC'")
        if benchlib.META_TABLE in tables:
            cur.execute(f"CREATE TABLE IF NOT EXISTS {benchlib.META_TABLE} "
                        "(key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)")
        present = set(connection.introspection.table_names(cur))
        missing = [t for t in tables if t not in present]
        if missing:
            sys.exit(f"tables of the source that the target lacks (different migrations?): {missing}")
        cur.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " CASCADE")
        # plain (non-unique) indexes are dropped for the load and built again after it: one sort each
        # instead of millions of insertions
        cur.execute("SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indrelid WHERE c.relname = ANY(%s) "
                    "AND NOT i.indisunique AND NOT i.indisprimary", [tables])
        indexes = cur.fetchall()
        for name, _definition in indexes:
            cur.execute(f"DROP INDEX {name}")
        for table in tables:
            t = time.perf_counter()
            cols = [r[1] for r in src.execute(f'PRAGMA table_info("{table}")')]
            n = src.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            if n:
                copy_table(cur, source, src, table, cols)
            counts[table] = (n, 0)
            if n >= 100_000:
                print(f"  {table}: {n:,} rows in {time.perf_counter() - t:.1f} s", flush=True)
        t = time.perf_counter()
        for _name, definition in indexes:
            cur.execute(definition)
        print(f"  {len(indexes)} indexes built again in {time.perf_counter() - t:.1f} s", flush=True)
        models = [m for m in apps.get_models() if m._meta.db_table in tables]
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cur.execute(sql)
        cur.execute("SET session_replication_role = DEFAULT")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
        bad = []
        for table, (n, _) in counts.items():
            cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            copied = cur.fetchone()[0]
            counts[table] = (n, copied)
            if copied != n:
                bad.append(f"{table}: {n} in the source, {copied} in the target")
    total = sum(n for n, _ in counts.values())
    print(f"copied {total:,} rows of {len(tables)} tables in {time.perf_counter() - t_all:.1f} s")
    if bad:
        sys.exit("row counts differ: " + "; ".join(bad))


if __name__ == "__main__":
    main()

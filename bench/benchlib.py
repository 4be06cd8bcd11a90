"""Shared helpers for bench/generate.py and bench/run.py (benchmarks, not tests).

Nothing here is collected by pytest: ``testpaths = ["gridgov"]`` and no file is named test_*.py.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OUT_DIR = BASE_DIR / "bench" / "out"
DEFAULT_SQLITE = OUT_DIR / "bench.sqlite3"
CITY = "3715"
META_TABLE = "bench_meta"


def database_url() -> str:
    """DATABASE_URL from the environment, else the default SQLite file under bench/out/."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite:")


def sqlite_path(url: str) -> Path:
    return Path(url.split("sqlite:///", 1)[1])


def ensure_postgres_database(url: str) -> bool:
    """Create the PostgreSQL database ``url`` names if it does not exist yet (through the server's own
    ``postgres`` database). Returns True when it was created."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def setup_django(url: str) -> None:
    """Point gridgov.settings at ``url`` and run django.setup() (the real settings module)."""
    os.environ["DATABASE_URL"] = url
    # DEBUG=1 (the development default) makes Django keep every query in memory: not what production runs
    os.environ["DEBUG"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "gridgov.settings"
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


# --- a small key/value table in the benchmark database (not a Django model) --------------------


def write_meta(values: dict) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)")
        for key, value in values.items():
            cur.execute(f"DELETE FROM {META_TABLE} WHERE key = %s", [key])
            cur.execute(f"INSERT INTO {META_TABLE} (key, value) VALUES (%s, %s)", [key, json.dumps(value)])


def read_meta() -> dict:
    from django.db import connection

    if META_TABLE not in connection.introspection.table_names():
        return {}
    with connection.cursor() as cur:
        cur.execute(f"SELECT key, value FROM {META_TABLE}")
        return {k: json.loads(v) for k, v in cur.fetchall()}


# --- statistics -----------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    if lo == hi:
        return sorted_values[lo]
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def summary(samples: list[float], scale: float = 1.0) -> dict:
    """median / p95 / min / max / mean of ``samples`` (seconds) times ``scale`` (1e3 → ms, 1e6 → µs)."""
    s = sorted(x * scale for x in samples)
    return {
        "n": len(s),
        "median": percentile(s, 50),
        "p95": percentile(s, 95),
        "min": s[0] if s else float("nan"),
        "max": s[-1] if s else float("nan"),
        "mean": sum(s) / len(s) if s else float("nan"),
    }

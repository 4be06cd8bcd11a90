"""Where the registry import's time goes: cProfile of one import of ``bench/out/registry-<N>.xlsx`` into a copy of
the freshly set-up ``bench/out/registry-<N>.sqlite3`` (both made by ``bench/registry_import.py --phase setup`` and
``--phase generate``; run this before any import into that database).

    .venv/bin/python bench/registry_import_profile.py --rows 20000 [--top 40] [--reimport]

Prints the functions with the most cumulative and the most own time.  A benchmark helper, not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--reimport", action="store_true", help="profile a second import of the same file")
    args = parser.parse_args()
    src = benchlib.OUT_DIR / f"registry-{args.rows}.sqlite3"
    xlsx = benchlib.OUT_DIR / f"registry-{args.rows}.xlsx"
    db = benchlib.OUT_DIR / f"registry-{args.rows}-profile.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    shutil.copy(src, db)
    benchlib.setup_django(f"sqlite:///{db}")
    from gridgov.accounts.models import User
    from gridgov.registry.excel.importer import import_rows

    actor = User.objects.get(username="bench_admin")
    if args.reimport:
        import_rows(actor, "residents", xlsx)
    profile = cProfile.Profile()
    t = time.perf_counter()
    profile.enable()
    report = import_rows(actor, "residents", xlsx)
    profile.disable()
    wall = time.perf_counter() - t
    print(f"{report.total:,} rows in {wall:.1f} s under cProfile ({report.total / wall:,.0f} rows/s): "
          f"{report.summary()}")
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(key).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()

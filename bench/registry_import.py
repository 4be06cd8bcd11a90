"""Benchmark of the registry Excel import (一标三实): N residents through ``registry.excel.importer.import_rows``.

    .venv/bin/python bench/registry_import.py --rows 100000            # setup + generate + import
    .venv/bin/python bench/registry_import.py --rows 1000000 --reimport 0
    .venv/bin/python bench/registry_import.py --rows 100000 --phase import   # re-use the file and a fresh DB
    .venv/bin/python bench/registry_import.py --rows 200000 --db postgres     # PostgreSQL bench_import_<N>
    .venv/bin/python bench/registry_import.py --rows 20000 --phase measure    # into the database as it is now

What it does (a benchmark, not a test; nothing here is collected by pytest)
--------------------------------------------------------------------------
1. ``setup``: a FRESH SQLite database ``bench/out/registry-<N>.sqlite3`` (deleted first), ``migrate``,
   the real 聊城 divisions (``data/divisions/3715`` via ``regions.services.import_divisions``: 2,408
   communities), ``generate_demo_grids("3715")`` (one general grid per community, so the address
   service picks the grid itself) and an administrator as the importing actor.
2. ``generate``: ``bench/out/registry-<N>.xlsx`` with N residents, written in streaming mode
   (openpyxl ``write_only``). ID numbers are valid and unique: county prefix of the community +
   birth date + 3-digit sequence + the check digit from ``stdnum.cn.ric``; residents are spread over
   houses (1–5 a house, 3 on average) in all communities, consecutive rows of a house together as in
   a real household register.
3. ``import``: ``import_rows(admin, "residents", file)``; wall time, rows/s and the process's
   resident memory (VmRSS, sampled after every committed chunk, and the peak ``ru_maxrss``). With
   ``--reimport 1`` the same file is imported a second time (every row must come back "unchanged").

4. ``floor``: the same number of rows written with a plain ``executemany`` INSERT (chunks of ``--chunk`` a
   transaction, values made beforehand) into a table shaped like the residents table, in the same database
   and the same run: the rate nothing in Python stands in the way of. Reported with the import's ratio to it.

With ``--db postgres`` the database is ``bench_import_<N>`` on 127.0.0.1:5432, or ``$BENCH_PG_NAME`` (dropped and
created by ``setup``); the .xlsx is the same file.  Each phase runs in its own child process, so the import's peak memory
is the import's alone.
Results go to ``bench/out/registry-<N>.json`` and are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

OUT = benchlib.OUT_DIR
BIRTH_START = date(1940, 1, 1)
BIRTH_DAYS = 25_000  # 1940 … 2008
DAY_STEP = 7919  # coprime with BIRTH_DAYS: i → birth day is a permutation within each block
HEADERS = ["姓名", "证件类型", "证件号码", "联系电话", "人口类型", "户籍地", "与户主关系", "迁入日期",
           "社区代码(12位)", "街路巷/小区", "楼栋", "单元", "楼层", "室"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国玉兰志强海燕红梅春燕晓东立新"
RELATIONS = ["户主", "配偶", "子女", "父母", "孙子女", "其他"]


PG = "postgres://postgres@127.0.0.1:5432/"


def paths(rows: int) -> dict[str, Path]:
    return {"db": OUT / f"registry-{rows}.sqlite3", "xlsx": OUT / f"registry-{rows}.xlsx",
            "json": OUT / f"registry-{rows}{'-pg' if _db() == 'postgres' else ''}.json"}


def _db() -> str:
    return os.environ.get("BENCH_DB", "sqlite")


def pg_name(rows: int) -> str:
    return os.environ.get("BENCH_PG_NAME") or f"bench_import_{rows}"


def db_url(rows: int) -> str:
    return f"{PG}{pg_name(rows)}" if _db() == "postgres" else f"sqlite:///{paths(rows)['db']}"


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


# ------------------------------------------------------------------------------------------- phases


def phase_setup(rows: int) -> dict:
    db = paths(rows)["db"]
    db.parent.mkdir(parents=True, exist_ok=True)
    if _db() == "postgres":
        import psycopg

        with psycopg.connect(PG + "postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {pg_name(rows)}")
            conn.execute(f"CREATE DATABASE {pg_name(rows)}")
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    benchlib.setup_django(db_url(rows))
    from django.core.management import call_command

    from gridgov.accounts.models import User
    from gridgov.regions.services import generate_demo_grids, import_divisions

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    import_divisions(benchlib.BASE_DIR / "data" / "divisions" / "3715", "3715")
    grids = generate_demo_grids("3715", per_community=1)
    User.objects.create_superuser("bench_admin", password=None, role=User.Role.ADMIN, full_name="导入基准")
    return {"setup_s": round(time.perf_counter() - t, 1), "grids": grids["created"]}


def _communities() -> list[str]:
    benchlib.setup_django(os.environ["DATABASE_URL"])
    from gridgov.regions.models import Region

    return list(Region.objects.filter(level=Region.Level.COMMUNITY, code__startswith="3715")
                .order_by("code").values_list("code", flat=True))


def phase_generate(rows: int, seed: int) -> dict:
    from openpyxl import Workbook
    from stdnum.cn import ric

    os.environ["DATABASE_URL"] = db_url(rows)
    communities = _communities()
    rnd = random.Random(seed)
    t = time.perf_counter()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("实有人口")
    ws.append(HEADERS)
    i = house = 0
    while i < rows:
        community = communities[house % len(communities)]
        road = f"幸福路{house // len(communities) // 400 + 1}号院"
        n = house // len(communities) % 400
        building, unit, floor = str(n // 40 + 1), str(n // 20 % 2 + 1), str(n // 4 % 5 + 1)
        room = f"{floor}0{n % 4 + 1}"  # 400 distinct homes per road: 10 buildings × 2 units × 5 floors × 4
        size = min(rnd.choice((1, 2, 3, 3, 3, 4, 5)), rows - i)
        for member in range(size):
            day = (i * DAY_STEP) % BIRTH_DAYS
            seq = i // BIRTH_DAYS
            if seq >= 1000:
                raise SystemExit("more rows than unique ID numbers in this scheme (25,000,000)")
            body = f"{community[:6]}{(BIRTH_START + timedelta(days=day)):%Y%m%d}{seq:03d}"
            number = body + ric.calc_check_digit(body + "?")
            name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + (rnd.choice(GIVEN) if rnd.random() < 0.6 else "")
            phone = f"1{rnd.choice('3578')}{rnd.randrange(10**9):09d}" if rnd.random() < 0.8 else ""
            household = "户籍人口" if rnd.random() < 0.8 else "流动人口"
            moved_in = (date(2000, 1, 1) + timedelta(days=rnd.randrange(9000))).isoformat()
            ws.append([name, "居民身份证", number, phone, household, "山东省聊城市", RELATIONS[min(member, 5)], moved_in,
                       community, road, building, unit, floor, room])
            i += 1
        house += 1
    wb.save(paths(rows)["xlsx"])
    return {"generate_s": round(time.perf_counter() - t, 1), "houses": house,
            "xlsx_mb": round(paths(rows)["xlsx"].stat().st_size / 2**20, 1), "generate_peak_rss_mb": round(peak_mb())}


def phase_floor(rows: int, chunk: int) -> dict:
    """executemany INSERT of ``rows`` resident-shaped rows, ``chunk`` a transaction: the floor of the import."""
    benchlib.setup_django(db_url(rows))
    from django.db import connection, transaction

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_floor_resident")
        cur.execute("CREATE TABLE bench_floor_resident (id INTEGER PRIMARY KEY, name VARCHAR(50), id_type VARCHAR(16), "
                    "id_number_enc TEXT, id_hash VARCHAR(64), id_masked VARCHAR(32), birth_date DATE, sex VARCHAR(1), "
                    "phone_enc TEXT, phone_hash VARCHAR(64), household VARCHAR(16), hukou_place VARCHAR(100), "
                    "relation VARCHAR(20), moved_in DATE, house_id INTEGER, region_id INTEGER)")
        cur.execute("CREATE INDEX bench_floor_resident_hash ON bench_floor_resident (id_hash)")
    token = "gAAAAAB" + "x" * 130  # the length of a Fernet token of an 18-character number
    values = [(i, f"姓名{i % 97}", "ric", token, f"{i:064x}", "371502********123X", date(1980, 1, 1) + timedelta(days=i % 9000),
               "M", token, f"{i * 7:064x}", "registered", "山东省聊城市", "户主", date(2020, 1, 1), i // 3, i % 2408)
              for i in range(chunk)]
    sql = ("INSERT INTO bench_floor_resident VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
           "%s)")
    t = time.perf_counter()
    done = 0
    while done < rows:
        n = min(chunk, rows - done)
        batch = [(done + v[0], *v[1:4], f"{done + v[0]:064x}", *v[5:]) for v in values[:n]]
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(sql, batch)
        done += n
    wall = time.perf_counter() - t
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_floor_resident")
    return {"floor_s": round(wall, 1), "floor_rows_per_s": round(rows / wall)}


def phase_import(rows: int, label: str, chunk: int, reader: str = "auto") -> dict:
    benchlib.setup_django(db_url(rows))
    from gridgov.accounts.models import User
    from gridgov.registry.excel.importer import import_rows
    from gridgov.registry.models import Address, Change, House, Resident

    actor = User.objects.get(username="bench_admin")
    samples: list[tuple[int, float]] = []
    next_print = [0.0]
    t = time.perf_counter()

    def progress(report):
        done = report.total
        samples.append((done, round(rss_mb(), 1)))
        if time.perf_counter() >= next_print[0]:
            next_print[0] = time.perf_counter() + 30
            elapsed = time.perf_counter() - t
            print(f"  {label}: {done:,} rows, {elapsed:,.0f} s, {done / elapsed:,.0f} rows/s, "
                  f"RSS {samples[-1][1]:.0f} MB", flush=True)

    report = import_rows(actor, "residents", paths(rows)["xlsx"], chunk_size=chunk, progress=progress,
                         reader_process={"auto": None, "on": True, "off": False}[reader])
    wall = time.perf_counter() - t
    # RSS at 10 %, 25 %, 50 %, 75 % and 100 % of the rows: how memory grows with the file
    marks = {f"{q}%": next((mb for done, mb in samples if done >= rows * q / 100), samples[-1][1])
             for q in (10, 25, 50, 75, 100)}
    return {
        f"{label}_reader": reader, f"{label}_s": round(wall, 1), f"{label}_rows_per_s": round(report.total / wall),
        f"{label}_counts": {"created": report.created, "submitted": report.submitted, "updated": report.updated,
                            "unchanged": report.unchanged,
                            "rejected": report.rejected, **{f"also_{k}": v for k, v in report.also_created.items()}},
        f"{label}_rss_mb_at": marks, f"{label}_peak_rss_mb": round(peak_mb()),
        f"{label}_first_rejects": [(r.row, r.reason) for r in report.rejected_rows[:5]],
        "db_rows": {"Address": Address.objects.count(), "House": House.objects.count(),
                    "Resident": Resident.objects.count(), "Change": Change.objects.count()},
    }


# ------------------------------------------------------------------------------------------- driver


def child(phase: str, args) -> dict:
    cmd = [sys.executable, __file__, "--rows", str(args.rows), "--seed", str(args.seed), "--chunk", str(args.chunk),
           "--phase", phase, "--reader", args.reader, "--child"]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True,
                         env={**os.environ, "BENCH_DB": args.db}).stdout
    lines = out.splitlines()
    for line in lines[:-1]:
        print(line, flush=True)
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--chunk", type=int, default=2000, help="rows per transaction (the importer's default)")
    parser.add_argument("--reimport", type=int, default=1, help="1: import the same file a second time")
    parser.add_argument("--phase", choices=["all", "setup", "generate", "import", "reimport", "floor", "measure"], default="all")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--no-generate", action="store_true", help="re-use bench/out/registry-<N>.xlsx")
    parser.add_argument("--reader", choices=["auto", "on", "off"], default="auto",
                        help="read the sheet in a second process: by the file's size (auto), always, never")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        run = {"setup": lambda: phase_setup(args.rows), "generate": lambda: phase_generate(args.rows, args.seed),
               "import": lambda: phase_import(args.rows, "import", args.chunk, args.reader),
               "reimport": lambda: phase_import(args.rows, "reimport", args.chunk, args.reader),
               "floor": lambda: phase_floor(args.rows, args.chunk)}[args.phase]
        result = run()
        print(json.dumps(result, ensure_ascii=False), flush=True)
        return

    result: dict = {"rows": args.rows, "chunk": args.chunk, "db": args.db, "python": sys.version.split()[0],
                    "cpus": os.cpu_count(), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                    "load_before": os.getloadavg()[0]}
    again = ["reimport"] if args.reimport else []
    phases = {"all": ["setup"] + ([] if args.no_generate else ["generate"]) + ["import"] + again + ["floor"],
              "import": ["setup", "import"] + again + ["floor"],
              "measure": ["import"] + again + ["floor"]}.get(args.phase, [args.phase])
    for phase in phases:
        print(f"· {phase} …", flush=True)
        result.update(child(phase, args))
        print(f"  {json.dumps({k: v for k, v in result.items() if k.startswith(phase)}, ensure_ascii=False)}",
              flush=True)
    result["load_after"] = os.getloadavg()[0]
    if "floor_rows_per_s" in result and "import_rows_per_s" in result:
        result["import_to_floor"] = round(result["import_rows_per_s"] / result["floor_rows_per_s"], 3)
        if "reimport_rows_per_s" in result:
            result["reimport_to_floor"] = round(result["reimport_rows_per_s"] / result["floor_rows_per_s"], 3)
    os.environ["BENCH_DB"] = args.db
    target = paths(args.rows)["json"]
    previous = json.loads(target.read_text()) if target.exists() else {}
    target.write_text(json.dumps({**previous, **result}, ensure_ascii=False, indent=2))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

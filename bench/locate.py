"""Point → grid: one at a time (``locate_id``) and in bulk (``locate_many``), against raw shapely in the same run.

    .venv/bin/python bench/locate.py                          # SQLite: bench/out/locate.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_locate_pg .venv/bin/python bench/locate.py

The base: ``--grids`` (20,000) synthetic grids written once (bulk) into a database of their own — a
jittered lattice of quadrilaterals whose shared edges carry the same extra vertices (no gaps, no overlaps;
about 4 × ``--edge-points`` + 4 vertices a grid), every 50th with a hole filled by a small dedicated grid.
Random points over the grids' extent (5 % outside it).  A benchmark, not a test: nothing here is collected.

Floors, on the same geometries and points in the same process:
* ``strtree bbox``: ``STRtree.query(Point)`` alone — candidates by bounding box, no answer yet;
* ``strtree exact``: that plus ``covers`` on the prepared candidates and the smallest position — the work
  ``locate`` did before the raster (and the answer ``locate_id`` must equal);
* ``bulk strtree``: ``STRtree.query(points, predicate="covered_by")`` on the whole array.
``locate_id`` runs through the application: the checks, the cache and its version stamp (read at most once
per ``GRID_STAMP_TTL_S``), the raster.  Every answer of every method is compared; a mismatch aborts.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

DEFAULT_URL = f"sqlite:///{benchlib.OUT_DIR / 'locate.sqlite3'}"


def lattice(n_grids: int, edge_points: int, seed: int):
    """(code, name, boundary dict) for about ``n_grids`` grids, codes in a single township's communities."""
    import numpy as np

    rng = np.random.default_rng(seed)
    holes_every = 50
    base = int(n_grids / (1 + 1 / holes_every))
    nx = int((base * 2) ** 0.5)
    ny = -(-base // nx)
    step = 0.005  # ~500 m
    gx = 115.5 + np.arange(nx + 1)[:, None] * step + rng.uniform(-step / 4, step / 4, (nx + 1, ny + 1))
    gy = 36.0 + np.arange(ny + 1)[None, :] * step + rng.uniform(-step / 4, step / 4, (nx + 1, ny + 1))
    wiggle = step / 20

    def edge(a, b, key):  # the same extra vertices for both grids that share an edge
        t = np.linspace(0, 1, edge_points + 2)[1:-1]
        r = np.random.default_rng(key).uniform(-wiggle, wiggle, edge_points)
        dx, dy = b[0] - a[0], b[1] - a[1]
        length = (dx * dx + dy * dy) ** 0.5
        return [(a[0] + dx * s - dy / length * w, a[1] + dy * s + dx / length * w) for s, w in zip(t, r, strict=True)]

    def h(i, j):  # horizontal edge from vertex (i, j) to (i+1, j)
        return edge((gx[i, j], gy[i, j]), (gx[i + 1, j], gy[i + 1, j]), (seed, 0, i, j))

    def v(i, j):  # vertical edge from (i, j) to (i, j+1)
        return edge((gx[i, j], gy[i, j]), (gx[i, j + 1], gy[i, j + 1]), (seed, 1, i, j))

    out = []
    made = 0
    for i in range(nx):
        for j in range(ny):
            if made >= base:
                break
            ring = [(gx[i, j], gy[i, j]), *h(i, j), (gx[i + 1, j], gy[i + 1, j]), *v(i + 1, j),
                    (gx[i + 1, j + 1], gy[i + 1, j + 1]), *reversed(h(i, j + 1)), (gx[i, j + 1], gy[i, j + 1]),
                    *reversed(v(i, j)), (gx[i, j], gy[i, j])]
            rings = [[[float(x), float(y)] for x, y in ring]]
            school = None
            if made % holes_every == 0:
                cx, cy = (gx[i, j] + gx[i + 1, j + 1]) / 2, (gy[i, j] + gy[i + 1, j + 1]) / 2
                s = step / 8
                hole = [[cx - s, cy - s], [cx - s, cy + s], [cx + s, cy + s], [cx + s, cy - s], [cx - s, cy - s]]
                rings.append([[float(x), float(y)] for x, y in hole])
                school = [list(reversed(rings[1]))]
            community, k = divmod(made, 20)
            code = f"371502001{community:03d}{k + 1:03d}" if community < 1000 else f"37150200{community:04d}{k + 1:03d}"
            out.append((code, f"网格{made}", {"type": "Polygon", "coordinates": rings}))
            if school:
                out.append((code[:12] + f"{900 + k:03d}", f"学校{made}", {"type": "Polygon", "coordinates": school}))
            made += 1
    return out


def ensure_base(n_grids: int, edge_points: int, seed: int) -> dict:
    from django.core.management import call_command
    from django.db import transaction

    from gridgov.regions.models import Grid, Region

    call_command("migrate", verbosity=0)
    wanted = f"{n_grids}/{edge_points}/{seed}"
    if benchlib.read_meta().get("locate_base") == wanted:
        return {"grids": Grid.objects.count(), "generated_s": None}
    t0 = time.perf_counter()
    grids = lattice(n_grids, edge_points, seed)
    with transaction.atomic():
        Grid.objects.all().delete()
        Region.objects.filter(level=Region.Level.COMMUNITY).delete()
        province, _ = Region.objects.get_or_create(code="37", defaults={"name": "山东省", "level": 1})
        city, _ = Region.objects.get_or_create(code="3715", defaults={"name": "聊城市", "level": 2, "parent": province})
        county, _ = Region.objects.get_or_create(code="371502", defaults={"name": "东昌府区", "level": 3, "parent": city})
        townships = {}
        communities = {}
        for code, _name, _b in grids:
            townships.setdefault(code[:9], None)
            communities.setdefault(code[:12], None)
        for code in townships:
            townships[code], _ = Region.objects.get_or_create(code=code, defaults={"name": f"街道{code[-3:]}",
                                                                                  "level": 4, "parent": county})
        Region.objects.bulk_create([Region(code=c, name=f"社区{c[-4:]}", level=5, parent=townships[c[:9]])
                                    for c in communities], batch_size=2000)
        ids = dict(Region.objects.filter(level=5).values_list("code", "id"))
        Grid.objects.bulk_create([Grid(code=c, name=n, community_id=ids[c[:12]], boundary=b,
                                       kind="dedicated" if c[12:13] == "9" else "general") for c, n, b in grids],
                                 batch_size=2000)
    benchlib.write_meta({"locate_base": wanted})
    return {"grids": len(grids), "generated_s": round(time.perf_counter() - t0, 1)}


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grids", type=int, default=20_000)
    parser.add_argument("--edge-points", type=int, default=6)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    benchlib.OUT_DIR.mkdir(parents=True, exist_ok=True)
    benchlib.setup_django(url)

    import numpy as np
    import shapely
    from django.db import connection

    from gridgov.regions import gridindex, spatial
    from gridgov.regions.services import grids_at_points

    base = ensure_base(args.grids, args.edge_points, args.seed)
    spatial.invalidate_all()
    t0 = time.perf_counter()
    spatial.grid_index()
    tree_s = time.perf_counter() - t0  # what the first lookup waits for
    assert spatial.raster_ready(), "the raster was not built in time"
    build_s = time.perf_counter() - t0  # tree and raster (the raster in its background thread)
    index = spatial.grid_index()
    cells = np.frombuffer(index.raster.cells, dtype=np.int32)
    tree, geoms = index.tree, index.geometries
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    rng = np.random.default_rng(args.seed)
    pad_x, pad_y = (x1 - x0) * 0.025, (y1 - y0) * 0.025
    xs = rng.uniform(x0 - pad_x, x1 + pad_x, args.points)
    ys = rng.uniform(y0 - pad_y, y1 + pad_y, args.points)
    pairs = list(zip(xs.tolist(), ys.tolist(), strict=True))

    def exact(x, y):
        point = shapely.Point(x, y)
        c = tree.query(point)
        hits = c[shapely.covers(geoms[c], point)]
        return int(index.ids[hits.min()]) if len(hits) else None

    def bbox_only(x, y):
        return tree.query(shapely.Point(x, y))

    locate_id = spatial.locate_id
    methods = {"strtree bbox (floor)": bbox_only, "strtree exact (floor)": exact, "locate_id": locate_id}
    rates: dict[str, list[float]] = {m: [] for m in methods}
    for _round in range(args.rounds):
        for name, fn in methods.items():
            t = time.perf_counter()
            for x, y in pairs:
                fn(x, y)
            rates[name].append(rate(len(pairs), time.perf_counter() - t))
    # per-call latency, and the answers compared
    latency = []
    sample = pairs[: min(len(pairs), 20_000)]
    expected = [exact(x, y) for x, y in sample]
    got = []
    for x, y in sample:
        t = time.perf_counter_ns()
        got.append(locate_id(x, y))
        latency.append((time.perf_counter_ns() - t) / 1e9)
    assert got == expected, "locate_id differs from the exact STRtree answer"

    # bulk: the whole array, and API-sized batches of 10,000
    bulk = {"bulk strtree covered_by (floor)": [], "locate_many": []}
    batch_s = []
    for _round in range(args.rounds):
        t = time.perf_counter()
        pts = shapely.points(xs, ys)
        gridindex.positions_covering(tree, pts)
        bulk["bulk strtree covered_by (floor)"].append(rate(len(xs), time.perf_counter() - t))
        t = time.perf_counter()
        many = spatial.locate_many(xs, ys)
        bulk["locate_many"].append(rate(len(xs), time.perf_counter() - t))
        for start in range(0, len(xs), 10_000):
            t = time.perf_counter()
            spatial.locate_many(xs[start:start + 10_000], ys[start:start + 10_000])
            batch_s.append(time.perf_counter() - t)
    assert [None if v == spatial.NO_GRID else int(v) for v in many[: len(sample)]] == expected, "bulk differs"
    service_s = []
    batch = pairs[:10_000]
    for _round in range(args.rounds * 2):
        t = time.perf_counter()
        grids_at_points(batch)
        service_s.append(time.perf_counter() - t)

    def line(name, values):
        s = sorted(values)
        return f"| {name} | {benchlib.percentile(s, 50):,.0f} | {benchlib.percentile(s, 5):,.0f} |"

    exact_median = benchlib.percentile(sorted(rates["strtree exact (floor)"]), 50)
    print(f"database: {connection.vendor}; grids: {len(index.ids):,} indexed ({base}); points: {len(xs):,} "
          f"(5 % outside), rounds: {args.rounds}; load average {os.getloadavg()[0]:.1f}")
    print(f"index build: tree {tree_s:.2f} s (the first lookup's wait), with the raster {build_s:.2f} s (raster {index.raster.nx}×{index.raster.ny} cells: "
          f"{(cells >= 0).mean():.1%} answered, {(cells == gridindex.EMPTY).mean():.1%} empty, "
          f"{(cells == gridindex.MIXED).mean():.1%} mixed)")
    print("| one at a time | lookups/s median | p5 (slowest rounds) |\n|---|---|---|")
    for name, values in rates.items():
        print(line(name, values))
    lat = benchlib.summary(latency, 1e6)
    print(f"locate_id latency µs: median {lat['median']:.2f}, p95 {lat['p95']:.2f}, p99 "
          f"{benchlib.percentile(sorted(x * 1e6 for x in latency), 99):.2f}; ratio to exact floor "
          f"{benchlib.percentile(sorted(rates['locate_id']), 50) / exact_median:.1f}×")
    print("| bulk | lookups/s median | p5 |\n|---|---|---|")
    for name, values in bulk.items():
        print(line(name, values))
    b, sv = benchlib.summary(batch_s, 1e3), benchlib.summary(service_s, 1e3)
    print(f"locate_many, batches of 10,000: median {b['median']:.1f} ms, p95 {b['p95']:.1f} ms")
    print(f"grids_at_points (the bulk API's service, 10,000 points, ids + one query): median {sv['median']:.1f} ms, "
          f"p95 {sv['p95']:.1f} ms")


if __name__ == "__main__":
    main()

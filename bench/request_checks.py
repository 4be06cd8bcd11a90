"""What the per-request input checks cost: the control-character middleware on a typical API body.

    .venv/bin/python bench/request_checks.py

The floor is ``json.loads(request.body)`` on the same request — the parse the view does anyway; the check parses
once more and walks every string.  Medians and p95 over 3,000 requests built with Django's RequestFactory (no
database).  A benchmark, not a test: the numbers go to docs/performance.md.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")

import django  # noqa: E402

django.setup()

from django.test import RequestFactory  # noqa: E402

from gridgov.core.middleware import RejectControlCharactersMiddleware  # noqa: E402

BODY = json.dumps({
    "category": "0301", "description": "路面有大量垃圾未清理，影响通行" * 60, "title": "垃圾", "address": "古城路18号",
    "lng": 116.0, "lat": 36.4, "parties": [{"role": "respondent", "name": "张三", "phone": "13800000001"}] * 10})


def measure(fn, n: int = 3000) -> tuple[float, float]:
    factory = RequestFactory()
    times = []
    for _ in range(n):
        request = factory.post("/api/v1/events?q=abc&limit=30", data=BODY, content_type="application/json")
        start = time.perf_counter()
        fn(request)
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times) * 1e6, times[int(len(times) * 0.95)] * 1e6


def main() -> None:
    print(f"JSON body: {len(BODY.encode())} bytes")
    floor = measure(lambda r: json.loads(r.body))
    check = measure(RejectControlCharactersMiddleware.bad_fields)
    print(f"floor  json.loads(body)        median {floor[0]:7.1f} µs   p95 {floor[1]:7.1f} µs")
    print(f"check  control characters      median {check[0]:7.1f} µs   p95 {check[1]:7.1f} µs")
    print(f"ratio  check / floor (median)  {check[0] / floor[0]:.2f}")


if __name__ == "__main__":
    main()

"""PostgreSQL estimates a region subtree (a code range) right, so scoped lists are planned by their real size
(migration regions/0005: one histogram bucket per code)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection

from gridgov.regions.models import Region

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")

DIVISIONS = Path(__file__).resolve().parents[3] / "data" / "divisions" / "3715"


def _estimate(lo: str, hi: str) -> int:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (FORMAT JSON) SELECT id FROM regions_region WHERE code >= %s AND code < %s", [lo, hi])
        plan = cur.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return plan[0]["Plan"]["Plan Rows"]


@pytest.mark.django_db
def test_a_townships_subtree_is_estimated_near_its_real_size():
    from gridgov.regions import services

    services.import_divisions(DIVISIONS, "3715")  # 聊城's 2,554 divisions
    with connection.cursor() as cur:
        cur.execute("ANALYZE regions_region")
    for lo, hi in (("371502001", "371502002"), ("371502", "371503"), ("371581004", "371581005")):
        actual = Region.objects.filter(code__gte=lo, code__lt=hi).count()
        assert actual >= 6
        # the default histogram (100 buckets) says 1 for 古楼街道's 21: its list was planned as a few rows
        assert actual / 2 <= _estimate(lo, hi) <= actual * 2, (lo, actual)

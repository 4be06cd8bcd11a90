"""Idempotency-Key lookups probe the partial unique index, so a keyed create does not grow with the table."""

import pytest
from django.db import connection

from gridgov.core.idempotency import first_with_key
from gridgov.disputes.models import Dispute
from gridgov.events.models import Event


def _plan(queryset) -> str:
    return queryset.explain()


@pytest.mark.parametrize("model, index", [(Event, "uniq_event_idempotency"), (Dispute, "uniq_dispute_idempotency")])
def test_the_key_lookup_searches_the_partial_unique_index_on_sqlite(db, model, index):
    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; the PostgreSQL plan depends on the table's statistics")
    rows = model.objects.filter(idempotency_scope="user:1", idempotency_key="k-1").exclude(idempotency_key="")
    plan = _plan(rows.order_by()[:1])
    assert f"USING INDEX {index}" in plan, plan
    assert "SCAN" not in plan, plan


def test_without_the_repeated_condition_sqlite_scans_the_table(db):
    # the reason first_with_key exists: the plain filter does not match the partial index's WHERE
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner")
    plan = _plan(Event.objects.filter(idempotency_scope="user:1", idempotency_key="k-1").order_by()[:1])
    assert "uniq_event_idempotency" not in plan, plan


def test_first_with_key_runs_the_planned_query(db):
    # the helper issues exactly the query whose plan is checked above
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert first_with_key(Event.objects, "user:1", "k-1") is None
    sql = ctx.captured_queries[0]["sql"]
    assert len(ctx.captured_queries) == 1
    assert "NOT (" in sql and "ORDER BY" not in sql
    if connection.vendor == "sqlite":
        plan = connection.cursor().execute("EXPLAIN QUERY PLAN " + sql).fetchall()
        assert any("USING INDEX uniq_event_idempotency" in str(row) for row in plan), plan


def test_a_blank_key_names_no_row_and_asks_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert first_with_key(Event.objects, "user:1", "") is None


def test_first_with_key_finds_the_event_created_with_the_key(city, cats, api):
    body = {"category": "0301", "description": "路面有大量垃圾未清理", "lng": 116.005, "lat": 36.405}
    status, first = api("post", "/events", user=city.worker_a, body=body, headers={"Idempotency-Key": "k-7"})
    assert status == 201
    found = first_with_key(Event.objects, f"user:{city.worker_a.pk}", "k-7")
    assert found is not None and found.number == first["number"]
    assert first_with_key(Event.objects, f"user:{city.worker_b.pk}", "k-7") is None

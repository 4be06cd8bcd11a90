"""Case numbers: prefix + day + a daily sequence, one statement per number, no gaps after a rollback."""

from datetime import date

import pytest
from django.db import transaction

from gridgov.cases.models import DailySequence
from gridgov.cases.numbers import next_number


def test_numbers_count_up_per_prefix_and_day(db):
    day = date(2026, 11, 23)
    assert [next_number(day) for _ in range(3)] == ["SJ2026112300001", "SJ2026112300002", "SJ2026112300003"]
    assert next_number(day, prefix="JF") == "JF2026112300001"
    assert next_number(date(2026, 11, 24)) == "SJ2026112400001"
    assert DailySequence.objects.get(prefix="SJ", day=day).last == 3


def test_a_rolled_back_create_leaves_no_gap(db):
    day = date(2026, 11, 23)
    next_number(day)
    with pytest.raises(RuntimeError), transaction.atomic():
        next_number(day)
        raise RuntimeError("the create failed after taking its number")
    assert next_number(day) == "SJ2026112300002"


def test_a_number_after_the_first_of_the_day_is_one_statement(db, django_assert_max_num_queries):
    day = date(2026, 11, 23)
    next_number(day)
    with django_assert_max_num_queries(1):  # the UPDATE … RETURNING
        assert next_number(day) == "SJ2026112300002"


def test_a_sequence_row_created_by_someone_else_is_continued(db):
    day = date(2026, 11, 23)
    DailySequence.objects.create(prefix="SJ", day=day, last=41)
    assert next_number(day) == "SJ2026112300042"


@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_get_unique_gap_free_numbers_on_postgresql():
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks between connections: PostgreSQL")
    day = date(2026, 11, 23)

    def take(n):
        try:
            out = []
            for _ in range(n):
                with transaction.atomic():
                    out.append(next_number(day))
            return out
        finally:
            connections.close_all()

    with ThreadPoolExecutor(4) as pool:
        numbers = sum(pool.map(take, [15] * 4), [])
    assert sorted(numbers) == [f"SJ20261123{i:05d}" for i in range(1, 61)]

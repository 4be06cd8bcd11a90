"""gridgov.core.memo: rows kept per process by key, dropped when their table changes; nothing kept from inside a
transaction (a rollback could take it back) and no miss kept (a new row is found at once)."""

import pytest
from django.db import transaction

from gridgov.core import memo
from gridgov.regions.models import REGIONS, Region


def _get(code):
    return REGIONS.get(("code", code), Region.objects.filter(code=code))


@pytest.mark.django_db(transaction=True)
def test_a_kept_row_is_read_once_and_dropped_when_its_table_changes(django_assert_num_queries):
    memo.clear_all()
    with django_assert_num_queries(1):
        assert _get("3715") is None  # a miss is not kept …
    with django_assert_num_queries(1):
        Region.objects.create(code="3715", name="聊城市", level=Region.Level.CITY)  # … so the new row is found
    with django_assert_num_queries(1):
        first = _get("3715")
    with django_assert_num_queries(0):
        again = _get("3715")
    assert (first.name, again.name) == ("聊城市", "聊城市") and first is not again  # a fresh instance each time
    again.name = "改过的名字"  # a caller's change of its instance is not the memo's
    assert _get("3715").name == "聊城市"

    first.name = "聊城"
    first.save()  # the signal drops what every process kept
    with django_assert_num_queries(1):
        assert _get("3715").name == "聊城"

    Region.objects.filter(code="3715").update(name="聊城市")  # no signal: the writer says so
    assert _get("3715").name == "聊城"
    REGIONS.changed()
    assert _get("3715").name == "聊城市"

    with transaction.atomic():  # read inside a transaction: used, not kept
        Region.objects.filter(code="3715").update(name="未提交")
        REGIONS.changed()
        assert _get("3715").name == "未提交"
        transaction.set_rollback(True)
    with django_assert_num_queries(1):
        assert _get("3715").name == "聊城市"


@pytest.mark.django_db(transaction=True)
def test_a_cleared_cache_counts_as_a_change(django_assert_num_queries):
    from django.core.cache import cache

    memo.clear_all()
    Region.objects.create(code="3715", name="聊城市", level=Region.Level.CITY)
    _get("3715")
    cache.clear()  # e.g. another process's stamp lost: every copy reloads
    with django_assert_num_queries(1):
        _get("3715")

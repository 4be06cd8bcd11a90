"""gridgov.core.oneof.one_of: ``field IN (many values)`` as one parameter, for keys and for text, on both
databases — the same rows as ``__in``, one statement text whatever the number of values."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.core.oneof import one_of
from gridgov.regions.models import Region


@pytest.fixture
def regions(db):
    city = Region.objects.create(code="3715", name="聊城市", level=Region.Level.CITY)
    return [city] + [Region.objects.create(code=f"3715{i:02d}", name=f"区{i}", level=Region.Level.COUNTY, parent=city)
                     for i in range(1, 6)]


def _sql_of(qs):
    with CaptureQueriesContext(connection) as ctx:
        list(qs)
    return ctx.captured_queries[-1]["sql"]


def test_keys_and_text_select_the_same_rows_as_in(regions):
    pks = [regions[1].pk, regions[3].pk, 10**9]  # one key that is no row
    assert set(Region.objects.filter(one_of("pk", pks))) == set(Region.objects.filter(pk__in=pks))
    codes = {"371502", "371505", "没有"}
    got = Region.objects.filter(one_of("code", codes)).values_list("code", flat=True)
    assert sorted(got) == ["371502", "371505"]
    # through a relation, with other filters beside it
    assert list(Region.objects.filter(one_of("parent__code", ["3715"]), level=Region.Level.COUNTY)
                .order_by("code").values_list("code", flat=True)) == [f"3715{i:02d}" for i in range(1, 6)]


def test_no_values_select_nothing(regions):
    assert list(Region.objects.filter(one_of("pk", []))) == []
    assert list(Region.objects.filter(one_of("code", set()))) == []


def test_the_statement_is_the_same_for_2_and_for_5000_values(regions):
    few = _sql_of(Region.objects.filter(one_of("pk", [1, 2])))
    many = _sql_of(Region.objects.filter(one_of("pk", list(range(1, 5001)))))
    if connection.vendor == "postgresql":
        # the debug SQL shows the array's values; the statement has one placeholder for them
        assert "= ANY(" in few and "= ANY(" in many
    else:
        assert "json_each" in few and "json_each" in many
    assert Region.objects.filter(one_of("pk", list(range(1, 5001)))).count() == len(regions)


def test_other_kinds_of_value_are_refused():
    with pytest.raises(TypeError):
        one_of("pk", [1.5])
    with pytest.raises(TypeError):
        one_of("pk", [True])

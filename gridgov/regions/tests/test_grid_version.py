"""The grids' version stamp: bumped by database triggers on every write, read at most once per TTL."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from gridgov.regions import spatial
from gridgov.regions.models import Grid
from gridgov.regions.spatial import locate_id, read_stamp
from gridgov.testing import square


def test_queryset_update_bumps_the_version(city):
    before = read_stamp()
    Grid.objects.filter(pk=city.grid_b1.pk).update(name="改名")

    after = read_stamp()
    assert after[0] > before[0]
    assert after != before


def test_raw_sql_insert_update_and_delete_each_bump_the_version(city):
    table = connection.ops.quote_name(Grid._meta.db_table)
    seen = [read_stamp()]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (code, name, kind, dedicated_type, community_id, active, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            ["371502002001009", "新", "general", "", city.community_b.pk, True, "2026-12-01 00:00:00"],
        )
        seen.append(read_stamp())
        cursor.execute(f"UPDATE {table} SET name = %s WHERE code = %s", ["改名", "371502002001009"])
        seen.append(read_stamp())
        cursor.execute(f"DELETE FROM {table} WHERE code = %s", ["371502002001009"])
        seen.append(read_stamp())

    assert len(set(seen)) == 4
    assert [s[0] for s in seen] == sorted(s[0] for s in seen)


def test_bulk_create_and_bulk_update_bump_the_version(city):
    before = read_stamp()
    [grid] = Grid.objects.bulk_create([Grid(code="371502002001009", name="新", community=city.community_b)])
    created = read_stamp()
    grid.boundary = square(116.3, 36.3)
    Grid.objects.bulk_update([grid], ["boundary"])

    assert len({before, created, read_stamp()}) == 3


def test_a_rolled_back_bump_is_never_repeated_by_a_later_commit(city):
    before = read_stamp()
    with pytest.raises(RuntimeError), transaction.atomic():
        Grid.objects.filter(pk=city.grid_b1.pk).update(name="回滚")
        rolled_back = read_stamp()
        raise RuntimeError
    assert read_stamp() == before
    Grid.objects.filter(pk=city.grid_b1.pk).update(name="提交")

    assert read_stamp() != rolled_back  # same version number, another salt


def test_a_warm_lookup_costs_no_query_within_the_ttl(city, django_assert_num_queries):
    locate_id(116.005, 36.405)
    with django_assert_num_queries(0):
        assert locate_id(116.005, 36.405) == city.grid_a1.pk
        assert locate_id(116.105, 36.405) == city.grid_b1.pk
        assert locate_id(0, 0) is None


def test_with_a_zero_ttl_every_lookup_reads_the_stamp_once(city, settings, django_assert_num_queries):
    settings.GRIDGOV = {**settings.GRIDGOV, "GRID_STAMP_TTL_S": 0}
    locate_id(116.005, 36.405)
    with django_assert_num_queries(1):
        locate_id(116.005, 36.405)


def test_a_queryset_update_elsewhere_is_used_once_the_stamp_is_read_again(city):
    """Another process moves a grid with QuerySet.update (no signal reaches us): within the TTL the old index
    answers; once the stamp is read again (TTL passed: forget_stamp stands in for the clock) the new one does."""
    assert locate_id(116.105, 36.405) == city.grid_b1.pk
    Grid.objects.filter(pk=city.grid_b1.pk).update(boundary=square(116.50, 36.50))

    assert locate_id(116.105, 36.405) == city.grid_b1.pk  # stale within the TTL: the documented bound
    spatial.forget_stamp()
    assert locate_id(116.105, 36.405) is None
    assert locate_id(116.505, 36.505) == city.grid_b1.pk


def test_a_raw_sql_deactivation_elsewhere_is_used_once_the_stamp_is_read_again(city):
    assert locate_id(116.015, 36.405) == city.grid_a2.pk
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {connection.ops.quote_name(Grid._meta.db_table)} SET active = %s WHERE id = %s",
                       [False, city.grid_a2.pk])
    spatial.forget_stamp()

    assert locate_id(116.015, 36.405) is None


def test_a_save_in_this_process_is_used_at_once(city):
    assert locate_id(116.105, 36.405) == city.grid_b1.pk
    city.grid_b1.active = False
    city.grid_b1.save()  # the signal forgets the stamp: no wait for the TTL

    assert locate_id(116.105, 36.405) is None


def test_invalidate_all_drops_the_index_and_the_outlines(city):
    from gridgov.regions import outlines

    index, shapes = spatial.grid_index(), outlines.current()
    spatial.invalidate_all()

    assert spatial.grid_index() is not index
    assert outlines.current() is not shapes

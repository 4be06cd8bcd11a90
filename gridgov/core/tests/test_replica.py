"""The read-replica router (gridgov/core/replica.py), tested against a second database alias ("replica",
a test mirror of the default database): reads inside read_replica() go there, writes never do."""

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from gridgov.core import replica
from gridgov.regions.models import Region
from gridgov.testing import make_city

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def with_replica(settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "READ_REPLICA": "replica"}


def _count(alias, fn):
    with CaptureQueriesContext(connections[alias]) as captured:
        result = fn()
    return len(captured.captured_queries), result


def test_reads_inside_read_replica_go_to_the_replica_and_writes_to_the_primary(with_replica):
    make_city()
    with replica.read_replica():
        on_replica, region = _count("replica", lambda: Region.objects.order_by("code").first())
        assert on_replica == 1 and region is not None
        assert region._state.db == "replica"
        region.name = region.name + "（改）"
        on_primary, _ = _count("default", region.save)
        assert on_primary >= 1
    assert Region.objects.get(pk=region.pk).name.endswith("（改）")


def test_reads_outside_or_without_a_replica_stay_on_the_primary(settings):
    make_city()
    on_replica, _ = _count("replica", lambda: Region.objects.count())
    assert on_replica == 0
    with replica.read_replica():  # READ_REPLICA unset: no replica configured
        on_replica, _ = _count("replica", lambda: Region.objects.count())
    assert on_replica == 0


def test_a_transaction_on_the_primary_reads_its_own_writes(with_replica):
    make_city()
    with replica.read_replica(), transaction.atomic():
        on_replica, _ = _count("replica", lambda: Region.objects.count())
    assert on_replica == 0


def test_statistics_requests_read_from_the_replica_and_worklists_do_not(with_replica, api_response, client):
    c = make_city()
    on_replica, resp = _count("replica", lambda: api_response("get", "/stats/summary", user=c.city_operator))
    assert resp.status_code == 200 and on_replica > 0
    client.force_login(c.city_operator)
    on_replica, resp = _count("replica", lambda: client.get("/events/"))
    assert resp.status_code == 200 and on_replica == 0


def test_the_replica_is_never_migrated():
    router = replica.ReplicaRouter()
    assert router.allow_migrate("default", "events") is True
    assert router.allow_migrate("replica", "events") is False
    assert router.db_for_write(Region) == "default"


def _database_settings(env: dict) -> dict:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("import json, django; from django.conf import settings; django.setup(); "
            "print(json.dumps({a: d.get('DISABLE_SERVER_SIDE_CURSORS', False) for a, d in settings.DATABASES.items()}))")
    base = {k: v for k, v in os.environ.items() if k not in ("GRIDGOV_PGBOUNCER", "DATABASE_URL", "DATABASE_REPLICA_URL")}
    out = subprocess.run([sys.executable, "-c", code], env={**base, "DJANGO_SETTINGS_MODULE": "gridgov.settings", **env},
                         cwd=Path(__file__).resolve().parents[3], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_behind_pgbouncer_server_side_cursors_are_off_on_every_postgresql_alias():
    pg = {"DATABASE_URL": "postgres://u@127.0.0.1:5432/a", "DATABASE_REPLICA_URL": "postgres://u@127.0.0.1:5432/b"}
    assert _database_settings({**pg, "GRIDGOV_PGBOUNCER": "1"}) == {"default": True, "replica": True}
    assert _database_settings(pg) == {"default": False, "replica": False}

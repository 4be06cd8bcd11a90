"""The floor of bench/intake.py: a bare Django app whose one view INSERTs one row, under the same gunicorn.

Same database (DATABASE_URL, parsed as gridgov's settings do, persistent connections on PostgreSQL), DEBUG
off, no middleware, no authentication: what any Django app pays for a request that writes one row.
"""

from __future__ import annotations

import os

import dj_database_url
from django.conf import settings

_db = dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60, conn_health_checks=True)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE",
                      "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
settings.configure(DEBUG=False, SECRET_KEY=os.environ["SECRET_KEY"], ALLOWED_HOSTS=["127.0.0.1", "localhost"],
                   ROOT_URLCONF=__name__, DATABASES={"default": _db}, MIDDLEWARE=[], INSTALLED_APPS=[],
                   USE_TZ=True)

import django  # noqa: E402

django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

TABLE = "bench_intake_floor"
# Every gunicorn worker runs this at boot. On PostgreSQL two concurrent CREATE TABLE IF NOT EXISTS can both miss the
# table and one then fails on the catalog's unique index (the worker dies and the floor is never measured): the
# workers take turns on an advisory lock for the duration of the transaction.
with transaction.atomic(), connection.cursor() as _cur:
    if connection.vendor == "postgresql":
        _cur.execute("SELECT pg_advisory_xact_lock(31004)")
    _pk = "BIGSERIAL PRIMARY KEY" if connection.vendor == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    _cur.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id {_pk}, body TEXT NOT NULL, created_at TEXT NOT NULL)")
connection.close()


@csrf_exempt
def floor(request):
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"INSERT INTO {TABLE} (body, created_at) VALUES (%s, %s)",
                    [request.body.decode(), timezone.now().isoformat()])
    return JsonResponse({"ok": True}, status=201)


def healthz(request):
    return HttpResponse("ok")


urlpatterns = [path("floor", floor), path("healthz", healthz)]
application = get_wsgi_application()

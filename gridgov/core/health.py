"""Health and readiness for process managers and load balancers: ``/healthz`` and ``/readyz``.

Both are answered by :class:`HealthMiddleware`, the first middleware, before host validation, HTTPS
redirects, sessions and authentication: a load balancer probes an instance by its address over plain
HTTP, with no cookie and no ``Host`` it would know, and must get the same answer a user's request would.
Nothing in either answer is secret (no versions, no hostnames, no error texts): only check names,
``ok`` flags, timings and the queue's counts.

* ``/healthz`` — liveness: the process answers.  No database, no cache: a supervisor that restarts on a
  failed liveness probe must not restart every app server because the database is down.
* ``/readyz`` — readiness: may this instance take traffic?  200 when every check passes, else 503:

  - ``database``: ``SELECT 1`` on the default database, and on the read replica when one is configured
    (``gridgov.core.replica``);
  - ``cache``: a value written to and read back from the cache (Redis in production);
  - ``queue``: the background tasks waiting to run (the database task backend): how many (counted up to
    ``QUEUE_COUNT_CAP``, an index-only read of the ``READY`` rows) and how long the oldest has waited.
    Not ready when the oldest has waited longer than ``GRIDGOV["READY_MAX_QUEUE_AGE_S"]`` (default 600 s):
    the task workers are down or far behind, so notifications are not going out.
"""

from __future__ import annotations

import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.utils import timezone

QUEUE_COUNT_CAP = 100_000
PATHS = {"/healthz", "/readyz"}


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check() or {}
        ok = detail.pop("ok", True)
    except Exception:  # noqa: BLE001 — a failed check is an answer, not an error
        ok, detail = False, {}
    return {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1), **detail}


def _database(alias: str):
    def check():
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    return check


def _cache() -> dict:
    key, value = f"gridgov:readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, 30)
    ok = cache.get(key) == value
    cache.delete(key)
    return {"ok": ok}


def _queue() -> dict:
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    if backend != "django_tasks_db.DatabaseBackend":
        return {"ok": True, "backend": backend.rsplit(".", 1)[-1]}
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.ready()
    count = waiting.order_by()[:QUEUE_COUNT_CAP].count()
    oldest = waiting.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    limit = settings.GRIDGOV.get("READY_MAX_QUEUE_AGE_S", 600)
    return {"ok": age <= limit, "waiting": count, "capped": count >= QUEUE_COUNT_CAP,
            "oldest_waiting_s": round(age, 1), "max_age_s": limit}


def readiness() -> tuple[bool, dict]:
    """Every check and whether all passed (also usable from a management command or a test)."""
    from gridgov.core import replica

    checks = {"database": _timed(_database("default"))}
    if replica.configured():
        checks["replica"] = _timed(_database(replica.alias()))
    checks["cache"] = _timed(_cache)
    checks["queue"] = _timed(_queue)
    return all(c["ok"] for c in checks.values()), checks


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    return response


class HealthMiddleware:
    """Answers the two probe paths itself (GET/HEAD); everything else goes on down the chain."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info not in PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse({"status": "error", "code": "method_not_allowed"}, status=405)
            response["Allow"] = "GET, HEAD"
            return _no_store(response)
        if request.path_info == "/healthz":
            return _no_store(JsonResponse({"status": "ok"}))
        ok, checks = readiness()
        return _no_store(JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks},
                                      status=200 if ok else 503))

"""Read-heavy work on a PostgreSQL read replica: statistics, exports and reports.

``DATABASE_REPLICA_URL`` (a streaming replica of the primary, docs/scaling.md) adds the database alias
``replica`` and turns the routing on.  Code that only reads, and can live with a replica's lag of a
second or so, runs inside :func:`read_replica` (a context manager and a decorator): every read in it
goes to the replica; every write still goes to the primary, and so does every read made inside a
transaction of the primary (a workflow that reads back what it just wrote).  Without a replica, or
outside ``read_replica``, everything goes to ``default`` as before.

What runs inside: the command center and evaluation pages, the 通报/report pages and their scheduled
generation reads, and the Excel/CSV exports — never intake, the workflow or the sweeps.

The router never lets a write reach the replica, not even the save of an object that was read from it
(Django would otherwise write an instance back to the database it came from), and never migrates it
(a physical replica follows the primary's schema by itself).
"""

from __future__ import annotations

import contextvars
import functools
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_reading = contextvars.ContextVar("gridgov_read_replica", default=False)


def alias() -> str:
    return settings.GRIDGOV.get("READ_REPLICA", "")


def configured() -> bool:
    name = alias()
    return bool(name) and name in connections.databases


@contextmanager
def _context():
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def read_replica(func=None):
    """``with read_replica(): …`` or ``@read_replica`` on a function (a view, a report builder)."""
    if func is None:
        return _context()

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _context():
            return func(*args, **kwargs)
    return wrapper


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reading.get() and configured() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return alias()
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both aliases

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


# Pages and endpoints that only read (GET/HEAD), and the exports (also their POST: the full export with a
# reason writes only its access log, which goes to the primary)
READ_PREFIXES = ("/command/", "/evaluation/", "/reports/", "/api/v1/stats/")
EXPORT_PREFIXES = ("/events/export/", "/registry/export/")


def routed(request) -> bool:
    path = request.path_info
    if path.startswith(EXPORT_PREFIXES):
        return request.method in ("GET", "HEAD", "POST")
    return request.method in ("GET", "HEAD") and path.startswith(READ_PREFIXES)


class ReplicaReadsMiddleware:
    """Runs the statistics, report and export requests inside :func:`read_replica` when a replica is
    configured.  The user and the session are loaded from the primary first (a login a moment ago may not
    have reached the replica yet)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not (configured() and routed(request)):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None:
            user.is_authenticated  # noqa: B018 — evaluates the lazy user (and session) on the primary
        with _context():
            return self.get_response(request)

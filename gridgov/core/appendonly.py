"""Append-only logs refused in the database itself, not only in the ORM.

Every concrete model that subclasses :class:`gridgov.core.models.AppendOnly` (the event, dispute and
petition logs, the registry change history, the personal-data access log, and any later one) gets
BEFORE UPDATE and BEFORE DELETE row triggers that abort the statement:

* SQLite: ``CREATE TRIGGER IF NOT EXISTS … WHEN NOT EXISTS (SELECT 1 FROM core_appendonly_bypass)
  BEGIN SELECT RAISE(ABORT, 'append-only: <table>'); END``;
* PostgreSQL: one plpgsql function ``gridgov_appendonly_refuse()`` raising SQLSTATE 23001
  (restrict_violation) and a ``BEFORE UPDATE OR DELETE … FOR EACH ROW`` trigger on each table.

Both refusals reach Python as :class:`django.db.IntegrityError`.  :func:`install` is idempotent and runs
after every ``migrate`` (a ``post_migrate`` handler, see :mod:`gridgov.core.apps`), so a new subclass is
covered without a migration of its own, and a table SQLite rebuilt during a migration (which drops its
triggers) is covered again at the end of the same ``migrate``.

The one sanctioned way round the triggers is :func:`bypass`: inside one transaction it inserts a row into
``core_appendonly_bypass``, does the work and deletes the row before the transaction ends.  Other
connections never see that row (it is uncommitted while it exists), and a failure rolls it back with
everything else.  It is used by ``flush`` on SQLite (the test runner empties the database between
transactional tests with ``DELETE FROM``; PostgreSQL's ``flush`` is ``TRUNCATE``, which fires no row
trigger) and is available to a data migration that must rewrite log rows — nothing else uses it.
"""

from __future__ import annotations

import contextlib
import secrets

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

BYPASS_TABLE = "core_appendonly_bypass"
PG_FUNCTION = "gridgov_appendonly_refuse"
PREFIX = "appendonly"


def protected_models() -> list:
    """The concrete, managed models that subclass AppendOnly (their tables get the triggers)."""
    from django.apps import apps

    from gridgov.core.models import AppendOnly

    return [
        m for m in apps.get_models()
        if issubclass(m, AppendOnly) and m._meta.managed and not m._meta.proxy
    ]


def protected_tables() -> list[str]:
    return sorted({m._meta.db_table for m in protected_models()})


def trigger_names(table: str) -> tuple[str, str]:
    """SQLite needs one trigger per event; PostgreSQL uses the first name for both."""
    return f"{PREFIX}_{table}_no_update", f"{PREFIX}_{table}_no_delete"


def create_bypass_table_sql() -> str:
    return f"CREATE TABLE IF NOT EXISTS {BYPASS_TABLE} (token varchar(64) NOT NULL)"


def _sqlite_sql(table: str, qn) -> list[str]:
    upd, dele = trigger_names(table)
    message = f"append-only: {table}".replace("'", "")
    when = f"WHEN NOT EXISTS (SELECT 1 FROM {BYPASS_TABLE})"
    return [
        f"CREATE TRIGGER IF NOT EXISTS {qn(upd)} BEFORE UPDATE ON {qn(table)} FOR EACH ROW {when} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        f"CREATE TRIGGER IF NOT EXISTS {qn(dele)} BEFORE DELETE ON {qn(table)} FOR EACH ROW {when} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
    ]


PG_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM {BYPASS_TABLE}) THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'append-only: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$
"""


def _postgresql_sql(table: str, qn) -> list[str]:
    name = trigger_names(table)[0]
    return [
        f"DROP TRIGGER IF EXISTS {qn(name)} ON {qn(table)}",
        f"CREATE TRIGGER {qn(name)} BEFORE UPDATE OR DELETE ON {qn(table)} FOR EACH ROW "
        f"EXECUTE FUNCTION {PG_FUNCTION}()",
    ]


def install_sql(connection: BaseDatabaseWrapper, tables: list[str]) -> list[str]:
    """The statements that (re)create the bypass table and the triggers of ``tables``."""
    qn = connection.ops.quote_name
    sql = [create_bypass_table_sql()]
    if connection.vendor == "sqlite":
        for table in tables:
            sql += _sqlite_sql(table, qn)
    elif connection.vendor == "postgresql":
        sql.append(PG_FUNCTION_SQL)
        for table in tables:
            sql += _postgresql_sql(table, qn)
    else:  # gridgov runs on SQLite or PostgreSQL only (settings.DATABASE_URL); say so instead of leaving logs open
        raise ImproperlyConfigured(
            f"gridgov supports SQLite and PostgreSQL; the append-only triggers cannot be made on {connection.vendor}")
    return sql


def install(connection: BaseDatabaseWrapper) -> list[str]:
    """Create the triggers on every existing append-only table (idempotent); returns the tables."""
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
    tables = [t for t in protected_tables() if t in existing]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for statement in install_sql(connection, tables):
            cursor.execute(statement)
    return tables


def installed_tables(connection: BaseDatabaseWrapper) -> set[str]:
    """The tables that carry both refusals right now (read from the database catalog)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
            names = {(t, n) for t, n in cursor.fetchall()}
            return {t for t in protected_tables() if {(t, n) for n in trigger_names(t)} <= names}
        cursor.execute(
            "SELECT c.relname FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid "
            "JOIN pg_proc p ON p.oid = tg.tgfoid WHERE NOT tg.tgisinternal AND tg.tgenabled <> 'D' "
            "AND p.proname = %s", [PG_FUNCTION],
        )
        return {row[0] for row in cursor.fetchall()} & set(protected_tables())


def bypass_statements(token: str) -> tuple[list[str], list[str]]:
    """SQL to open and close a bypass inside one transaction (used by the SQLite flush)."""
    return (
        [create_bypass_table_sql(), f"INSERT INTO {BYPASS_TABLE} (token) VALUES ('{token}')"],
        [f"DELETE FROM {BYPASS_TABLE} WHERE token = '{token}'"],
    )


@contextlib.contextmanager
def bypass(connection: BaseDatabaseWrapper):
    """Let this transaction update or delete log rows (data migrations only; see the module docstring)."""
    token = secrets.token_hex(16)
    opening, closing = bypass_statements(token)
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            for statement in opening:
                cursor.execute(statement)
        yield
        with connection.cursor() as cursor:
            for statement in closing:
                cursor.execute(statement)


def on_post_migrate(sender, using="default", **kwargs) -> None:
    from django.db import connections

    install(connections[using])

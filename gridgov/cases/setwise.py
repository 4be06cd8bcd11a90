"""A system action declared as SQL over the case rows, so that the sweep's batch costs a few statements and no
Python per case.

A :class:`~gridgov.cases.engine.Transition` of the system (a reminder, an escalation) may declare its effect as a
:class:`SetEffect` instead of a Python function: the case fields it sets and its log row's ``data``, each a Django
expression over the case row (``F("center__parent")`` may follow foreign keys; ``Case``/``When``, ``Coalesce``,
:class:`IsoFormat` …), evaluated by the database on the row as it was before the action. The one declaration
serves both paths:

- :meth:`~gridgov.cases.engine.Lifecycle.perform` calls it like any effect: one ``SELECT`` of the expressions for
  its locked case, the values set on the instance, the data returned for its log row;
- the sweep's batch (:meth:`~gridgov.cases.engine.Lifecycle.perform_system_set`) compiles it, with the kernel's
  own columns of the log row and the statistics record, into one ``INSERT … SELECT`` of the log rows, one of the
  records and one ``UPDATE … FROM (SELECT …)`` of the cases, all keyed by the batch's claimed ids (one parameter:
  :func:`gridgov.core.oneof.one_of`).

So what the batch writes is what ``perform`` writes — the same SQL computes it — and the rule is declared once,
on the lifecycle's transition table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import AutoField, BigAutoField, CharField, F, Func, QuerySet, SmallAutoField, Value
from django.db.models.fields import NOT_PROVIDED
from django.db.models.functions import JSONObject


class IsoFormat(Func):
    """A datetime column as Python's ``isoformat()`` of the aware UTC value Django reads
    (``2026-11-23T03:00:00+00:00``, ``.ffffff`` only when there are microseconds), NULL for NULL — what an effect
    writing ``case.deadline.isoformat()`` into its log data wrote."""

    output_field = CharField()
    arity = 1

    def _arg(self, compiler, connection):
        return compiler.compile(self.source_expressions[0])

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = self._arg(compiler, connection)
        utc = f"(({sql}) AT TIME ZONE 'UTC')"
        text = (f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_trunc('second', {utc}) = {utc} "
                f"THEN '' ELSE to_char({utc}, '.US') END || '+00:00')")
        return text, [*params, *params, *params, *params]

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores an aware datetime on SQLite as its UTC value, 'YYYY-MM-DD HH:MM:SS[.ffffff]'
        sql, params = self._arg(compiler, connection)
        return f"(REPLACE({sql}, ' ', 'T') || '+00:00')", params

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError(f"IsoFormat on {connection.vendor}")


@dataclass(frozen=True)
class SetEffect:
    """A system action's effect as expressions over the case row (the row before the action): ``sets`` case
    field → its new value, ``data`` log data key → value. Called as an effect ``(case, actor, params, now)``, it
    evaluates them for ``case`` in one query, sets the fields on the instance and returns the data."""

    sets: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)

    def annotations(self, model) -> dict:
        """``{alias: expression}``: ``gg_s0…`` the fields of ``sets`` in order, ``data`` the log data as one JSON object."""
        out = {f"gg_s{i}": expr for i, expr in enumerate(self.sets.values())}
        out["gg_data"] = JSONObject(**self.data)
        return out

    def attnames(self, model) -> list[str]:
        return [model._meta.get_field(name).attname for name in self.sets]

    def evaluate(self, model, pks) -> dict:
        """``{pk: (field values by attname, data)}`` for the cases ``pks``, in one query."""
        attnames = self.attnames(model)
        ann = self.annotations(model)
        rows = model._base_manager.filter(pk__in=list(pks)).order_by().annotate(**ann).values_list("pk", *ann)
        out = {}
        for pk, *values in rows:
            *fields, data = values
            out[pk] = (dict(zip(attnames, fields, strict=True)), dict(data or {}))
        return out

    def apply(self, case, values: tuple[dict, dict]) -> dict:
        fields, data = values
        for attname, value in fields.items():
            setattr(case, attname, value)
        return dict(data)

    def __call__(self, case, actor, params, now):
        return self.apply(case, self.evaluate(type(case), [case.pk])[case.pk])


# --- the batch's statements ---------------------------------------------------------------------------------

def _sql(qs: QuerySet) -> tuple[str, tuple]:
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def insert_from(model, source: QuerySet, values: dict) -> int:
    """``INSERT INTO model (…) SELECT … FROM source``: one row per row of ``source`` (a queryset of the case model),
    ``values`` attname → expression over it; the other fields take their defaults, as a new instance would."""
    cols, ann = [], {}
    for f in model._meta.concrete_fields:
        if (f.primary_key and isinstance(f, AutoField | BigAutoField | SmallAutoField)) or getattr(f, "generated", False):
            continue
        if f.attname in values:
            expr = values[f.attname]
        elif f.db_default is not NOT_PROVIDED:
            continue
        else:
            expr = Value(f.get_default(), output_field=f)
        if not hasattr(expr, "resolve_expression"):
            expr = Value(expr, output_field=f)
        cols.append(f.column)
        ann[f"gg_c{len(cols)}"] = expr
    sql, params = _sql(source.order_by().annotate(**ann).values_list(*ann.keys()))
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in cols)}) {sql}", params)
        return cur.rowcount


def update_from(model, source: QuerySet, values: dict) -> int:
    """``UPDATE model SET col = s.value … FROM (SELECT pk, expressions FROM source) s WHERE pk = s.pk``: the values
    computed from the rows as they were before the statement (joins allowed, unlike Django's ``update()``)."""
    ann = {"gg_pk": F("pk")}
    cols = []
    for name, expr in values.items():
        cols.append(model._meta.get_field(name).column)
        ann[f"gg_v{len(cols)}"] = expr
    sql, params = _sql(source.order_by().annotate(**ann).values_list(*ann.keys()))
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    sets = ", ".join(f"{qn(c)} = gg_src.{qn(f'gg_v{i}')}" for i, c in enumerate(cols, start=1))
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET {sets} FROM ({sql}) AS gg_src WHERE {table}.{pk} = gg_src.{qn('gg_pk')}",
                    params)
        return cur.rowcount

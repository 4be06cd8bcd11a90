"""Writing a planned city (gen_events.Plan) into the database in bulk.  A benchmark fixture, not a test.

* rows are built per chunk of events as columns (numpy, then ``tolist``) and zipped into tuples: no model
  instance, no per-field preparation;
* SQLite: ``executemany`` of plain INSERTs; PostgreSQL: ``COPY … FROM STDIN`` (psycopg 3), with the
  session's foreign-key triggers off (``session_replication_role = replica``: the rows are consistent by
  construction, and the app's own constraints are checked again when the unique indexes are rebuilt);
* the secondary indexes of the five big tables are dropped before the load and built once after it
  (:func:`without_indexes`) — one sort each instead of millions of B-tree insertions.

Datetimes travel as the text Django's SQLite backend writes (``YYYY-MM-DD HH:MM:SS[.ffffff]``, UTC), which
PostgreSQL reads in the UTC session Django opens.
"""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta

import numpy as np
from gen_calendar import US, WORKING_DAYS, WORKING_HOURS
from gen_events import (
    ACC,
    ACTIONS,
    ACTOR_OF,
    HAND,
    LIAISON,
    MOVES,
    NOTES,
    OPERATOR,
    PATH_ACTION,
    PATH_RESULT,
    PATH_RUNNING,
    PATH_STARTS,
    RATINGS,
    REPORTER,
    REWORK,
    SOURCES,
    SPOT,
    A,
    Plan,
    dispatch_json,
    natural_warn,
)

CHUNK = 50_000
UNIT_NAMES = {0: "natural_hours", WORKING_HOURS: "working_hours", WORKING_DAYS: "working_days"}


# --- values ------------------------------------------------------------------------------------------------

def dt_text(us: np.ndarray) -> list:
    """UTC microseconds → Django's SQLite datetime text (no fraction when it is zero); None where ``us`` < 0."""
    us = np.asarray(us, dtype=np.int64)
    valid = us >= 0
    text = np.datetime_as_string(np.where(valid, us, 0).astype("datetime64[us]"), unit="us")
    chars = text.view(np.uint32).reshape(len(text), -1)
    chars[:, 10] = ord(" ")
    chars[(us % US) == 0, 19:] = 0
    out = text.astype(object)
    out[~valid] = None
    return out.tolist()


def nullable(values: np.ndarray, valid: np.ndarray) -> list:
    out = values.astype(object)
    out[~valid] = None
    return out.tolist()


# --- writers ---------------------------------------------------------------------------------------------

class Writer:
    """Bulk INSERT (SQLite) or COPY (PostgreSQL) of tuples into a table, on Django's connection."""

    def __init__(self):
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor
        self.q = connection.ops.quote_name

    def insert(self, table: str, columns: list[str], rows) -> None:
        names = ", ".join(self.q(c) for c in columns)
        with self.connection.cursor() as cur:
            if self.vendor == "postgresql":
                with cur.cursor.copy(f"COPY {self.q(table)} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cur.executemany(f"INSERT INTO {self.q(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})",
                                rows)


@contextlib.contextmanager
def without_indexes(tables: list[str], timings: dict | None = None):
    """Drop the secondary indexes of ``tables`` (and, on PostgreSQL, the session's FK triggers), build them
    again afterwards.  Primary keys and unique constraints stay: they are what keeps the rows valid."""
    import time

    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                        "JOIN pg_class c ON c.oid = i.indrelid WHERE c.relname = ANY(%s) "
                        "AND NOT i.indisunique AND NOT i.indisprimary", [tables])
        else:
            cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
                        f"({', '.join(['%s'] * len(tables))})", tables)
        indexes = cur.fetchall()
        for name, _sql in indexes:
            cur.execute(f"DROP INDEX {name if connection.vendor == 'postgresql' else connection.ops.quote_name(name)}")
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = replica")
    try:
        yield indexes
    finally:
        t = time.perf_counter()
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("SET session_replication_role = DEFAULT")
                cur.execute("SET maintenance_work_mem = '256MB'")
            for _name, sql in indexes:
                cur.execute(sql)
        if timings is not None:
            timings["indexes rebuilt"] = round(time.perf_counter() - t, 2)
            print(f"  {len(indexes)} indexes built again in {timings['indexes rebuilt']:.1f} s", flush=True)


# --- the rows ----------------------------------------------------------------------------------------------

def _event_columns():
    from gridgov.events.models import Event

    return [f for f in Event._meta.concrete_fields if not f.generated]  # the database computes the generated ones


def write(plan: Plan, as_of, chunk: int = CHUNK, progress: bool = True) -> dict:
    """Write ``plan``'s events, log rows, statistics records and department rows; return counts."""
    from collections import Counter

    from django.db import connection, transaction

    from gridgov.cases.models import DailySequence, TransitionRecord
    from gridgov.core import crypto
    from gridgov.events.models import Event, EventLog

    w = Writer()
    ref, c = plan.ref, plan.cols
    leaves, grids, axis = ref["leaves"], ref["grids"], ref["axis"]
    users, depts = ref["users"], ref["depts"]
    dept_by_id = {d.id: d for d in depts.values()}
    liaison = {d.id: users[f"liaison_{d.code}"] for d in depts.values()}
    regions = ref["regions"]
    community_names = {rid: name for _code, (rid, name) in regions.items()}
    town_region = np.array([regions[code][0] for code in ref["towns"]])
    op_id = np.array([u.id for u in ref["op_of_town"]])
    op_label = np.array([u.full_name[:100] for u in ref["op_of_town"]], dtype=object)
    n, first = plan.n, plan.first_id

    # per category, per grid, per day: lookups once
    cat_id = np.array([k.id for k in leaves])
    cat_code = np.array([k.code[:32] for k in leaves], dtype=object)
    cat_name = np.array([k.name for k in leaves], dtype=object)
    cat_urgency = np.array([k.urgency for k in leaves], dtype=object)
    desc_count = np.array([len(d) for d in ref["descriptions"]])
    desc_offset = np.concatenate([[0], np.cumsum(desc_count)[:-1]])
    desc_flat = np.array([x for d in ref["descriptions"] for x in d], dtype=object)
    grid_id = np.array([g[0] for g in grids])
    grid_comm = np.array([g[4] for g in grids])
    grid_addr = np.array([f"{community_names[g[4]]}附近" for g in grids], dtype=object)
    worker_id = np.array([-1 if gw[0] is None else gw[0] for gw in ref["grid_worker"]])
    worker_name = np.array([gw[1] for gw in ref["grid_worker"]], dtype=object)
    source_names = np.array([s for s, _w in SOURCES], dtype=object)
    # the reporter's phone, sealed as SealedPhone does: each distinct number encrypted once
    phones = ref["phones"]
    phone_enc = np.array([crypto.encrypt(p) for p in phones] + [""], dtype=object)
    phone_hash = np.array([crypto.phone_hash(p) for p in phones] + [""], dtype=object)
    phone_label = np.array([f"群众 {crypto.mask_phone(p)}" for p in phones] + [""], dtype=object)
    days = c["day"]
    first_pos = np.searchsorted(days, days, side="left")
    seq = np.arange(n) - first_pos + 1
    if seq.max(initial=0) > 99_999:
        raise SystemExit("more than 99,999 events on one day: the 5-digit daily sequence cannot number them")
    day_text = {int(d): f"SJ{axis.first + timedelta(days=int(d)):%Y%m%d}" for d in np.unique(days)}
    numbers = np.array([f"{day_text[d]}{s:05d}" for d, s in zip(days.tolist(), seq.tolist(), strict=True)],
                       dtype=object)

    action_names = np.array(ACTIONS, dtype=object)
    frm = np.array([MOVES[a][0] for a in ACTIONS], dtype=object)
    to = np.array([MOVES[a][1] for a in ACTIONS], dtype=object)
    notes = np.array([NOTES.get(a, "") for a in ACTIONS], dtype=object)
    actor_kind = np.array([ACTOR_OF.get(a, OPERATOR) for a in ACTIONS])
    result_text = np.array(["", NOTES["feedback"], NOTES["resolve_on_spot"]], dtype=object)
    vp_pos = np.argmax(PATH_ACTION == A["verify_pass"], axis=1)  # per path (0 where none: never closed then)
    role_names = np.array(["grid_worker", "citizen", "operator"], dtype=object)
    assist_json = {}

    fields = _event_columns()
    ev_cols = [f.column for f in fields]
    log_cols = ["event_id", "actor_id", "actor_label", "action", "from_status", "to_status", "note", "data",
                "created_at"]
    rec_cols = ["kind", "case_id", "number", "region_id", "center_id", "category", "action", "from_status",
                "to_status", "actor_role", "department_id", "flows", "on_time", "at"]
    Involved, Assisting = Event.involved_departments.through, Event.assisting_departments.through
    status_counts: Counter = Counter()
    totals: Counter = Counter()
    now_text = dt_text(np.array([plan.as_of_us]))[0]
    defaults = {f.column: f.get_db_prep_save(f.get_default(), connection) for f in fields if not f.primary_key}

    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        i = np.arange(lo, hi)
        m = hi - lo
        path, done, t = plan.path[i], plan.done[i], plan.t[i]
        ci, gi, src, town = c["category"][i], c["grid"][i], c["source"][i], c["town"][i]
        k_last = done - 1
        last = PATH_ACTION[path, k_last]
        status = to[last]
        closed = (last == A["verify_pass"]) | (last == A["rate"])
        j = PATH_RUNNING[path, k_last]
        running = j >= 0
        jj = np.maximum(j, 0)
        stage_kind = PATH_STARTS[path, jj]
        stage_start = np.where(running, t[np.arange(m), jj], -1)
        deadline = np.where(running, plan.stage_deadline[i, jj], -1)
        provisional = running & plan.stage_provisional[i, jj]
        unit = np.where(stage_kind == HAND, ref["cat_unit"][ci],
                        np.where(stage_kind == ACC, _unit_code(ref["accept_limit"][1]), _unit_code(ref["verify_limit"][1])))
        warn = np.full(m, -1, dtype=np.int64)
        wk = running & (unit != 0)
        if wk.any():
            warn[wk] = axis.warn_at(stage_start[wk], deadline[wk], unit[wk], ref["ratio"])
        for x in np.flatnonzero(running & (unit == 0)):
            warn[x] = natural_warn(int(stage_start[x]), int(deadline[x]), ref["ratio"])
        closed_at = np.where(closed, t[np.arange(m), vp_pos[path]], -1)
        due = c["due"][i]
        dispatched = c["dispatched"][i]
        lead = c["lead"][i]
        rated = last == A["rate"]
        merged = last == A["merge"]
        # the reporter: a grid worker (patrol), a citizen (phone), else the township center's operator
        rep_kind = np.where(src == 0, 0, np.where(src == 1, 1, 2))
        rep_id = np.where(rep_kind == 0, worker_id[gi], np.where(rep_kind == 2, op_id[town], -1))
        rep_name = np.where(rep_kind == 0, worker_name[gi], np.where(rep_kind == 2, op_label[town], ""))
        pi = np.where(c["phone_of"][i] >= 0, c["phone_of"][i], len(phones))
        rep_label = np.where(rep_kind == 1, phone_label[pi], rep_name)
        pk = first + i
        status_counts.update(status.tolist())
        totals["with_deadline"] += int(running.sum())
        totals["overdue_at_as_of"] += int((running & (deadline <= plan.as_of_us)).sum())
        totals["near_due_at_as_of"] += int((running & (deadline > plan.as_of_us) & (warn <= plan.as_of_us)).sum())

        ev = dict(defaults)
        ev.update({
            "id": pk.tolist(), "number": numbers[i].tolist(), "source": source_names[src].tolist(),
            "category_id": cat_id[ci].tolist(), "title": cat_name[ci].tolist(),
            "description": desc_flat[desc_offset[ci] + (c["desc_pick"][i] * desc_count[ci]).astype(int)].tolist(),
            "lng": c["lng"][i].tolist(), "lat": c["lat"][i].tolist(), "address": grid_addr[gi].tolist(),
            "grid_id": grid_id[gi].tolist(), "region_id": grid_comm[gi].tolist(),
            "center_id": town_region[town].tolist(), "urgency": cat_urgency[ci].tolist(),
            "people_involved": c["people"][i].tolist(), "reporter_id": nullable(rep_id, rep_id >= 0),
            "reporter_name": [x[:50] for x in rep_name.tolist()], "reporter_phone_enc": phone_enc[pi].tolist(),
            "reporter_phone_hash": phone_hash[pi].tolist(), "status": status.tolist(),
            "lead_department_id": nullable(lead, dispatched),
            "stage_started_at": dt_text(stage_start), "deadline": dt_text(deadline),
            "deadline_unit": np.where(running, np.array([UNIT_NAMES[0], UNIT_NAMES[1], UNIT_NAMES[2]],
                                                        dtype=object)[unit], "").tolist(),
            "warn_at": dt_text(warn), "deadline_provisional": provisional.tolist(),
            "closed_at": dt_text(closed_at), "due_at": dt_text(due),
            "closed_on_time": nullable(closed_at <= due, closed),
            "rework_count": ((path == REWORK) & (done >= 6)).astype(int).tolist(),
            "resolved_on_spot": ((path == SPOT) & (done >= 2)).tolist(),
            "result": result_text[PATH_RESULT[path, k_last]].tolist(),
            "merged_into_id": nullable(first + c["merge_into"][i], merged),
            "rating": np.where(rated, np.array(RATINGS, dtype=object)[c["rating"][i]], "").tolist(),
            "created_at": dt_text(c["t0"][i]), "updated_at": [now_text] * m,
        })
        missing = [col for col in ev_cols if col not in ev]
        if missing:
            raise SystemExit(f"no value for events_event columns {missing}")
        ev_rows = zip(*(ev[col] if isinstance(ev[col], list) else [ev[col]] * m for col in ev_cols), strict=True)

        # one log row and one statistics record per step taken
        e = np.repeat(np.arange(m), done)
        k = np.arange(len(e)) - np.repeat(np.cumsum(done) - done, done)
        act = PATH_ACTION[path[e], k]
        at = t[e, k]
        prev = np.where(k > 0, PATH_RUNNING[path[e], np.maximum(k - 1, 0)], -1)
        before = np.where(prev >= 0, plan.stage_deadline[i[e], np.maximum(prev, 0)], -1)
        on_time = at <= before
        kind = actor_kind[act]
        ld = lead[e]
        lid = np.array([liaison[d].id if d in liaison else -1 for d in range(ld.max(initial=0) + 1)])
        llabel = np.array([liaison[d].full_name[:100] if d in liaison else "" for d in range(ld.max(initial=0) + 1)],
                          dtype=object)
        actor_id = np.where(kind == REPORTER, rep_id[e], np.where(kind == LIAISON, lid[ld], op_id[town[e]]))
        actor_label = np.where(kind == REPORTER, rep_label[e], np.where(kind == LIAISON, llabel[ld], op_label[town[e]]))
        role = np.where(kind == REPORTER, role_names[rep_kind[e]],
                        np.where(kind == LIAISON, "liaison", "operator"))
        data = np.full(len(e), "{}", dtype=object)
        for x in np.flatnonzero(act == A["dispatch"]):
            key = (int(ld[x]), int(c["assisting"][i[e[x]]]))
            if key not in assist_json:
                assist_json[key] = dispatch_json(dept_by_id[key[0]].name,
                                                 [dept_by_id[key[1]].name] if key[1] >= 0 else [])
            data[x] = assist_json[key]
        for x in np.flatnonzero(act == A["merge"]):
            data[x] = json.dumps({"target": numbers[c["merge_into"][i[e[x]]]]})
        for x in np.flatnonzero(act == A["rate"]):
            data[x] = json.dumps({"rating": RATINGS[c["rating"][i[e[x]]]]})
        # the department measures (EventLifecycle.department_flows)
        satisfied = c["rating"][i[e]] < 2
        flows = np.select(
            [act == A["dispatch"], (act == A["sign"]) & on_time, act == A["sign"], (act == A["feedback"]) & on_time,
             act == A["feedback"], act == A["verify_fail"], (act == A["rate"]) & satisfied, act == A["rate"]],
            ["received", "signed,signed_on_time", "signed", "handled,handled_on_time", "handled", "reworked",
             "rated,satisfied", "rated"], default="").astype(object)
        has_dept = (flows != "") & dispatched[e]
        flows[~has_dept] = ""
        at_text = dt_text(at)
        pk_e = pk[e].tolist()
        log_rows = zip(pk_e, nullable(actor_id, actor_id >= 0), actor_label.tolist(), action_names[act].tolist(),
                       frm[act].tolist(), to[act].tolist(), notes[act].tolist(), data.tolist(), at_text, strict=True)
        rec_rows = zip(["event"] * len(e), pk_e, numbers[i[e]].tolist(), grid_comm[gi[e]].tolist(),
                       town_region[town[e]].tolist(), cat_code[ci[e]].tolist(), action_names[act].tolist(),
                       frm[act].tolist(), to[act].tolist(), role.tolist(), nullable(ld, has_dept), flows.tolist(),
                       nullable(on_time, before >= 0), at_text, strict=True)
        inv = [(int(pk[x]), int(lead[x])) for x in np.flatnonzero(dispatched)]
        ass = [(int(pk[x]), int(c["assisting"][lo + x])) for x in np.flatnonzero(c["assisting"][i] >= 0)]
        with transaction.atomic():
            w.insert(Event._meta.db_table, ev_cols, ev_rows)
            w.insert(EventLog._meta.db_table, log_cols, log_rows)
            w.insert(TransitionRecord._meta.db_table, rec_cols, rec_rows)
            w.insert(Involved._meta.db_table, ["event_id", "department_id"], inv + ass)
            w.insert(Assisting._meta.db_table, ["event_id", "department_id"], ass)
        totals["logs"] += len(e)
        totals["records"] += len(e)
        totals["involved"] += len(inv) + len(ass)
        if progress and (hi == n or (hi // chunk) % 4 == 0):
            print(f"  {hi:>9,} events, {totals['logs']:>10,} log rows", flush=True)

    counts = Counter(days.tolist())
    DailySequence.objects.bulk_create(
        [DailySequence(prefix="SJ", day=axis.first + timedelta(days=d), last=k) for d, k in sorted(counts.items())],
        batch_size=1000)
    return {"status_counts": dict(status_counts), "totals": dict(totals)}


def _unit_code(name: str) -> int:
    from gen_calendar import UNIT_CODES

    return UNIT_CODES[name]


def tables() -> list[str]:
    from gridgov.cases.models import TransitionRecord
    from gridgov.events.models import Event, EventLog

    return [Event._meta.db_table, EventLog._meta.db_table, TransitionRecord._meta.db_table,
            Event.involved_departments.through._meta.db_table, Event.assisting_departments.through._meta.db_table]

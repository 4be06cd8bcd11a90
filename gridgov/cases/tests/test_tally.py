"""The statistics rollups on particular paths: the sweep's batch, the 办结时限 (due_at) and closed_on_time,
extensions, the measures' edge cases, concurrent transitions on one rollup row, and the rebuild."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Sum

from gridgov.cases import sweep, tally
from gridgov.cases.engine import lifecycles
from gridgov.cases.models import DeptTally, OpenCase, Tally, TallyMix
from gridgov.cases.tests.tally_world import T0, World, setup_world
from gridgov.disputes.models import Dispute
from gridgov.events import workflow as event_workflow
from gridgov.events.models import Event
from gridgov.petitions.models import Petition

DAY = timedelta(days=1)


@pytest.fixture
def world(city):
    return World(city, setup_world(city))


def assert_rollups_equal_a_recomputation():
    stored, expected = tally.stored(), tally.expected(tally.recompute(lifecycles()))
    for table in ("tally", "mix", "dept", "open"):
        assert stored[table] == expected[table], table


def row(kind: str, code: str) -> dict:
    """The summed measures of ``code``'s rollup rows (all days)."""
    out: dict[str, int] = {}
    for r in Tally.objects.filter(kind=kind, code=code).values():
        for k, v in r.items():
            if isinstance(v, int) and k not in ("id", "level"):
                out[k] = out.get(k, 0) + v
    return out


def walk(world: World, kind: str, pk: int, steps, b: int = 0) -> None:
    for actor, action in steps:
        assert world.act(kind, pk, actor, action, b), (kind, action)


def close_event(world: World, e: Event, at=None) -> None:
    c = world.city
    if at is not None:
        world.t = at
    walk(world, "event", e.pk, [(c.operator_a, "accept"), (c.operator_a, "dispatch"), (c.liaison_cg, "sign"),
                                (c.liaison_cg, "feedback"), (c.operator_a, "verify_pass")])


# --- every action of every lifecycle, one by one ---------------------------------------------------

def test_a_walk_through_every_action_keeps_the_rollups_equal_to_a_recomputation(world):
    """Each lifecycle walked through all its actions (the random walk may miss some), checked after each."""
    c, m = world.city, world.mediators
    e = world.report_event(0)
    other = world.report_event(0)
    for actor, action in [(c.operator_a, "accept"), (c.operator_a, "escalate"), (c.county_operator, "dispatch"),
                          (c.liaison_cg, "return"), (c.county_operator, "dispatch"), (c.liaison_cg, "sign"),
                          (c.liaison_cg, "request_extension"), (c.county_operator, "approve_extension"),
                          (c.liaison_cg, "request_extension"), (c.county_operator, "deny_extension"),
                          (c.leader_county, "supervise"), (c.worker_a, "supplement"), (c.liaison_cg, "feedback"),
                          (c.county_operator, "verify_fail"), (c.liaison_cg, "sign"), (c.liaison_cg, "feedback"),
                          (c.county_operator, "verify_pass"), (c.worker_a, "rate"), (c.county_operator, "reopen"),
                          (c.county_operator, "merge")]:
        world.t += timedelta(hours=1)
        assert world.act("event", e.pk, actor, action, 0), action
        assert_rollups_equal_a_recomputation()
    assert Event.objects.get(pk=e.pk).status == "merged"
    spot = world.report_event(3)
    walk(world, "event", other.pk, [(c.operator_a, "reject")])
    walk(world, "event", spot.pk, [(c.operator_a, "dispatch")])
    assert_rollups_equal_a_recomputation()
    handed = world.report_event(5)  # the county's own, handed down to township A, its grid then corrected
    walk(world, "event", handed.pk, [(c.county_operator, "hand_down"), (c.operator_a, "relocate")])
    assert Event.objects.get(pk=handed.pk).grid.code == "371502001001002"
    assert_rollups_equal_a_recomputation()

    d = world.report_dispute(0)
    for actor, action, b in [(c.operator_a, "accept", 0), (c.operator_a, "assign", 0), (m["a"].user, "start", 0),
                             (c.operator_a, "change_channel", 0), (c.operator_a, "regrade", 0),
                             (m["a"].user, "succeed", 0), (m["a"].user, "performance", 0),
                             (c.operator_a, "follow_up", 0), (c.operator_a, "close", 0), (c.operator_a, "reopen", 0),
                             (c.operator_a, "assign", 0), (m["a"].user, "start", 0), (m["a"].user, "fail", 0),
                             (c.operator_a, "follow_up", 0), (c.operator_a, "close", 0)]:
        world.t += timedelta(hours=1)
        assert world.act("dispute", d.pk, actor, action, b), action
        assert_rollups_equal_a_recomputation()
    rejected = world.report_dispute(0)
    walk(world, "dispute", rejected.pk, [(c.operator_a, "reject"), (c.operator_a, "reopen")])

    p = world.report_petition(0)
    for actor, action, b in [(c.operator_a, "acknowledge", 0), (c.leader_a, "take", 0), (c.operator_a, "accept", 1),
                             (c.operator_a, "request_extension", 0), (c.operator_a, "approve_extension", 0),
                             (c.operator_a, "reply", 0), (c.operator_a, "record_delivery", 0),
                             (c.operator_a, "close", 0), (c.operator_a, "request_review", 0),
                             (c.operator_a, "reply_review", 0), (c.operator_a, "request_recheck", 0),
                             (c.operator_a, "reply_recheck", 0), (c.operator_a, "close", 0)]:
        world.t += timedelta(hours=1)
        assert world.act("petition", p.pk, actor, action, b), action
        assert_rollups_equal_a_recomputation()
    to_dept, to_agency, refused = world.report_petition(1), world.report_petition(1), world.report_petition(2)
    walk(world, "petition", to_dept.pk, [(c.operator_a, "transfer"), (c.liaison_cg, "accept")])
    walk(world, "petition", to_agency.pk, [(c.operator_a, "transfer")], b=1)
    walk(world, "petition", refused.pk, [(c.operator_a, "not_accept")])
    assert_rollups_equal_a_recomputation()


# --- the sweep's batch path ---------------------------------------------------------------------------

def test_the_sweeps_of_every_lifecycle_keep_the_rollups_equal(world):
    c = world.city
    for _ in range(3):
        e = world.report_event(0)
        walk(world, "event", e.pk, [(c.operator_a, "accept"), (c.operator_a, "dispatch")])
    d = world.report_dispute(0)
    walk(world, "dispute", d.pk, [(c.operator_a, "accept")])
    world.report_petition(0)  # a letter: its 7-day reply is owed
    before = tally.stored()
    counts = sweep.sweep_all(now=world.t + 40 * DAY)
    assert counts["event"]["escalated"] == 3 and counts["dispute"]["overdue"] == 1
    assert counts["petition"]["ack_overdue"] == 1
    assert_rollups_equal_a_recomputation()
    # the sweep's own actions change no share: the rollups did not move
    assert tally.stored() == before


def test_the_sweeps_batch_adds_the_difference_its_action_makes(world, monkeypatch):
    """A measure the sweep's action changes (here: counting an escalated event as "returned", a test-only
    rule of the row) must move in the rollups through the set-based batch exactly as through perform()."""
    c = world.city
    real = event_workflow.EventLifecycle.tally_counts

    def counts(self, event):
        return {**real(self, event), "returned": event.escalated_center_id is not None}

    monkeypatch.setattr(event_workflow.EventLifecycle, "tally_counts", counts)
    events = [world.report_event(0) for _ in range(4)]
    for e in events[:3]:
        walk(world, "event", e.pk, [(c.operator_a, "accept"), (c.operator_a, "dispatch")])
    assert row("event", c.township_a.code).get("returned", 0) == 0
    assert sweep.sweep_lifecycle(event_workflow.LIFECYCLE, now=world.t + 10 * DAY)["escalated"] == 4
    assert row("event", c.township_a.code)["returned"] == 4
    assert_rollups_equal_a_recomputation()


# --- the 办结时限 and closed_on_time --------------------------------------------------------------------

def test_closed_on_time_is_recorded_at_close_and_forgotten_on_reopen(world):
    c = world.city
    early, late = world.report_event(0), world.report_event(0)
    close_event(world, early)
    early.refresh_from_db()
    assert early.closed_at <= early.due_at and early.closed_on_time is True
    close_event(world, late, at=late.due_at + timedelta(minutes=1))
    late.refresh_from_db()
    assert late.closed_on_time is False
    r = row("event", c.township_a.code)
    assert (r["closed"], r["closed_on_time"]) == (2, 1)

    walk(world, "event", early.pk, [(c.worker_a, "rate"), (c.operator_a, "reopen")])  # rated unsatisfied
    early.refresh_from_db()
    assert early.status == "accepted" and early.closed_on_time is None
    r = row("event", c.township_a.code)
    assert (r["closed"], r["closed_on_time"]) == (1, 0)
    assert OpenCase.objects.filter(kind="event", case_id=early.pk).exists()
    # closed again after its 办结时限 (the reopen does not move it): late this time
    world.t = early.due_at + DAY
    walk(world, "event", early.pk, [(c.operator_a, "dispatch"), (c.liaison_cg, "sign"), (c.liaison_cg, "feedback"),
                                    (c.operator_a, "verify_pass")])
    early.refresh_from_db()
    assert early.closed_on_time is False
    r = row("event", c.township_a.code)
    assert (r["closed"], r["closed_on_time"]) == (2, 0)
    assert_rollups_equal_a_recomputation()


def test_a_dispute_and_a_petition_record_closed_on_time_and_forget_it_when_reopened(world):
    c, m = world.city, world.mediators
    d = world.report_dispute(0)
    walk(world, "dispute", d.pk, [(c.operator_a, "accept"), (c.operator_a, "assign"), (m["a"].user, "start"),
                                  (m["a"].user, "succeed"), (c.operator_a, "follow_up"), (c.operator_a, "close")])
    d = Dispute.objects.get(pk=d.pk)
    assert d.closed_on_time is True and row("dispute", c.township_a.code)["closed_on_time"] == 1
    walk(world, "dispute", d.pk, [(c.operator_a, "reopen")])
    d = Dispute.objects.get(pk=d.pk)
    assert d.closed_on_time is None and d.due_at > world.t  # a reopened mediation gets the channel's limit again
    assert row("dispute", c.township_a.code)["closed_on_time"] == 0

    p = world.report_petition(1)
    walk(world, "petition", p.pk, [(c.operator_a, "accept"), (c.operator_a, "reply")])
    world.t = Petition.objects.get(pk=p.pk).due_at + timedelta(minutes=1)
    walk(world, "petition", p.pk, [(c.operator_a, "close")])
    assert Petition.objects.get(pk=p.pk).closed_on_time is False
    walk(world, "petition", p.pk, [(c.operator_a, "request_review")])
    p = Petition.objects.get(pk=p.pk)
    assert p.closed_on_time is None and row("petition", c.township_a.code)["closed"] == 0
    assert_rollups_equal_a_recomputation()


def test_an_approved_extension_moves_the_due_at_and_a_close_within_it_is_on_time(world):
    c = world.city
    e = world.report_event(0)
    walk(world, "event", e.pk, [(c.operator_a, "accept"), (c.operator_a, "dispatch"), (c.liaison_cg, "sign")])
    e.refresh_from_db()
    due, deadline = e.due_at, e.deadline
    walk(world, "event", e.pk, [(c.liaison_cg, "request_extension")])  # to now + 3 days
    requested = e.extension_requests.get().requested_deadline
    walk(world, "event", e.pk, [(c.operator_a, "approve_extension")])
    e.refresh_from_db()
    assert e.deadline == requested and e.due_at == due + (requested - deadline) and e.due_at > due
    world.t = due + timedelta(hours=1)  # past the first 办结时限, within the extended one
    walk(world, "event", e.pk, [(c.liaison_cg, "feedback"), (c.operator_a, "verify_pass")])
    e.refresh_from_db()
    assert e.closed_on_time is True
    r = row("event", c.township_a.code)
    assert (r["extended"], r["closed_on_time"]) == (1, 1)
    dept = [DeptTally.objects.filter(kind="event", department=c.dept_cg).aggregate(n=Sum(m))["n"]
            for m in ("received", "signed", "extended", "handled", "handled_on_time")]
    assert dept == [1, 1, 1, 1, 1]

    p = world.report_petition(1)
    walk(world, "petition", p.pk, [(c.operator_a, "accept"), (c.operator_a, "request_extension")])  # 10 days
    before = Petition.objects.get(pk=p.pk).due_at
    walk(world, "petition", p.pk, [(c.operator_a, "approve_extension")])
    p = Petition.objects.get(pk=p.pk)
    assert p.due_at == p.deadline and p.due_at > before
    assert_rollups_equal_a_recomputation()


def test_a_denied_extension_leaves_the_due_at(world):
    c = world.city
    e = world.report_event(0)
    walk(world, "event", e.pk, [(c.operator_a, "accept"), (c.operator_a, "dispatch"), (c.liaison_cg, "sign"),
                                (c.liaison_cg, "request_extension"), (c.operator_a, "deny_extension")])
    due = e.due_at
    e.refresh_from_db()
    assert e.due_at == due and row("event", c.township_a.code).get("extended", 0) == 0


# --- the measures' edge cases -----------------------------------------------------------------------------

def test_a_petition_transferred_to_an_outside_agency_is_no_open_case(world):
    """Finished here (Petition.is_open is False): not an open case, nor one day 积案 — one transferred
    to a department in the system is that department's work, and open."""
    c = world.city
    to_agency, to_dept = world.report_petition(1), world.report_petition(1)
    walk(world, "petition", to_agency.pk, [(c.operator_a, "transfer")], b=1)
    walk(world, "petition", to_dept.pk, [(c.operator_a, "transfer")], b=0)
    assert not Petition.objects.get(pk=to_agency.pk).is_open and Petition.objects.get(pk=to_dept.pk).is_open
    assert list(OpenCase.objects.filter(kind="petition").values_list("case_id", flat=True)) == [to_dept.pk]
    assert_rollups_equal_a_recomputation()


def test_an_on_the_spot_case_a_department_handled_is_not_resolved_in_the_grid(world):
    """An on-the-spot resolution that failed verification is dispatched; once the department's work closes
    it, it counts where the department's case was handled (小事不出格 counts only what the grid closed)."""
    c = world.city
    spot, dept = world.report_event(3), world.report_event(3)
    walk(world, "event", spot.pk, [(c.operator_a, "verify_pass")])
    walk(world, "event", dept.pk, [(c.operator_a, "dispatch"), (c.liaison_cg, "sign"), (c.liaison_cg, "feedback"),
                                   (c.operator_a, "verify_pass")])
    r = row("event", c.township_a.code)
    assert (r["closed"], r["resolved_grid"], r["resolved_township"], r["dispatched"]) == (2, 1, 1, 1)
    # rated unsatisfied and reopened: it was given to a department, and stays counted as dispatched
    walk(world, "event", dept.pk, [(c.worker_a, "rate"), (c.operator_a, "reopen")])
    r = row("event", c.township_a.code)
    assert (r["closed"], r["resolved_grid"], r["resolved_township"], r["dispatched"]) == (1, 1, 0, 1)
    walk(world, "event", spot.pk, [(c.worker_a, "rate"), (c.operator_a, "reopen")])
    assert row("event", c.township_a.code)["dispatched"] == 1  # the grid's own case never was
    assert_rollups_equal_a_recomputation()


# --- concurrency --------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_on_one_rollup_row_both_count(city):
    """Two connections accept two events of the same grid and day: both add to the same Tally rows. The
    first holds its transaction open until the second is seen waiting on the row lock; both increments
    survive (the upsert adds to the row, it never overwrites it)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite serializes writers on the whole database)")
    world = World(city, setup_world(city))
    e1, e2 = world.report_event(0), world.report_event(0)
    now = world.t + timedelta(minutes=5)
    first_in, errors = threading.Event(), []
    waited = []

    def first():
        try:
            with transaction.atomic():
                event_workflow.perform(Event.objects.get(pk=e1.pk), "accept", city.operator_a, now=now)
                first_in.set()
                waited.append(_wait_for_a_lock_waiter())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            first_in.set()
            connection.close()

    def second():
        try:
            first_in.wait(30)
            event_workflow.perform(Event.objects.get(pk=e2.pk), "accept", city.operator_a, now=now)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert waited == [True], "the second transition never waited on the first one's rollup row"
    for code in (city.city.code, city.township_a.code, city.grid_a1.code):
        assert Tally.objects.get(kind="event", code=code).valid == 2
    assert_rollups_equal_a_recomputation()


def _wait_for_a_lock_waiter(timeout: float = 20.0) -> bool:
    """True once another backend of this database waits on a lock (polled from a third connection)."""
    import time

    import psycopg

    s = connection.settings_dict
    params = {"dbname": s["NAME"], "host": s.get("HOST") or None, "port": s.get("PORT") or None,
              "user": s.get("USER") or None, "password": s.get("PASSWORD") or None}
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as db:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            n = db.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock'").fetchone()[0]
            if n:
                return True
            time.sleep(0.05)
    return False


# --- rebuilding -------------------------------------------------------------------------------------

def test_rebuild_replaces_wrong_rollups_with_the_recomputation(world):
    c = world.city
    close_event(world, world.report_event(0))
    world.report_dispute(0)
    world.report_petition(0)
    Tally.objects.filter(kind="event").update(closed=99)
    TallyMix.objects.all().delete()
    OpenCase.objects.all().delete()
    DeptTally.objects.create(kind="event", day=T0.date(), department=c.dept_zj, received=5)
    counts = tally.rebuild(lifecycles())
    assert_rollups_equal_a_recomputation()
    assert counts == {"tally": Tally.objects.count(), "mix": TallyMix.objects.count(),
                      "dept": DeptTally.objects.count(), "open": OpenCase.objects.count(), "backfilled": 0}
    # the event and the dispute in grid A1 (5 levels each), the petition at township A (3); two still open
    assert counts["tally"] == 5 + 5 + 3 and counts["open"] == 2
    assert not DeptTally.objects.filter(department=c.dept_zj).exists()


def test_the_tally_rebuild_command_prints_the_row_counts(world, capsys):
    world.report_event(0)
    Tally.objects.all().delete()
    call_command("tally_rebuild")
    out = capsys.readouterr().out
    assert "统计汇总已重建" in out and "tally=5" in out and "open=1" in out
    assert_rollups_equal_a_recomputation()


def test_load_demo_rebuilds_the_rollups_of_a_base_that_has_cases_and_none(world):
    """An upgraded demo base: cases from before the rollups, empty rollup tables. load_demo's first step
    recomputes them (before it adds anything new to them); with rollups there, or no cases, it does nothing."""
    from gridgov.demo.services import ensure_rollups

    assert ensure_rollups() is None  # no cases
    world.report_event(0)
    world.report_petition(0)
    assert ensure_rollups() is None  # rollups there
    for model in (Tally, TallyMix, DeptTally, OpenCase):
        model.objects.all().delete()
    said = []
    counts = ensure_rollups(said.append)
    assert counts["tally"] == 5 + 3 and counts["open"] == 2 and said == ["统计汇总：由已有案件重建 8 行"]
    assert_rollups_equal_a_recomputation()


def test_rebuild_gives_events_from_before_the_due_time_theirs_and_judges_the_closed_ones(world):
    from gridgov.events.models import Event
    from gridgov.events.workflow import due_moment

    closed = world.report_event(0)
    close_event(world, closed)
    still_open = world.report_event(0)
    promised = {e.pk: Event.objects.get(pk=e.pk).due_at for e in (closed, still_open)}
    # as a base upgraded from before the 办结时限 holds them
    Event.objects.filter(pk__in=promised).update(due_at=None, closed_on_time=None)
    counts = tally.rebuild(lifecycles())
    assert counts["backfilled"] == 2
    for e in Event.objects.filter(pk__in=promised).select_related("category"):
        assert e.due_at == promised[e.pk] == due_moment(e, e.created_at)
    again = Event.objects.get(pk=closed.pk)
    assert again.closed_on_time is (again.closed_at <= again.due_at)
    assert Event.objects.get(pk=still_open.pk).closed_on_time is None
    assert_rollups_equal_a_recomputation()


def test_a_minus_flow_takes_one_back_on_its_day_and_an_unknown_measure_is_refused(city):
    dept, d1, d2 = city.dept_cg.pk, T0.date(), (T0 + DAY).date()
    tally.apply(event_workflow.LIFECYCLE, 0, None, None, [(d1, dept, "rated"), (d1, dept, "satisfied")])
    tally.apply(event_workflow.LIFECYCLE, 0, None, None, [(d2, dept, "-satisfied")])
    rows = {r.day: (r.rated, r.satisfied) for r in DeptTally.objects.filter(kind="event", department_id=dept)}
    assert rows == {d1: (1, 1), d2: (0, -1)}
    with pytest.raises(ValueError):
        tally.Delta().flow("event", d1, dept, "-nonsense")

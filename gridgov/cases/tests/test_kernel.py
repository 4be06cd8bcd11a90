"""The case kernel: the engine, the statistics hook, the set-based sweep and the lifecycle registry."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Q, UniqueConstraint
from django.test.utils import CaptureQueriesContext

from gridgov.cases import engine, sweep
from gridgov.cases.models import TransitionRecord
from gridgov.core.errors import Forbidden
from gridgov.core.models import Notification
from gridgov.events import services
from gridgov.events import sla as event_sla
from gridgov.events.models import Event, SlaNotice
from gridgov.events.taxonomy import install_default_categories

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # a Monday of an ordinary working week


@pytest.fixture
def report(city):
    install_default_categories()

    def _report(now=T0):
        data = services.EventInput(category="0301", description="路面有大量垃圾未清理", lng=116.005, lat=36.405)
        return services.create_event(city.worker_a, data, now=now)[0]

    return _report


def dispatched(city, report, now=T0) -> Event:
    e = report(now)
    services.perform_action(city.operator_a, e, "accept", now=now)
    services.perform_action(city.operator_a, Event.objects.get(pk=e.pk), "dispatch",
                            {"lead_department": "CG", "deadline": (now + timedelta(hours=2)).isoformat()}, now=now)
    return Event.objects.get(pk=e.pk)


# --- the statistics hook ----------------------------------------------------------------------

def test_every_transition_writes_one_statistics_record(city, report):
    e = report()
    services.perform_action(city.operator_a, e, "accept", now=T0 + timedelta(minutes=5))
    rows = list(TransitionRecord.objects.filter(kind="event", case_id=e.pk).order_by("at", "id"))
    assert [(r.action, r.from_status, r.to_status) for r in rows] == [
        ("report", "", "reported"), ("accept", "reported", "accepted")]
    accept = rows[1]
    assert accept.number == e.number and accept.region_id == e.region_id and accept.center_id == e.center_id
    assert accept.category == "0301" and accept.actor_role == "operator"
    # the acceptance deadline was running and met
    assert accept.on_time is True
    assert rows[0].on_time is None and rows[0].actor_role == "grid_worker"
    assert e.log.count() == len(rows)


def test_a_late_transition_is_recorded_as_late(city, report):
    e = dispatched(city, report)
    services.perform_action(city.liaison_cg, e, "sign", now=T0 + timedelta(hours=3))  # the 2 h deadline passed
    sign = TransitionRecord.objects.get(kind="event", case_id=e.pk, action="sign")
    assert sign.on_time is False and sign.actor_role == "liaison"


def test_a_refused_transition_writes_no_record(city, report):
    e = report()
    before = TransitionRecord.objects.count()
    with pytest.raises(Forbidden):
        services.perform_action(city.liaison_cg, e, "accept", now=T0)
    assert TransitionRecord.objects.count() == before


def test_the_records_are_append_only(city, report):
    report()
    with pytest.raises(PermissionError):
        TransitionRecord.objects.all().delete()
    row = TransitionRecord.objects.first()
    row.action = "x"
    with pytest.raises(PermissionError):
        row.save()


# --- the sweep engine ---------------------------------------------------------------------------

def test_the_sweep_records_each_system_transition(city, report):
    e = dispatched(city, report)
    assert event_sla.sweep(T0 + timedelta(hours=3)) == {"reminded": 0, "escalated": 1}
    r = TransitionRecord.objects.get(kind="event", case_id=e.pk, action="sla_escalate")
    assert (r.actor_role, r.on_time, r.from_status, r.to_status) == ("system", False, "dispatched", "dispatched")
    before = e.updated_at
    e.refresh_from_db()
    # updated_at is the wall clock of the write, as save() gives it, not the sweep's reference time
    assert e.escalated_center == city.county and e.updated_at > before and e.updated_at > T0 + timedelta(hours=3)


def _sweep_queries(city, report, n: int) -> tuple[int, int]:
    for _ in range(n):
        dispatched(city, report)
    with CaptureQueriesContext(connection) as ctx:
        counts = event_sla.sweep(T0 + timedelta(hours=3))
    return counts["escalated"], len(ctx.captured_queries)


def test_the_sweep_is_set_based_its_queries_do_not_grow_with_the_cases(city, report):
    swept_small, q_small = _sweep_queries(city, report, 3)
    # the same cases, due again (no notice, no mark: gridgov.cases.marks), plus many more
    SlaNotice.objects.all().delete()
    Event.objects.update(sla_overdue_for=None, sla_near_due_for=None)
    swept_big, q_big = _sweep_queries(city, report, 30)
    assert (swept_small, swept_big) == (3, 33)
    # a handful of statements per batch, whatever the batch holds (not a transaction per case)
    assert q_big == q_small, (q_small, q_big)
    assert q_big < 40
    # and each sweep told the county center once, in one digest of its cases
    digests = Notification.objects.filter(kind="sla_escalate", recipient=city.county_operator).order_by("pk")
    assert [n.subject for n in digests] == ["已超期事件3件，已升级督办", "已超期事件33件，已升级督办"]


def test_a_notice_claimed_by_another_sweep_mid_batch_is_not_taken_twice(city, report, monkeypatch):
    """The unique constraint is the last word: if another sweep claims a case between our query and our
    insert, our batch rolls back and is taken again, leaving one notice and one log row per case."""
    events = [dispatched(city, report) for _ in range(3)]
    real = sweep._still_due
    raced = []

    def racing(lc, plan, case, now):
        if not raced:
            raced.append(case.pk)
            SlaNotice.objects.create(event_id=case.pk, kind=plan.notice_kind, deadline=case.deadline)
        return real(lc, plan, case, now)

    monkeypatch.setattr(sweep, "_still_due", racing)
    # the racing notice is inserted inside our batch's transaction, so the rollback takes it too; what
    # matters is that the batch's own insert collides and nothing is half-written
    counts = event_sla.sweep(T0 + timedelta(hours=3))
    assert counts["escalated"] == 3
    for e in events:
        assert e.log.filter(action="sla_escalate").count() == 1
        assert SlaNotice.objects.filter(event=e, kind="escalate").count() == 1
        assert TransitionRecord.objects.filter(case_id=e.pk, action="sla_escalate").count() == 1


# --- the registry of lifecycles -------------------------------------------------------------------

def test_every_registered_lifecycle_is_declared_completely():
    kinds = {lc.kind for lc in engine.lifecycles()}
    assert {"event", "dispute", "petition"} <= kinds
    for lc in engine.lifecycles():
        names = {f.name for f in lc.model._meta.get_fields()}
        for field in ("number", "status", "region", "center", "deadline", "warn_at", "deadline_provisional"):
            assert field in names, (lc.kind, field)
        assert lc.log_model._meta.get_field(lc.case_field).related_model is lc.model
        for plan in lc.sweeps:
            t = lc.transitions[plan.action]
            assert t.who is engine.system, (lc.kind, plan.action)
            for f in t.writes:
                lc.model._meta.get_field(f)
        if lc.sweeps:
            unique = [c for c in lc.notice_model._meta.constraints if isinstance(c, UniqueConstraint)]
            assert any(set(c.fields) == {lc.case_field, "kind", "deadline"} for c in unique), lc.kind
        for action, t in lc.transitions.items():
            assert t.action == action
            if isinstance(t.effect, str):
                assert t.effect in lc.effects, (lc.kind, action)


def test_every_lifecycle_is_registered_when_django_starts():
    """``case_sweep`` (and its task) must see every lifecycle in a fresh process, not only the ones some
    import happened to load: each app registers its lifecycle from ``ready()``."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import django; django.setup(); from gridgov.cases.engine import lifecycles; "
            "print(sorted(lc.kind for lc in lifecycles()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[3],
                         env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "gridgov.settings"})
    assert out.stdout.strip() == "['assessment', 'dispute', 'event', 'petition', 'warning']"


def test_the_case_sweep_command_sweeps_every_lifecycle(city, report, capsys):
    from django.core.management import call_command

    dispatched(city, report, now=T0)
    call_command("case_sweep")  # the real clock: the Monday case is long overdue
    out = capsys.readouterr().out
    assert "event: escalated=1 reminded=0" in out and "dispute: " in out and "petition: " in out


def test_the_sweep_commands_share_one_loop(city, capsys, monkeypatch):
    """--loop --max-runs N runs N sweeps (sleeping between them), for every sweep command alike."""
    from django.core.management import call_command

    from gridgov.cases.management import sweeping

    slept = []
    monkeypatch.setattr(sweeping.time, "sleep", slept.append)
    call_command("dispute_sweep", "--loop", "--max-runs", "2", "--interval", "7")
    assert capsys.readouterr().out.splitlines() == ["reminded=0 overdue=0 confirm=0"] * 2 and slept == [7]
    call_command("visit_sweep", "--loop", "--max-runs", "2", "--interval", "5")
    assert capsys.readouterr().out.splitlines() == ["alerts=0"] * 2 and slept == [7, 60]  # at least a minute
    call_command("petition_sweep", "--loop", "--max-runs", "2", "--interval", "0")
    assert slept == [7, 60, 1]  # 0 is the shortest pause, not "the default"



@pytest.mark.django_db(transaction=True)
def test_the_after_commit_hook_runs_only_when_the_transition_stands(city, report, monkeypatch):
    from django.db import transaction

    from gridgov.events import workflow

    seen = []
    monkeypatch.setattr(workflow.LIFECYCLE, "after_commit", lambda case, entry: seen.append(entry.action))
    e = report()
    services.perform_action(city.operator_a, e, "accept", now=T0)
    assert seen == ["report", "accept"]  # the opening too
    with pytest.raises(RuntimeError), transaction.atomic():
        services.perform_action(city.operator_a, Event.objects.get(pk=e.pk), "dispatch",
                                {"lead_department": "CG"}, now=T0)
        assert seen == ["report", "accept"]  # not before the commit
        raise RuntimeError("the caller's transaction fails")
    assert seen == ["report", "accept"] and Event.objects.get(pk=e.pk).status == "accepted"


def test_messages_sent_together_list_the_later_first(city, client):
    """One send() gives its rows one moment; the inbox still lists them in a stable order, the later first
    (as when each was written on its own)."""
    from gridgov.cases.notify import Message, send

    send([Message("first", "重大风险纠纷", operators_of=(city.township_a.pk,)),
          Message("second", "待受理纠纷", operators_of=(city.township_a.pk,))])
    rows = list(Notification.objects.filter(recipient=city.operator_a))
    assert [n.kind for n in rows] == ["second", "first"] and rows[0].created_at == rows[1].created_at
    client.force_login(city.operator_a)
    page = client.get("/notifications/").content.decode()
    assert page.index("待受理纠纷") < page.index("重大风险纠纷")


def test_the_case_admin_pages_list_every_column_in_the_cases_own_order():
    """The kernel's fields come first in _meta; the admin pages keep each case's own order, and miss none."""
    from gridgov.disputes.admin import DisputeLogAdmin
    from gridgov.disputes.models import DisputeLog
    from gridgov.events.admin import EventAdmin
    from gridgov.petitions.admin import PetitionAdmin
    from gridgov.petitions.models import Petition

    for admin_class, model in ((EventAdmin, Event), (PetitionAdmin, Petition)):
        assert sorted(admin_class.fields_in_order) == sorted(f.name for f in model._meta.fields)
        assert admin_class.fields_in_order[:2] == ("id", "number")
    # action / from_status / to_status are shown by their names (gridgov.cases.admin_labels: action_name …)
    shown = [n.removesuffix("_name") for n in DisputeLogAdmin.fields]
    assert sorted(shown) == sorted(f.name for f in DisputeLog._meta.fields if f.name != "id")


def test_a_batch_delivery_goes_on_past_a_row_that_is_gone(city):
    from gridgov.cases.notify import Message, send
    from gridgov.core.tasks import deliver_notifications

    rows = send([Message("x", "一", operators_of=(city.township_a.pk,)), Message("y", "二", users=[city.worker_a]),
                 Message("z", "三", users=[city.liaison_cg])])
    ids = [n.pk for n in rows]
    Notification.objects.filter(pk=ids[0]).delete()
    result = deliver_notifications.call(ids)
    assert result[str(ids[0])] == {"skipped": "deleted"}
    assert [Notification.objects.get(pk=pk).delivered for pk in ids[1:]] == [{"console": "ok"}] * 2


def test_one_lifecycle_failing_does_not_stop_the_others_sweep(city, report, monkeypatch):
    dispatched(city, report)
    real_due = sweep._due

    def due(lc, plan, now):
        if lc.kind == "dispute":
            raise RuntimeError("boom")
        return real_due(lc, plan, now)

    monkeypatch.setattr(sweep, "_due", due)
    counts = sweep.sweep_all(T0 + timedelta(hours=3))
    assert counts["dispute"] == {"error": "RuntimeError: boom"}
    assert counts["event"]["escalated"] == 1 and "error" not in counts["petition"]


def test_the_scope_rule_every_case_shares(city, report):
    """Nobody / an inactive account: nothing; an admin: everything; operators and leaders: their region's
    subtree; any other role: only what its lifecycle adds (here: nothing)."""
    from gridgov.cases.scope import NOTHING, case_scope_q

    e = report()
    seen = lambda user, **roles: Event.objects.filter(case_scope_q(user, **roles)).filter(pk=e.pk).exists()  # noqa: E731
    assert case_scope_q(None) == NOTHING and not seen(city.operator_b) and not seen(city.worker_a)
    assert seen(city.operator_a) and seen(city.county_operator) and seen(city.leader_county)
    assert seen(city.worker_a, grid_worker=lambda u: Q(reporter=u))
    city.operator_a.is_active = False
    assert not seen(city.operator_a)
    city.operator_a.region = None
    city.operator_a.is_active = True
    assert not seen(city.operator_a)

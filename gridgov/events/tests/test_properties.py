"""Random action sequences by random actors never break the state/log invariants."""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgov.core.errors import DomainError
from gridgov.events import services, workflow
from gridgov.events.models import OPEN_STATUSES, Event, Status
from gridgov.events.tests.conftest import MONDAY_0900

ACTORS = ["operator_a", "operator_b", "county_operator", "city_operator", "liaison_cg", "liaison_zj", "worker_a",
          "worker_b", "leader_a", "leader_county"]
RAW = {
    "dispatch": [{"lead_department": "CG"}, {"lead_department": "ZJ", "assisting_departments": ["CG"]},
                 {"lead_department": "CG"}, {}],
    "merge": [{"target": "__other__"}, {"target": "nope"}],
    "rate": [{"rating": "satisfied"}, {"rating": "unsatisfied"}, {"rating": "unsatisfied"}, {"rating": "bad"}],
    "supervise": [{"level": "yellow"}, {"level": "red"}, {"level": "x"}],
    "request_extension": [{"requested_deadline": "2027-03-01T17:00:00+08:00"}, {"requested_deadline": "garbage"}],
}

def check_invariants(e: Event):
    log = list(e.log.order_by("created_at", "id"))
    assert log[0].action == "report" and log[0].to_status == Status.REPORTED
    for prev, cur in zip(log, log[1:], strict=False):
        assert cur.from_status == prev.to_status, (prev.action, cur.action)
    assert log[-1].to_status == e.status
    assert (e.deadline is not None) == (e.status in OPEN_STATUSES)
    assert (e.closed_at is not None) == (e.status == Status.CLOSED)
    assert e.rework_count == sum(1 for x in log if x.action == "verify_fail")
    assert e.return_count == sum(1 for x in log if x.action == "return")
    assert e.reopen_count == sum(1 for x in log if x.action == "reopen") <= 1
    assert (e.merged_into_id is not None) == (e.status == Status.MERGED)
    if e.deadline is not None:
        assert e.stage_started_at <= e.warn_at <= e.deadline
    if e.status in (Status.DISPATCHED, Status.HANDLING):
        assert e.lead_department_id is not None
    if e.status == Status.HANDLED:
        assert e.lead_department_id is not None or e.resolved_on_spot


SEEN: set[str] = set()


# derandomize: the same walks on every run, so CI is reproducible and the reach guard below is stable
@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_action_sequences_keep_state_and_log_consistent(city, report, data):
    other = report()
    e = report()
    t = MONDAY_0900
    for _ in range(data.draw(st.integers(1, 30), label="length")):
        t += timedelta(minutes=data.draw(st.integers(1, 60 * 24 * 3), label="minutes"))
        # mostly a step that moves the case on, often anything somebody may do now,
        # sometimes anything by anyone (which is mostly refused)
        possible = [(w, a) for w in ACTORS for a in workflow.allowed_actions(e, getattr(city, w))]
        moving = [(w, a) for w, a in possible if workflow.TRANSITIONS[a].target is not None]
        bias = data.draw(st.integers(0, 9), label="bias")
        if moving and bias < 7:
            who, action = data.draw(st.sampled_from(moving), label="step")
        elif possible and bias < 8:
            who, action = data.draw(st.sampled_from(possible), label="step")
        else:
            who = data.draw(st.sampled_from(ACTORS), label="actor")
            action = data.draw(st.sampled_from(sorted(workflow.HUMAN_ACTIONS)), label="action")
        user = getattr(city, who)
        options = RAW.get(action, [{}])
        raw = dict(data.draw(st.sampled_from(options), label="raw"))
        raw["note"] = data.draw(st.sampled_from(["", "说明", "说明"]), label="note")
        if raw.get("target") == "__other__":
            raw["target"] = other.number
        before = (e.status, e.log.count())
        try:
            services.perform_action(user, Event.objects.get(pk=e.pk), action, raw, now=t)
            SEEN.add(action)
        except DomainError:
            fresh = Event.objects.get(pk=e.pk)
            assert (fresh.status, fresh.log.count()) == before  # a refused action leaves no trace
        e = Event.objects.get(pk=e.pk)
        check_invariants(e)


def test_the_random_walk_reached_the_whole_loop():
    """Guards the property test above against only ever exercising refusals (runs after it)."""
    if not SEEN:
        import pytest

        pytest.skip("run together with the property test")
    assert SEEN >= {"accept", "dispatch", "sign", "feedback", "verify_pass", "rate"}

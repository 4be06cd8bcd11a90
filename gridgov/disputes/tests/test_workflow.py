"""The dispute lifecycle: every allowed and forbidden transition, who may, deadlines, channels, the log."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.core.errors import Conflict, Forbidden, ValidationFailed
from gridgov.disputes import services, sla, workflow
from gridgov.disputes.models import Agreement, DisputeLog, Status

S = Status
SUCCEED = {"terms": "李四赔偿张三维修费3000元\n双方互不追究", "performance_deadline": ""}
SESSION = {"held_at": "2026-11-20T09:30", "mode": "onsite", "place": "古城社区调解室", "participants": "张三、李四、王调解",
           "minutes": "双方陈述事实，经调解同意赔偿"}


def drive(d, city, meds, upto: str):
    """Walk a dispute along the main path until it reaches ``upto``."""
    m = meds["a"]
    steps = [
        (S.ACCEPTED, city.operator_a, "accept", {}),
        (S.ASSIGNED, city.operator_a, "assign", {"mediator": m.pk}),
        (S.MEDIATING, m.user, "start", {}),
        (S.SUCCEEDED, m.user, "succeed", SUCCEED),
        (S.FOLLOWED_UP, city.operator_a, "follow_up", {"note": "回访双方已履行", "satisfaction": "satisfied"}),
        (S.CLOSED, city.operator_a, "close", {}),
    ]
    for state, actor, action, raw in steps:
        if d.status == upto:
            break
        services.perform_action(actor, d, action, raw)
        d.refresh_from_db()
        assert d.status == state
    return d


def at_status(status, make_dispute, city, meds):
    d = make_dispute()
    if status == S.REJECTED:
        services.perform_action(city.operator_a, d, "reject", {"note": "不属于调解范围"})
    elif status == S.FAILED:
        drive(d, city, meds, S.MEDIATING)
        services.perform_action(meds["a"].user, d, "fail", {"note": "双方分歧过大", "referral": "litigation"})
    else:
        drive(d, city, meds, status)
    d.refresh_from_db()
    assert d.status == status
    return d


@pytest.fixture(autouse=True)
def one_article(db):
    """cite_law needs an article of the law library to cite."""
    from pathlib import Path

    from django.conf import settings

    from gridgov.laws import services as laws
    from gridgov.laws.models import Article

    laws.import_directory(Path(settings.BASE_DIR) / "data" / "laws")
    ARTICLE["pk"] = Article.objects.order_by("pk").values_list("pk", flat=True).first()


ARTICLE: dict = {}


def params_for(action, meds):
    if action == "cite_law":
        return {"article": ARTICLE["pk"]}
    return {
        "assign": {"mediator": meds["a"].pk}, "succeed": SUCCEED, "fail": {"note": "未达成", "referral": ""},
        "change_channel": {"note": "转诉前调解", "channel": "judicial"}, "regrade": {"note": "情绪激动", "grade": "major"},
        "performance": {"performance": "fulfilled"}, "session": SESSION,
    }.get(action, {}) | {"note": "说明"} if action not in ("succeed", "session", "assign", "performance") else \
        {"assign": {"mediator": meds["a"].pk}, "succeed": SUCCEED, "session": SESSION,
         "performance": {"performance": "fulfilled"}}[action]


def who_for(action, city, meds):
    t = workflow.TRANSITIONS[action]
    if t.who in (workflow.the_mediator, workflow.mediator_or_center):
        return meds["a"].user
    return city.operator_a


STATUSES = [s for s in S.values]
HUMAN = workflow.HUMAN_ACTIONS


@pytest.mark.parametrize("status", STATUSES)
def test_each_human_action_is_allowed_exactly_in_its_source_states(status, make_dispute, city, mediators):
    for action in HUMAN:
        d = at_status(status, make_dispute, city, mediators)
        t = workflow.TRANSITIONS[action]
        actor = who_for(action, city, mediators)
        if status in t.sources and (t.guard is None or not t.guard(d)):
            entry = services.perform_action(actor, d, action, params_for(action, mediators))
            d.refresh_from_db()
            assert entry.action == action and entry.from_status == status
            assert d.status == (t.target or status)
        elif status not in t.sources:
            with pytest.raises(Conflict):
                services.perform_action(actor, d, action, params_for(action, mediators))


def test_actions_of_the_center_are_forbidden_to_others(make_dispute, city, mediators):
    d = make_dispute()
    for outsider in (city.worker_a, city.operator_b, mediators["a"].user, city.leader_a, city.liaison_cg):
        with pytest.raises(Forbidden):
            services.perform_action(outsider, d, "accept")
    services.perform_action(city.county_operator, d, "accept")  # a center above may act


def test_only_the_assigned_mediator_starts_and_concludes(make_dispute, city, mediators):
    d = drive(make_dispute(), city, mediators, S.ASSIGNED)
    for outsider in (mediators["b"].user, city.operator_a, city.worker_a):
        with pytest.raises(Forbidden):
            services.perform_action(outsider, d, "start")
    services.perform_action(mediators["a"].user, d, "start")


def test_the_center_records_for_a_mediator_without_an_account(make_dispute, city, mediators):
    d = make_dispute()
    services.perform_action(city.operator_a, d, "accept")
    services.perform_action(city.operator_a, d, "assign", {"mediator": mediators["c"].pk})
    services.perform_action(city.operator_a, d, "start")
    d.refresh_from_db()
    assert d.status == S.MEDIATING


def test_the_system_actions_are_not_offered_to_people(make_dispute, city, mediators):
    d = make_dispute()
    for action in ("sla_remind", "sla_overdue", "confirm_remind"):
        with pytest.raises((Forbidden, Conflict)):
            services.perform_action(city.operator_a, d, action)
    assert not {"sla_remind", "sla_overdue", "confirm_remind"} & set(workflow.allowed_actions(d, city.operator_a))


def test_a_note_is_required_where_the_table_says_so_and_nothing_is_written(make_dispute, city):
    d = make_dispute()
    before = DisputeLog.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.perform_action(city.operator_a, d, "reject", {"note": "  "})
    assert "note" in exc.value.fields
    d.refresh_from_db()
    assert d.status == S.REGISTERED and DisputeLog.objects.count() == before


def test_acceptance_sets_the_channel_deadline_with_its_warning_moment(make_dispute, city, settings):
    d = make_dispute()
    now = timezone.now()
    services.perform_action(city.operator_a, d, "accept", now=now)
    d.refresh_from_db()
    assert d.deadline == now + timedelta(days=30)
    assert d.warn_at == now + timedelta(days=24)  # 80 % of the time
    assert sla.sla_state(d, now) == "normal"
    assert sla.sla_state(d, now + timedelta(days=25)) == "near_due"
    assert sla.sla_state(d, now + timedelta(days=31)) == "overdue"
    assert d in type(d).objects.filter(sla.sla_q("overdue", now + timedelta(days=31)))


def test_changing_channel_recomputes_the_deadline_and_is_logged(make_dispute, city, settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "DISPUTE_LIMITS": {"people": "30 days", "administrative": "60 days",
                                                               "judicial": "15 days"}}
    d = make_dispute()
    services.perform_action(city.operator_a, d, "accept")
    later = timezone.now() + timedelta(days=3)
    entry = services.perform_action(city.operator_a, d, "change_channel", {"channel": "judicial", "note": "转诉前调解"},
                                    now=later)
    d.refresh_from_db()
    assert d.channel == "judicial" and d.deadline == later + timedelta(days=15)
    assert entry.data["from_channel"] == "people" and entry.data["to_channel"] == "judicial"
    with pytest.raises(ValidationFailed):
        services.perform_action(city.operator_a, d, "change_channel", {"channel": "judicial", "note": "再转"})


def test_the_deadline_stops_when_mediation_ends(make_dispute, city, mediators):
    d = drive(make_dispute(), city, mediators, S.SUCCEEDED)
    assert d.deadline is None and sla.sla_state(d) is None
    assert Agreement.objects.get(dispute=d).terms.startswith("李四赔偿")


def test_failure_records_the_referral(make_dispute, city, mediators):
    d = at_status(S.FAILED, make_dispute, city, mediators)
    assert d.referral == "litigation"
    assert d.log.get(action="fail").data == {"referral": "litigation"}


def test_reopen_restarts_the_deadline_and_raises_the_risk(make_dispute, city, mediators):
    d = at_status(S.CLOSED, make_dispute, city, mediators)
    entry = services.perform_action(city.operator_a, d, "reopen", {"note": "协议未履行，当事人再次申请"})
    d.refresh_from_db()
    assert d.status == S.ACCEPTED and d.reopen_count == 1 and d.deadline is not None
    assert "reopened" in [r["rule"] for r in d.risk_reasons]
    assert entry.data["risk_after"] == "serious"


def test_the_log_is_append_only(make_dispute):
    d = make_dispute()
    entry = d.log.get()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        DisputeLog.objects.filter(pk=entry.pk).update(note="x")
    with pytest.raises(PermissionError):
        entry.delete()


def test_performance_and_followup_are_recorded_on_the_agreement(make_dispute, city, mediators):
    d = drive(make_dispute(), city, mediators, S.SUCCEEDED)
    services.perform_action(mediators["a"].user, d, "performance", {"performance": "partial",
                                                                     "performed_on": "2026-11-25"})
    ag = Agreement.objects.get(dispute=d)
    assert ag.performance == "partial" and str(ag.performed_on) == "2026-11-25"
    services.perform_action(city.operator_a, d, "follow_up", {"note": "已全部履行", "performance": "fulfilled"})
    ag.refresh_from_db()
    assert ag.performance == "fulfilled"


def test_sessions_are_recorded_with_validated_fields(make_dispute, city, mediators):
    d = drive(make_dispute(), city, mediators, S.MEDIATING)
    with pytest.raises(ValidationFailed) as exc:
        services.perform_action(mediators["a"].user, d, "session", {"mode": "remote", "minutes": "短"})
    assert {"video_link", "participants", "minutes", "held_at"} <= set(exc.value.fields)
    assert d.sessions.count() == 0
    services.perform_action(mediators["a"].user, d, "session", {**SESSION, "mode": "remote",
                                                                 "video_link": "会议号 123 456 789"})
    assert d.sessions.get().video_link == "会议号 123 456 789"


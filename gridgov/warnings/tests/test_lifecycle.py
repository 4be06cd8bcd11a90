"""The warning lifecycle on the kernel, and the engine's de-duplication by key."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from gridgov.core.errors import Conflict, Forbidden, ValidationFailed
from gridgov.core.models import Notification
from gridgov.events.models import Event
from gridgov.warnings import services, workflow
from gridgov.warnings.engine import run_rules, upsert
from gridgov.warnings.models import Warning, WarningAction
from gridgov.warnings.tests.conftest import LATER, T0, signal


def act(user, w, action, **raw):
    services.perform_action(user, Warning.objects.get(pk=w.pk), action, raw, now=LATER)
    return Warning.objects.get(pk=w.pk)


def test_a_signal_opens_a_new_warning_in_its_place_with_its_center_number_and_first_log_row(city):
    counts = upsert([signal()], now=T0)
    assert counts["opened"] == 1
    w = Warning.objects.get()
    assert w.status == "new" and w.number.startswith("YJ20261123") and w.region == city.community_a
    assert w.center == city.township_a and w.code == "371502001001001" and (w.lng, w.lat) == (116.005, 36.405)
    assert list(w.log.values_list("action", "to_status")) == [("raise", "new")]
    # the owning center's operators are told
    assert Notification.objects.filter(recipient=city.operator_a, kind="warning").exists()
    assert not Notification.objects.filter(recipient=city.operator_b, kind="warning").exists()


def test_the_same_condition_never_opens_a_second_warning_while_one_is_open_and_updates_it(city, report):
    e1, e2 = report(), report()
    upsert([signal(cases=[("event", e1.pk)])], now=T0)
    counts = upsert([signal(cases=[("event", e1.pk), ("event", e2.pk)],
                            numbers={"observed": 11, "expected": 2.1})], now=T0 + timedelta(hours=1))
    assert counts == {"opened": 0, "updated": 1, "raised": 0, "skipped": 0, "quiet": 0}
    w = Warning.objects.get()
    assert w.times_seen == 2 and w.last_seen == T0 + timedelta(hours=1) and w.first_seen == T0
    assert w.numbers["observed"] == 11
    assert set(w.cases.values_list("case_id", flat=True)) == {e1.pk, e2.pk}
    assert w.log.count() == 1  # an unchanged level is not a log row


def test_a_raised_level_is_logged_and_notified_and_the_warning_keeps_its_highest_level(city):
    upsert([signal(level="yellow")], now=T0)
    Notification.objects.all().delete()
    assert upsert([signal(level="red")], now=LATER)["raised"] == 1
    w = Warning.objects.get()
    assert w.level == "red" and w.status == "new"
    row = w.log.get(action="raise_level")
    assert row.data == {"from": "yellow", "to": "red"} and row.actor_label == "系统"
    assert Notification.objects.filter(recipient=city.operator_a, kind="warning", subject__contains="升级").exists()
    # the rule flaps: a lower level is not taken, so the next rise to red is no second rise and no second notice
    Notification.objects.all().delete()
    upsert([signal(level="blue", numbers={"observed": 4})], now=LATER + timedelta(hours=1))
    w = Warning.objects.get()
    assert w.level == "red" and w.numbers == {"observed": 4} and w.log.count() == 2
    assert upsert([signal(level="red")], now=LATER + timedelta(hours=2))["raised"] == 0
    assert w.log.count() == 2 and not Notification.objects.filter(subject__contains="升级").exists()


def test_the_database_refuses_a_second_open_warning_for_a_key(city):
    upsert([signal()], now=T0)
    w = Warning.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Warning.objects.create(number="YJ2026112399999", rule="hotspot", key=w.key, level="red", region=w.region,
                               center=w.center, code=w.code, title="x", explanation="x", status="assessed")


def test_a_closed_warning_does_not_block_a_new_one_for_the_same_key_later(city):
    upsert([signal()], now=T0)
    w = act(city.operator_a, Warning.objects.get(), "false_alarm", note="施工临时堆放，已清理")
    assert w.status == "false_alarm" and w.resolution == "施工临时堆放，已清理" and w.closed_at == LATER
    # the next sweeps, while the condition lasts at the level it was closed at: quiet (WARNING_QUIET_DAYS, 7)
    assert upsert([signal()], now=LATER + timedelta(minutes=10)) == {
        "opened": 0, "updated": 0, "raised": 0, "skipped": 0, "quiet": 1}
    assert upsert([signal(level="blue")], now=LATER + timedelta(days=6))["quiet"] == 1
    assert Warning.objects.count() == 1
    # after the quiet days it is raised again
    assert upsert([signal()], now=LATER + timedelta(days=8))["opened"] == 1
    assert Warning.objects.filter(key=w.key).count() == 2 and Warning.objects.open().count() == 1


def test_a_closed_condition_coming_back_worse_is_raised_at_once(city, settings):
    upsert([signal(level="yellow")], now=T0)
    act(city.operator_a, Warning.objects.get(), "false_alarm", note="施工临时堆放，已清理")
    assert upsert([signal(level="orange")], now=LATER + timedelta(hours=1))["opened"] == 1
    assert Warning.objects.open().get().level == "orange"
    settings.GRIDGOV = {**settings.GRIDGOV, "WARNING_QUIET_DAYS": 0}  # switched off: every sweep may raise it
    act(city.operator_a, Warning.objects.open().get(), "false_alarm", note="误报")
    assert upsert([signal(level="blue")], now=LATER + timedelta(hours=2))["opened"] == 1


def test_assess_needs_a_note_then_linking_a_supervision_performs_the_events_supervise(city, report):
    e = report()
    upsert([signal(cases=[("event", e.pk)])], now=T0)
    w = Warning.objects.get()
    with pytest.raises(ValidationFailed) as err:
        act(city.operator_a, w, "assess", note="  ")
    assert "note" in err.value.fields and Warning.objects.get().status == "new"
    with pytest.raises(Conflict):  # a supervision comes after the assessment
        act(city.operator_a, w, "link_supervision", event=e.number, note="限期清理")
    w = act(city.operator_a, w, "assess", note="确属垃圾堆放反复发生，需督办")
    assert w.status == "assessed" and w.assessment.startswith("确属")
    w = act(city.operator_a, w, "link_supervision", event=e.number, level="red", note="限期三日清理")
    assert w.status == "handling"
    event = Event.objects.get(pk=e.pk)
    assert event.supervision == "red"
    assert event.log.filter(action="supervise", note="限期三日清理").count() == 1
    assert WarningAction.objects.get(warning=w).event_id == e.pk
    w = act(city.operator_a, w, "resolve", note="已清理，连续一周无新发")
    assert w.status == "resolved"
    assert list(w.log.values_list("action", flat=True)) == ["raise", "assess", "link_supervision", "resolve"]


def test_a_supervision_must_name_an_event_behind_the_warning(city, report):
    e, other = report(), report()
    upsert([signal(cases=[("event", e.pk)])], now=T0)
    w = act(city.operator_a, Warning.objects.get(), "assess", note="研判")
    with pytest.raises(ValidationFailed) as err:
        act(city.operator_a, w, "link_supervision", event=other.number, note="督办")
    assert "event" in err.value.fields
    assert Warning.objects.get().status == "assessed" and Event.objects.get(pk=other.pk).supervision == ""


def test_a_rectification_records_the_unit_and_date_and_checks_them(city):
    upsert([signal()], now=T0)
    w = act(city.operator_a, Warning.objects.get(), "assess", note="研判")
    with pytest.raises(ValidationFailed) as err:
        act(city.operator_a, w, "rectify", note="开展专项整治", unit="", due_on="2026-13-01")
    assert set(err.value.fields) == {"unit", "due_on"} and not WarningAction.objects.exists()
    w = act(city.operator_a, w, "rectify", note="开展市容专项整治", unit="区城管局", due_on="2026-12-15")
    a = WarningAction.objects.get()
    assert w.status == "handling" and a.kind == "rectification" and a.unit == "区城管局" and str(a.due_on) == "2026-12-15"


def test_resolving_needs_a_reason_and_new_cannot_be_resolved_without_assessment(city):
    upsert([signal()], now=T0)
    w = Warning.objects.get()
    with pytest.raises(Conflict):
        act(city.operator_a, w, "resolve", note="x")
    w = act(city.operator_a, w, "assess", note="研判")
    with pytest.raises(ValidationFailed):
        act(city.operator_a, w, "resolve", note="")


def test_who_may_act_operators_and_leaders_of_the_center_and_above_and_admins(city):
    from gridgov.accounts.models import User
    from gridgov.warnings import workflow

    upsert([signal()], now=T0)
    w = Warning.objects.get()
    admin = User.objects.create_user("adm", password="x", role=User.Role.ADMIN)
    for user in (city.operator_a, city.county_operator, city.city_operator, city.leader_a, city.leader_county, admin):
        assert "assess" in workflow.allowed_actions(w, user), user
    for user in (city.operator_b, city.worker_a, city.liaison_cg):
        assert workflow.allowed_actions(w, user) == []
    with pytest.raises(Forbidden):
        workflow.check(w, "assess", city.operator_b)


def test_a_failing_rule_is_logged_and_the_others_still_run(city, monkeypatch):
    from gridgov.cases import warnrules

    def broken(now, params):
        raise RuntimeError("boom")

    def fine(now, params):
        yield signal(rule="test_fine", key="test_fine:1")

    monkeypatch.setattr(warnrules, "_rules", {
        "a_broken": warnrules.RuleSpec("a_broken", "坏", "", (), broken),
        "b_fine": warnrules.RuleSpec("b_fine", "好", "", (), fine)})
    out = run_rules(T0)
    assert "RuntimeError" in out["a_broken"]["error"] and out["b_fine"]["opened"] == 1


def test_a_rule_switched_off_by_an_administrator_is_not_run(city, monkeypatch):
    from gridgov.cases import warnrules
    from gridgov.warnings.models import RuleConfig

    seen = []
    monkeypatch.setattr(warnrules, "_rules", {"b_fine": warnrules.RuleSpec(
        "b_fine", "好", "", (warnrules.Param("k", "k", 3, int, 1, 9),), lambda now, p: seen.append(p) or [])})
    run_rules(T0)
    RuleConfig.objects.create(rule="b_fine", params={"k": 5})
    run_rules(T0)
    RuleConfig.objects.filter(rule="b_fine").update(enabled=False)
    assert run_rules(T0) == {"b_fine": {"disabled": 1}}
    assert seen == [{"k": 3}, {"k": 5}]


def test_the_sweep_command_runs_the_rules(city, capsys):
    from django.core.management import call_command

    call_command("warning_sweep")
    out = capsys.readouterr().out
    for key in ("repeat_place", "escalating_dispute", "criminal_turn", "petition_surge", "care_gap"):
        assert f"{key}: signals=" in out


def test_every_rules_module_is_registered_when_django_starts():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import django; django.setup(); from gridgov.cases.warnrules import rules; "
            "print(sorted(r.key for r in rules()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[3],
                         env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "gridgov.settings"})
    for key in ("care_gap", "criminal_turn", "escalating_dispute", "petition_surge", "repeat_place"):
        assert f"'{key}'" in out.stdout


def test_a_visit_is_linked_by_an_operator_and_not_offered_to_a_leader(city):
    """走访 is recorded in the registry, which takes visits from operators: a leader is not offered it (403 if
    asked); the operator's visit is the registry's own, and its error on the findings is named on the note."""
    from gridgov.core.errors import Forbidden
    from gridgov.registry.models import Visit
    from gridgov.warnings.tests.test_rules import _key_person

    kp = _key_person(city)
    upsert([signal(key="care_gap:visits:371502001001001", rule="care_gap", cases=[("keyperson", kp.pk)])], now=T0)
    w = act(city.operator_a, Warning.objects.get(), "assess", note="两名高风险人员逾期未走访")
    assert "link_visit" not in workflow.allowed_actions(w, city.leader_a)
    assert "link_visit" in workflow.allowed_actions(w, city.operator_a)
    with pytest.raises(Forbidden):
        act(city.leader_a, w, "link_visit", key_person=kp.pk, note="上门走访，情况稳定")
    with pytest.raises(ValidationFailed) as err:
        act(city.operator_a, w, "link_visit", key_person=kp.pk, note="好")
    assert "note" in err.value.fields and Warning.objects.get(pk=w.pk).status == "assessed"
    w = act(city.operator_a, w, "link_visit", key_person=kp.pk, note="上门走访，情况稳定")
    assert w.status == "handling" and Visit.objects.get().key_person == kp


def test_a_note_longer_than_the_apis_limit_is_refused_on_the_page_path_too(city):
    upsert([signal()], now=T0)
    w = Warning.objects.get()
    with pytest.raises(ValidationFailed) as err:
        act(city.operator_a, w, "assess", note="长" * 5001)
    assert "note" in err.value.fields and Warning.objects.get(pk=w.pk).status == "new"

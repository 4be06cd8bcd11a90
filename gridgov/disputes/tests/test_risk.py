"""Risk rules: each fires and does not fire on fixed cases; override logged; 重大 notifies the center."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from gridgov.core.models import Notification
from gridgov.disputes import risk, services
from gridgov.registry.models import KeyCategory, KeyPerson, Resident


def rules(d):
    return {r["rule"]: r["grade"] for r in d.risk_reasons}


def test_a_plain_neighbour_dispute_is_general_with_no_reasons(make_dispute):
    d = make_dispute()
    assert d.risk_computed == "general" and d.risk_reasons == []


@pytest.mark.parametrize("people,grade", [(4, None), (5, "serious"), (29, "serious"), (30, "major")])
def test_group_rule_counts_people(make_dispute, people, grade):
    assert rules(make_dispute(people_count=people)).get("group") == grade


@pytest.mark.parametrize("amount,grade", [(99999, None), (100000, "serious"), (1000000, "major")])
def test_amount_rule_uses_the_thresholds(make_dispute, amount, grade):
    assert rules(make_dispute(amount=amount)).get("amount") == grade


def test_thresholds_come_from_settings(make_dispute, settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "DISPUTE_RISK": {**settings.GRIDGOV["DISPUTE_RISK"], "GROUP_PEOPLE": 3}}
    assert rules(make_dispute(people_count=3)).get("group") == "serious"


@pytest.mark.parametrize("text,words", [
    ("他扬言要杀了对方全家，情绪激动", ["杀"]),
    ("欠薪工人说再不给钱就去跳楼", ["跳楼"]),
    ("说要和邻居同归于尽", ["同归于尽"]),
    ("老人扬言要喝农药", ["喝农药"]),
    ("说要炸了他家的房子", ["炸"]),
    ("双方争吵时一方扬言杀人", ["杀人"]),
    ("他说要砍死对方", ["砍死"]),
    ("再不给钱就把厂子炸掉", ["炸掉"]),
    ("他说要打死我", ["打死"]),
])
def test_threat_words_fire_as_whole_tokens(make_dispute, text, words):
    d = make_dispute(description=text)
    assert rules(d)["threat"] == "major" and d.risk_computed == "major"
    assert risk.threat_words_in(text) == words


@pytest.mark.parametrize("text", ["邻居家杀猪很吵，影响休息", "商家砍价后又反悔退货", "油炸食品摊位油烟扰民",
                                  "杀毒软件收费纠纷投诉"])
def test_threat_rule_does_not_fire_inside_other_words(make_dispute, text):
    assert "threat" not in rules(make_dispute(description=text))


def _key_person(city, risk_level="medium", until=None):
    r = Resident.objects.create(name="孙五", region=city.community_a, phone="13900000009")
    cat = KeyCategory.objects.create(code="xf", name="信访重点人员")
    KeyPerson.objects.create(resident=r, category=cat, risk_level=risk_level,
                             since=date.today() - timedelta(days=10), until=until)
    return r


def test_a_party_who_is_an_active_key_person_raises_the_grade(make_dispute, city):
    r = _key_person(city)
    d = make_dispute(parties=[{"role": "applicant", "resident": r.pk}, {"role": "respondent", "name": "李四"}],
                     actor=city.operator_a)
    assert rules(d)["key_person"] == "serious" and d.risk_reasons[0]["reason"] == "有当事人为在册重点人员"
    assert all("孙五" not in r["reason"] for r in d.risk_reasons)  # who and which category stay in the registry


def test_a_high_risk_key_person_makes_it_major(make_dispute, city):
    r = _key_person(city, "high")
    d = make_dispute(parties=[{"role": "applicant", "resident": r.pk}, {"role": "respondent", "name": "李四"}],
                     actor=city.operator_a)
    assert rules(d)["key_person"] == "major"


def test_a_released_key_person_does_not_count(make_dispute, city):
    r = _key_person(city, "high", until=date.today() - timedelta(days=1))
    d = make_dispute(parties=[{"role": "applicant", "resident": r.pk}, {"role": "respondent", "name": "李四"}],
                     actor=city.operator_a)
    assert "key_person" not in rules(d)


def test_the_same_phone_in_another_dispute_within_90_days_is_a_repeat(make_dispute):
    first = make_dispute()
    second = make_dispute(parties=[{"role": "applicant", "name": "张三丰", "phone": "13800000001"},
                                   {"role": "respondent", "name": "王五", "phone": "13800000005"}])
    assert rules(second)["repeat"] == "serious" and first.number in second.risk_reasons[0]["reason"]


def test_a_dispute_older_than_90_days_is_not_a_repeat(make_dispute, city):
    old = make_dispute()
    type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    assert "repeat" not in rules(make_dispute())


def test_different_parties_are_not_a_repeat(make_dispute):
    make_dispute()
    d = make_dispute(parties=[{"role": "applicant", "name": "甲", "phone": "13700000001"},
                              {"role": "respondent", "name": "乙", "phone": "13700000002"}])
    assert "repeat" not in rules(d)


def test_three_serious_factors_together_make_it_major(make_dispute):
    make_dispute()
    d = make_dispute(people_count=6, amount=200000)
    assert {"group", "amount", "repeat"} <= set(rules(d)) and rules(d)["combined"] == "major"
    assert d.risk_computed == "major"


def test_an_override_is_logged_with_its_reason_and_keeps_the_computed_grade(make_dispute, city):
    d = make_dispute()
    entry = services.perform_action(city.operator_a, d, "regrade", {"grade": "serious", "note": "双方有肢体冲突苗头"})
    d.refresh_from_db()
    assert d.risk_grade == "serious" and d.risk_computed == "general"
    assert d.risk_override_reason == "双方有肢体冲突苗头"
    assert entry.data == {"risk_before": "general", "risk_after": "serious", "computed": "general"}


def test_a_major_grade_notifies_the_center_operators_at_once(make_dispute, city):
    d = make_dispute(description="他扬言要拿刀砍人，同归于尽")
    sent = Notification.objects.filter(kind="dispute_major_risk")
    assert [n.recipient for n in sent] == [city.operator_a]
    assert "民转刑" in sent[0].subject and d.number in sent[0].subject


def test_an_override_to_major_notifies_too_but_a_general_case_does_not(make_dispute, city):
    d = make_dispute()
    assert not Notification.objects.filter(kind="dispute_major_risk").exists()
    services.perform_action(city.operator_a, d, "regrade", {"grade": "major", "note": "当事人情绪失控"})
    assert Notification.objects.filter(kind="dispute_major_risk", recipient=city.operator_a).count() == 1

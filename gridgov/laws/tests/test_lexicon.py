"""How a description is read: everyday words → the statutes' words and the kinds of dispute, on word
boundaries only (the repros of issue 14: 地 inside 工地, 签 inside 签收, 妈 adding 老年人)."""

from __future__ import annotations

import pytest

from gridgov.laws import consult, lexicon


def expanded_from(description: str) -> set[str]:
    return {e.word for e in consult.analyze(description).expansions}


def topics_of(description: str, dispute_type: str | None = None) -> list[str]:
    return [m.topic.key for m in consult.analyze(description, dispute_type).topics]


@pytest.mark.parametrize("description", [
    "在工地上干活摔断了腿", "地板被泡坏了", "地下室进水了", "他们哗啦哗啦地打牌到半夜",
])
def test_a_character_inside_another_word_adds_nothing(description):
    q = consult.analyze(description)
    assert "土地" not in q.weights, q.expansions
    assert "land_contract" not in topics_of(description)


def test_签收_is_not_签_and_a_parent_is_not_an_old_person():
    assert "订立" not in consult.analyze("快递签收了但是东西坏了").weights
    assert "老年人" not in consult.analyze("我妈说孩子不能这么惯着").weights


def test_a_whole_word_expands_and_a_verb_with_its_complement_still_counts():
    assert {"押金", "房东"} <= expanded_from("房东不退押金")
    # 咬伤 = 咬 + a result: the dog topic is recognised, and its word is reported
    animals = next(m for m in consult.analyze("邻居家的狗把我孩子咬伤了").topics if m.topic.key == "animals")
    assert {"狗", "咬"} <= set(animals.words)


def test_a_trigger_with_a_plus_needs_both_words():
    assert "wages" in topics_of("包工头拖了俺半年工资")
    assert "wages" not in topics_of("半年没涨工资了")  # 工资 alone: no 拖/欠/不给


def test_full_width_letters_match_the_lexicon():
    assert "noise_disturbance" in topics_of("楼下ＫＴＶ吵到半夜")


def test_the_dispute_type_favours_its_own_kinds():
    plain = {m.topic.key: m.strength for m in consult.analyze("邻居家的狗天天叫，物业不管").topics}
    typed = {m.topic.key: m.strength for m in consult.analyze("邻居家的狗天天叫，物业不管", "property").topics}
    assert typed["property_management"] == 1.0
    assert typed["animals"] / typed["property_management"] < plain["animals"] / plain["property_management"]


def test_the_lexicon_has_no_one_character_function_words_and_no_ambiguous_lone_characters():
    parts = set(lexicon.EXPANSIONS) | {part for t in lexicon.TOPICS for k in t.triggers for part in k.split("+")}
    for word in ("地", "的", "得", "了", "着", "不", "给", "把", "被"):
        assert word not in parts, word
    # these mean something only beside another word (干活+摔 is a work injury, 摔 alone is not)
    alone = set(lexicon.EXPANSIONS) | {k for t in lexicon.TOPICS for k in t.triggers}
    for word in ("签", "妈", "爸", "摔", "叫", "吵"):
        assert word not in alone, word


def test_every_kind_names_its_dispute_types_from_the_taxonomy():
    from gridgov.laws.taxonomy import DisputeType

    assert len({t.key for t in lexicon.TOPICS}) == len(lexicon.TOPICS)
    for topic in lexicon.TOPICS:
        assert topic.triggers and topic.articles and topic.label
        assert set(topic.dispute_types) <= set(DisputeType.values), topic.key


@pytest.mark.parametrize(("description", "situation"), [
    ("离婚的时候房子和存款怎么分", "divorce_pregnancy"),  # a divorce, but no pregnancy or birth
    ("车被人追尾了，对方全责", "sold_car_unregistered"),  # a car accident, but nothing sold
    ("房东不退押金", "landlord_sells"),  # a tenancy, but no sale
])
def test_a_situation_needs_its_own_fact_not_just_its_kind(description, situation):
    assert situation not in topics_of(description)


def test_situations_are_kinds_with_a_few_articles_each():
    from gridgov.laws.situations import SITUATIONS

    keys = {row[0] for row in SITUATIONS}
    assert keys <= {t.key for t in lexicon.TOPICS}
    for topic in (t for t in lexicon.TOPICS if t.key in keys):
        assert sum(len(refs) for _law, refs in topic.articles) <= 6, topic.key


def _topics_by_full_scan(description: str) -> list[str]:
    """Every kind with a matching trigger, tested trigger by trigger over all kinds (what analyze() did before
    it looked up kinds by a trigger's first word)."""
    words = consult.words_of(description)
    return [t.key for t in lexicon.TOPICS if any(consult._key_in(tr.lstrip("~"), words) for tr in t.triggers)]


def test_looking_up_kinds_by_first_word_finds_every_kind_a_full_scan_finds():
    descriptions = [" ".join(tr.lstrip("~").split("+")) for t in lexicon.TOPICS for tr in t.triggers]
    descriptions += ["邻居装修噪音扰民还拖欠工资不给", "楼上漏水把我家天花板泡坏了物业不管",
                     "快递签收了但是东西坏了", "在工地上干活摔断了腿老板不给工钱"]
    assert len(descriptions) > 500
    for description in descriptions:
        found = sorted(m.topic.key for m in consult.analyze(description).topics)
        assert found == sorted(_topics_by_full_scan(description)), description

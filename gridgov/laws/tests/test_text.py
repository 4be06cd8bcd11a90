import pytest

from gridgov.laws import text


@pytest.mark.parametrize("numeral, value", [("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("一百零五", 105),
                                            ("一千零八十四", 1084), ("一千二百六十", 1260), ("两万零一", 20001), ("35", 35)])
def test_chinese_numerals_become_integers(numeral, value):
    assert text.chinese_number(numeral) == value


def test_article_labels_give_their_number_and_amended_articles_keep_the_base_number():
    assert text.article_number("第一千零八十四条") == 1084
    assert text.article_number("第一百二十条之一") == 120
    assert text.article_number("全文") is None


def test_highlight_marks_terms_and_escapes_everything_else():
    html = text.highlight('禁止<script>alert("x")</script>家庭暴力。', ["家庭暴力", "script"])

    assert html.count("<mark>") == 3
    assert "<mark>家庭暴力</mark>" in html
    assert "<script>" not in html and "&lt;<mark>script</mark>&gt;" in html


def test_highlight_cuts_a_long_text_around_the_first_match():
    html = text.highlight("甲" * 300 + "押金" + "乙" * 300, ["押金"], context=100)

    assert html.startswith("…") and html.endswith("…")
    assert "<mark>押金</mark>" in html
    assert len(html) < 130


def test_query_terms_drop_punctuation_and_everyday_filler_words():
    assert text.query_terms("我们的押金，怎么办？") == ["押金"]


def test_stored_tokens_hold_words_only():
    tokens = text.index_text("人民调解委员会调解民间纠纷（2010年）。").split()

    assert "人民调解" in tokens and "纠纷" in tokens
    assert all(t.isalnum() for t in tokens)

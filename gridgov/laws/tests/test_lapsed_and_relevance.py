"""The law library leaves out articles of laws no longer in force (已废止 / 历史版本) unless asked (含已失效),
says how many it left out, keeps a law 已被修改 (in force as amended), shows every article's status, and shows
people a relevance in words — never "BM25" nor a raw score."""

from __future__ import annotations

import re

import pytest

from gridgov.laws import services
from gridgov.laws.models import Law


@pytest.fixture
def worker_client(client, city, samples):
    client.force_login(city.worker_a)
    return client


def tiaojie():
    return Law.objects.get(title="中华人民共和国人民调解法（节选）")


@pytest.mark.parametrize("status", [Law.Status.REPEALED, Law.Status.HISTORICAL])
def test_search_hides_the_articles_of_a_lapsed_law_unless_asked(samples, status):
    assert [h.article.label for h in services.search("人民调解委员会 费用").hits] == ["第四条"]
    Law.objects.filter(pk=tiaojie().pk).update(status=status)

    hidden = services.search("人民调解委员会 费用")
    # no article of the lapsed law; (other laws' articles with some of the words may come instead)
    assert all(h.article.law_id != tiaojie().pk for h in hidden.hits) and hidden.lapsed_hidden >= 1

    shown = services.search("人民调解委员会 费用", include_lapsed=True)
    assert [h.article.label for h in shown.hits] == ["第四条"] and shown.lapsed_hidden == 0
    # within the law itself, its articles are all there
    assert [h.article.label for h in services.search("费用", law=tiaojie()).hits] == ["第四条"]


def test_an_amended_law_stays_in_the_search_and_the_consultation_with_its_status(worker_client):
    Law.objects.filter(pk=tiaojie().pk).update(status=Law.Status.AMENDED)
    assert [h.article.label for h in services.search("人民调解委员会 费用").hits] == ["第四条"]
    assert any(h.article.law_id == tiaojie().pk for h in services.consult("调解委员会收不收费用").hits)

    html = worker_client.post("/laws/", {"description": "调解委员会收不收费用"}).content.decode()
    assert "已被修改" in html and "按修改后的文本施行" in html
    body = worker_client.get("/api/v1/laws/search", {"q": "人民调解委员会 费用"}).json()
    assert body["results"][0]["law"]["status_hint"] == "已被修改，按修改后的文本施行"


def test_every_suggested_article_shows_its_status(worker_client):
    html = worker_client.post("/laws/", {"description": "老公打我，想申请保护令"}).content.decode()
    hits = re.findall(r'<article class="law-hit">(.*?)</article>', html, re.S)
    assert hits and all("现行有效" in h for h in hits)


def test_laws_not_yet_in_force_stay_in_the_search(samples):
    Law.objects.filter(pk=tiaojie().pk).update(status=Law.Status.NOT_YET)
    assert [h.article.label for h in services.search("人民调解委员会 费用").hits] == ["第四条"]


def test_the_page_offers_含已失效_and_says_what_it_left_out(worker_client):
    Law.objects.filter(pk=tiaojie().pk).update(status=Law.Status.REPEALED)
    html = worker_client.get("/laws/", {"q": "人民调解委员会 费用"}).content.decode()
    assert 'name="lapsed"' in html and "含已失效" in html
    assert "<mark>费用</mark>" not in html
    assert re.search(r'data-testid="lapsed-hidden">另有 \d+ 条已失效法规的条文未显示', html)

    html = worker_client.get("/laws/", {"q": "人民调解委员会 费用", "lapsed": "1"}).content.decode()
    assert "<mark>费用</mark>" in html and "已废止" in html  # the hit carries its law's status
    assert re.search(r'name="lapsed" value="1" checked', html)


def test_the_consultation_page_shows_no_bm25_and_no_scores(worker_client):
    html = worker_client.post("/laws/", {"description": "老公打我，想申请保护令"}).content.decode()
    assert "人身安全保护令" in html
    assert "BM25" not in html and "bm25" not in html.lower()
    why = re.findall(r'<div class="law-why">(.*?)</div>', html, re.S)
    assert why, "each hit says why"
    for line in why:
        assert re.search(r"相关度：<span class=\"law-rel\">[高中低]</span>", line)
        assert not re.search(r"\d", re.sub(r"<[^>]+>", "", line)), f"a number shown to people: {line}"


def test_consultation_relevance_is_a_share_of_the_best_hit(samples):
    hits = services.consult("老公打我，想申请保护令", k=5).hits
    assert hits[0].relevance == 100 and hits[0].relevance_label == "高"
    assert all(0 <= h.relevance <= 100 for h in hits)
    assert [h.relevance for h in hits] == sorted((h.relevance for h in hits), reverse=True)


def test_the_api_documents_relevance_and_filters_lapsed_laws(worker_client):
    Law.objects.filter(pk=tiaojie().pk).update(status=Law.Status.REPEALED)
    body = worker_client.get("/api/v1/laws/search", {"q": "人民调解委员会 费用"}).json()
    assert all(r["law"]["id"] != tiaojie().pk for r in body["results"])
    assert body["lapsed_hidden"] >= 1 and body["include_lapsed"] is False
    body = worker_client.get("/api/v1/laws/search", {"q": "人民调解委员会 费用", "include_lapsed": "true"}).json()
    assert len(body["results"]) == 1
    body = worker_client.post("/api/v1/laws/consult", {"description": "家庭暴力 保护令"},
                              content_type="application/json").json()
    assert body["results"][0]["relevance"] == "高"
    assert "score" not in body["results"][0] and "matched" not in body["results"][0]

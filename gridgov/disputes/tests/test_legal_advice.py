"""法律咨询 on a case: the most relevant articles of the law library, cited on the case through the workflow."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from gridgov.disputes import legal, services
from gridgov.disputes.models import DisputeArticle
from gridgov.laws import services as laws

DOMESTIC = "丈夫喝了酒就打人，经常家暴妻子"


@pytest.fixture
def library(db):
    """The two sample laws shipped in data/laws (人民调解法, 反家庭暴力法 excerpts)."""
    laws.import_directory(Path(settings.BASE_DIR) / "data" / "laws")


@pytest.fixture
def case(city, library, make_dispute):
    d = make_dispute(dispute_type="marriage", description=DOMESTIC)
    services.perform_action(city.operator_a, d, "accept")
    return services.get_visible(city.operator_a, d.number)


def test_the_advice_ranks_the_domestic_violence_law_first_for_a_beating_at_home(city, case):
    advice = legal.legal_advice(city.operator_a, case)
    assert advice and advice[0].hit.article.law.title.startswith("中华人民共和国反家庭暴力法")
    assert not any(a.cited for a in advice)


def test_citing_an_article_links_it_to_the_case_and_logs_it_once(city, case, api):
    top = legal.legal_advice(city.operator_a, case)[0].hit.article
    status, body = api("post", f"/disputes/{case.number}/actions/cite_law", city.operator_a, {"article": top.pk})
    assert status == 200
    # the consultation's top hit: relevance 高, kept as a share of the best hit (100), never a raw score
    assert body["cited_articles"] == [{"article_id": top.pk, "law": top.law.title, "article": top.label,
                                       "relevance": "高"}]
    assert DisputeArticle.objects.get(dispute=case).relevance == 100
    assert body["timeline"][-1]["action"] == "cite_law" and body["timeline"][-1]["data"]["article"] == top.label
    assert body["status"] == "accepted"  # citing does not move the case
    status, body = api("post", f"/disputes/{case.number}/actions/cite_law", city.operator_a, {"article": top.pk})
    assert status == 422 and "article" in body["fields"]
    assert DisputeArticle.objects.filter(dispute=case).count() == 1
    status, advice = api("get", f"/disputes/{case.number}/legal-advice", city.operator_a)
    assert status == 200 and [a["cited"] for a in advice if a["article_id"] == top.pk] == [True]
    assert all(a["relevance"] in ("高", "中", "低") and a["reasons"] and a["law_status"] for a in advice)
    assert not any("score" in a for a in advice)


def test_an_unknown_article_is_a_field_error_and_nothing_is_written(city, case, api):
    status, body = api("post", f"/disputes/{case.number}/actions/cite_law", city.operator_a, {"article": 999999})
    assert status == 422 and body["fields"]["article"] == ["未找到该法条"]
    assert not DisputeArticle.objects.exists() and case.log.filter(action="cite_law").count() == 0


def test_only_the_center_and_the_mediator_cite_and_outsiders_see_nothing(city, case, api):
    top = legal.legal_advice(city.operator_a, case)[0].hit.article
    status, _body = api("post", f"/disputes/{case.number}/actions/cite_law", city.worker_a, {"article": top.pk})
    assert status == 403
    assert api("get", f"/disputes/{case.number}/legal-advice", city.operator_b)[0] == 404
    assert api("post", f"/disputes/{case.number}/actions/cite_law", city.operator_b, {"article": top.pk})[0] == 404


def test_the_case_page_shows_the_advice_and_cites_with_one_click(city, case, client):
    client.force_login(city.operator_a)
    page = client.get(reverse("disputes:detail", args=[case.number])).content.decode()
    assert "法律咨询" in page and "反家庭暴力法" in page and "引用到本案" in page
    top = legal.legal_advice(city.operator_a, case)[0].hit.article
    r = client.post(reverse("disputes:act", args=[case.number, "cite_law"]), {"article": top.pk})
    assert r.status_code == 302
    page = client.get(reverse("disputes:detail", args=[case.number])).content.decode()
    assert "已引用的法条" in page and top.label in page


def test_a_long_description_is_advised_on_its_beginning(city, library, make_dispute):
    d = make_dispute(dispute_type="marriage", description="丈夫喝了酒就打人，经常家暴妻子。" + "双方多次争吵。" * 400)
    assert len(d.description) > 2000
    assert legal.legal_advice(city.operator_a, d)  # no error on the case page


def test_an_article_cited_by_hand_has_no_relevance(city, case, api):
    from gridgov.laws import services as laws
    from gridgov.laws.models import Article

    # what cite_law looks the article up in: the consultation's top 20 for the case
    suggested = {h.article.pk for h in laws.consult(case.description, k=20, dispute_type=case.dispute_type).hits}
    other = Article.objects.exclude(pk__in=suggested).order_by("pk").first()
    status, body = api("post", f"/disputes/{case.number}/actions/cite_law", city.operator_a, {"article": other.pk})
    assert status == 200
    cited = [c for c in body["cited_articles"] if c["article_id"] == other.pk]
    assert cited == [{"article_id": other.pk, "law": other.law.title, "article": other.label, "relevance": None}]

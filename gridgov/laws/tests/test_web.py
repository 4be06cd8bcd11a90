import pytest

from gridgov.laws.models import Law


@pytest.fixture
def worker_client(client, city, samples):
    client.force_login(city.worker_a)
    return client


def tiaojie():
    return Law.objects.get(title="中华人民共和国人民调解法（节选）")


# --- pages --------------------------------------------------------------------------------------


def test_the_law_pages_need_a_login(client, samples):
    assert client.get("/laws/").status_code == 302
    assert client.get(f"/laws/{tiaojie().pk}/").status_code == 302


def test_the_law_page_offers_search_and_consultation_and_the_nav_links_it(worker_client):
    r = worker_client.get("/laws/")

    assert r.status_code == 200
    html = r.content.decode()
    assert "描述您的纠纷" in html and 'name="description"' in html and 'name="q"' in html
    assert 'href="/laws/"' in html  # the nav link
    assert 'name="viewport"' in html


def test_searching_shows_highlighted_articles_linking_to_their_law(worker_client):
    r = worker_client.get("/laws/", {"q": "人民调解委员会 费用"})

    html = r.content.decode()
    assert "<mark>费用</mark>" in html
    assert f'href="/laws/{tiaojie().pk}/#a4"' in html


def test_the_consultation_lists_ranked_articles_and_why(worker_client):
    r = worker_client.post("/laws/", {"description": "老公打我，想申请保护令"})

    html = r.content.decode()
    assert r.status_code == 200
    assert "人身安全保护令" in html and "<mark>" in html and "相关度" in html


def test_htmx_gets_only_the_results(worker_client):
    r = worker_client.post("/laws/?part=consult", {"description": "家庭暴力"}, headers={"HX-Request": "true"})

    html = r.content.decode()
    assert "law-hit" in html and "<html" not in html


def test_an_unknown_dispute_type_is_a_400_with_a_message(worker_client):
    r = worker_client.post("/laws/", {"description": "老板拖欠工资", "dispute_type": "xyz"})

    assert r.status_code == 400 and "纠纷类型无效" in r.content.decode()


def test_an_empty_description_is_a_400_with_a_message(worker_client):
    r = worker_client.post("/laws/", {"description": "  "})

    assert r.status_code == 400 and "请输入纠纷描述" in r.content.decode()


def test_a_law_page_shows_its_articles_by_chapter(worker_client):
    r = worker_client.get(f"/laws/{tiaojie().pk}/")

    html = r.content.decode()
    assert "第一章 总则" in html and "第三十三条" in html and 'id="a4"' in html
    assert worker_client.get("/laws/999999/").status_code == 404


# --- API ----------------------------------------------------------------------------------------


def test_api_search_returns_highlighted_articles(worker_client):
    r = worker_client.get("/api/v1/laws/search", {"q": "人身安全保护令"})

    body = r.json()
    assert r.status_code == 200 and body["results"]
    hit = body["results"][0]
    assert hit["law"]["title"] == "中华人民共和国反家庭暴力法（节选）"
    assert "<mark>人身安全保护令</mark>" in hit["highlight"]


def test_api_consult_ranks_articles_and_explains_them(worker_client):
    r = worker_client.post("/api/v1/laws/consult", {"description": "调解达成协议后对方不履行", "k": 3},
                           content_type="application/json")

    body = r.json()
    assert r.status_code == 200 and 0 < len(body["results"]) <= 3
    top = body["results"][0]
    assert top["relevance"] == "高" and top["reasons"]
    assert set(top["reasons"][0]["words"]) <= set(body["terms"] + body["expanded"])
    assert "<mark>" in body["description_highlight"]


def test_api_consult_takes_the_dispute_type_and_refuses_an_unknown_one(worker_client):
    ok = worker_client.post("/api/v1/laws/consult", {"description": "调解达成协议后对方不履行", "dispute_type": "contract"},
                            content_type="application/json")
    bad = worker_client.post("/api/v1/laws/consult", {"description": "调解达成协议后对方不履行", "dispute_type": "xyz"},
                             content_type="application/json")

    assert ok.status_code == 200 and ok.json()["results"]
    assert bad.status_code in (400, 422) and "dispute_type" in bad.content.decode()


def test_api_law_detail_lists_the_articles_in_order(worker_client):
    law = tiaojie()

    body = worker_client.get(f"/api/v1/laws/{law.pk}").json()

    assert body["title"] == law.title and body["effective"] == "2011-01-01"
    assert [a["label"] for a in body["articles"]][:3] == ["第一条", "第二条", "第三条"]
    assert worker_client.get("/api/v1/laws/999999").status_code == 404


def test_api_refuses_strangers_and_bad_input(client, worker_client):
    from django.test import Client

    assert Client().get("/api/v1/laws/search", {"q": "调解"}).status_code == 401
    assert worker_client.get("/api/v1/laws/search").status_code == 422
    r = worker_client.get("/api/v1/laws/search", {"q": "调解", "law": "99999999999999999999"})
    assert r.status_code == 422 and "law" in r.json()["fields"]  # not a 500 from an overflowing SQL integer
    r = worker_client.post("/api/v1/laws/consult", {"description": ""}, content_type="application/json")
    assert r.status_code == 422 and r.json()["fields"]

from gridgov.laws import consult, services
from gridgov.laws.models import Article


def test_the_consultation_index_is_rebuilt_when_the_library_changes(samples, tmp_path):
    first = consult.get_index()
    assert consult.get_index() is first  # nothing changed: the cached index is used

    assert not services.consult("犬只出户").hits
    (tmp_path / "dogs.json").write_text(
        '{"title": "某市养犬规定", "articles": [{"label": "第一条", "text": "饲养犬只出户应当拴绳。"}]}', encoding="utf-8")
    services.import_directory(tmp_path)

    hits = services.consult("犬只出户").hits
    assert consult.get_index() is not first
    assert hits[0].article.law.title == "某市养犬规定"


def test_an_edited_article_is_seen_by_the_next_consultation(samples):
    services.consult("费用")
    article = Article.objects.get(law__title__startswith="中华人民共和国人民调解法", number=4)
    Article.objects.filter(pk=article.pk).update(text="改写", tokens="改写")
    article.law.save()  # what the importer does when a law's articles change

    assert services.consult("改写").hits[0].article == article


def test_an_unknown_description_gives_no_hits(samples):
    assert services.consult("嗯嗯嗯").hits == []

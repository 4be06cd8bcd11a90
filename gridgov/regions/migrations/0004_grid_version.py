"""The grids' version row and the triggers that bump it on every write to the grid table.

The triggers live in the database so that every write counts: ``save()``, ``QuerySet.update()``,
``bulk_update()``, raw SQL and other programs.  SQLite runs them once per row (it has no statement
triggers); PostgreSQL once per statement, TRUNCATE included.  Each bump adds 1 to ``version`` and draws a new
random ``salt``; the row is recreated by the trigger itself if a flush removed it.
"""

from django.db import migrations, models

SQLITE_UPSERT = (
    "INSERT INTO regions_gridversion (id, version, salt) VALUES (1, 1, random()) "
    "ON CONFLICT(id) DO UPDATE SET version = version + 1, salt = excluded.salt;"
)
SQLITE_FORWARD = [
    f"CREATE TRIGGER regions_grid_version_{op.lower()} AFTER {op} ON regions_grid "
    f"FOR EACH ROW BEGIN {SQLITE_UPSERT} END"
    for op in ("INSERT", "UPDATE", "DELETE")
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS regions_grid_version_{op}" for op in ("insert", "update", "delete")]

POSTGRES_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION regions_grid_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO regions_gridversion (id, version, salt)
        VALUES (1, 1, (random() * 9007199254740991)::bigint)
        ON CONFLICT (id) DO UPDATE
            SET version = regions_gridversion.version + 1, salt = EXCLUDED.salt;
        RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER regions_grid_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON regions_grid "
    "FOR EACH STATEMENT EXECUTE FUNCTION regions_grid_version_bump()",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS regions_grid_version_bump ON regions_grid",
    "DROP FUNCTION IF EXISTS regions_grid_version_bump()",
]


def _statements(vendor: str, forward: bool) -> list[str]:
    if vendor == "sqlite":
        return SQLITE_FORWARD if forward else SQLITE_REVERSE
    if vendor == "postgresql":
        return POSTGRES_FORWARD if forward else POSTGRES_REVERSE
    raise NotImplementedError(f"grid version triggers are written for SQLite and PostgreSQL, not {vendor}")


def create_triggers(apps, schema_editor):
    schema_editor.execute("INSERT INTO regions_gridversion (id, version, salt) VALUES (1, 1, 0)")
    for sql in _statements(schema_editor.connection.vendor, forward=True):
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor, forward=False):
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('regions', '0003_verbose_names_zh'),
    ]

    operations = [
        migrations.CreateModel(
            name='GridVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.BigIntegerField(default=0)),
                ('salt', models.BigIntegerField(default=0)),
            ],
            options={
                'db_table': 'regions_gridversion',
            },
        ),
        migrations.RemoveIndex(
            model_name='grid',
            name='grid_updated_at_idx',
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]

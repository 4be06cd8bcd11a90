"""PostgreSQL: a fine histogram of the region codes, so that a region subtree (a code range) is estimated right.

Every operator's and leader's scope is ``region_id IN (SELECT id FROM regions_region WHERE code >= … AND code <
…)`` (:func:`gridgov.cases.scope.region_under_q`). With the default 100 histogram buckets PostgreSQL estimates
a township's 21 regions as 1, and so a township's worklist of 32,000 events at 2,000,000 as a few hundred
rows: it fetches and sorts them all (450 ms) instead of reading the list's order index and stopping after a
page (10–20 ms). With one bucket per code (up to 10,000, PostgreSQL's maximum) the estimate is right. SQLite has
no histograms; its scope plans are steered by ``scan_in_order`` instead: nothing to do there.
"""

from django.db import migrations

TARGET = 10000


def fine_histogram(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE regions_region ALTER COLUMN code SET STATISTICS {TARGET}")
        schema_editor.execute("ANALYZE regions_region")


def default_histogram(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE regions_region ALTER COLUMN code SET STATISTICS -1")


class Migration(migrations.Migration):

    dependencies = [
        ("regions", "0004_grid_version"),
    ]

    operations = [
        migrations.RunPython(fine_histogram, default_histogram),
    ]

# The partial indexes of the cases still to sweep (gridgov.cases.marks), after the marks were filled.

from django.db import migrations, models

TABLE = 'disputes_dispute'


def analyze(apps, schema_editor):
    """PostgreSQL: fresh statistics for the marks just filled, so the planner sees the partial indexes of the cases
    still to sweep as nearly empty from the first sweep on, not only after autovacuum's next ANALYZE."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ANALYZE {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):

    dependencies = [
        ('disputes', '0012_sweep_marks'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='dispute',
            index=models.Index(condition=models.Q(('sla_overdue_todo', True)), fields=['status', 'deadline'], name='dispute_sla_overdue_todo'),
        ),
        migrations.AddIndex(
            model_name='dispute',
            index=models.Index(condition=models.Q(('sla_near_due_todo', True)), fields=['status', 'warn_at'], name='dispute_sla_near_todo'),
        ),
        migrations.RunPython(analyze, migrations.RunPython.noop),
    ]

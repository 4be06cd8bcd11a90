# The partial indexes of the cases still to sweep (gridgov.cases.marks), after the marks were filled.

from django.db import migrations, models

TABLE = 'petitions_petition'


def analyze(apps, schema_editor):
    """PostgreSQL: fresh statistics for the marks just filled, so the planner sees the partial indexes of the cases
    still to sweep as nearly empty from the first sweep on, not only after autovacuum's next ANALYZE."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ANALYZE {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):

    dependencies = [
        ('petitions', '0009_sweep_marks'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='petition',
            index=models.Index(condition=models.Q(('sla_overdue_todo', True)), fields=['status', 'deadline'], name='petition_sla_overdue_todo'),
        ),
        migrations.AddIndex(
            model_name='petition',
            index=models.Index(condition=models.Q(('sla_near_due_todo', True)), fields=['status', 'warn_at'], name='petition_sla_near_todo'),
        ),
        migrations.RunPython(analyze, migrations.RunPython.noop),
    ]

# The partial indexes of the cases still to sweep (gridgov.cases.marks), after the marks were filled.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0012_sweep_marks'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='event',
            index=models.Index(condition=models.Q(('sla_overdue_todo', True)), fields=['status', 'deadline'], name='event_sla_overdue_todo'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(condition=models.Q(('sla_near_due_todo', True)), fields=['status', 'warn_at'], name='event_sla_near_todo'),
        ),
    ]

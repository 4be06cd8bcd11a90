# Event declared on the case kernel: no column changes (related names only); DailySequence moved to cases.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0001_kernel'),
        ('events', '0004_event_idempotency_fingerprint'),
        ('regions', '0002_grid_grid_updated_at_idx'),
    ]

    operations = [
        # the model moved to the case kernel (cases.DailySequence); its table stays as it is
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='DailySequence')],
        ),
        migrations.AlterField(
            model_name='event',
            name='center',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='center_%(class)ss', to='regions.region', verbose_name='受理中心'),
        ),
        migrations.AlterField(
            model_name='event',
            name='region',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='%(class)ss', to='regions.region', verbose_name='所属区划'),
        ),
    ]

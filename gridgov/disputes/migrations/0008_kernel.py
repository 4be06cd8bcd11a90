# Dispute declared on the case kernel: no column changes (related names, the session attachments' default ordering).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('disputes', '0007_dispute_idempotency_fingerprint'),
        ('regions', '0002_grid_grid_updated_at_idx'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='sessionattachment',
            options={'ordering': ['created_at', 'id']},
        ),
        migrations.AlterField(
            model_name='dispute',
            name='center',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='center_%(class)ss', to='regions.region', verbose_name='受理中心'),
        ),
        migrations.AlterField(
            model_name='dispute',
            name='region',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='%(class)ss', to='regions.region', verbose_name='所属区划'),
        ),
    ]

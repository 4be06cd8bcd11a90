# The case kernel's own tables: the statistics records; the number counters taken over from events.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('events', '0004_event_idempotency_fingerprint'),
        ('regions', '0002_grid_grid_updated_at_idx'),
    ]

    operations = [
        # the counters were born in events: the kernel takes the model, the table keeps its name and rows
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DailySequence',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('prefix', models.CharField(max_length=4)),
                        ('day', models.DateField()),
                        ('last', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'events_dailysequence',
                        'constraints': [models.UniqueConstraint(fields=('prefix', 'day'), name='uniq_daily_sequence')],
                    },
                ),
            ],
        ),
        migrations.CreateModel(
            name='TransitionRecord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=16, verbose_name='案件类型')),
                ('case_id', models.BigIntegerField()),
                ('number', models.CharField(max_length=20, verbose_name='编号')),
                ('category', models.CharField(blank=True, max_length=32, verbose_name='类别')),
                ('action', models.CharField(max_length=32)),
                ('from_status', models.CharField(blank=True, max_length=16)),
                ('to_status', models.CharField(blank=True, max_length=16)),
                ('actor_role', models.CharField(blank=True, max_length=16)),
                ('on_time', models.BooleanField(null=True)),
                ('at', models.DateTimeField(db_index=True)),
                ('center', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='regions.region')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='regions.region')),
            ],
            options={
                'verbose_name': '流转统计记录',
                'verbose_name_plural': '流转统计记录',
                'ordering': ['at', 'id'],
                'indexes': [models.Index(fields=['kind', 'at'], name='cases_trans_kind_f62e45_idx'), models.Index(fields=['kind', 'case_id'], name='cases_trans_kind_4bde5b_idx')],
            },
        ),
    ]

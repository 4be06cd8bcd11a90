# Petition declared on the case kernel. The two columns Case has and petitions lacked are added
# (deadline_unit, deadline_provisional); the rest are label / related-name changes only (no SQL).
# A running stage deadline of a petition is counted in natural time (calendar days, 民法典 §201/§203),
# so the petitions that have one get that unit, as new ones do (gridgov.petitions.workflow._set_stage).

import django.db.models.deletion
from django.db import migrations, models

NATURAL_HOURS = "natural_hours"  # gridgov.worktime.calendar.NATURAL_HOURS


def set_unit_of_running_deadlines(apps, schema_editor):
    Petition = apps.get_model("petitions", "Petition")
    Petition.objects.filter(deadline__isnull=False).update(deadline_unit=NATURAL_HOURS)


class Migration(migrations.Migration):

    dependencies = [
        ('petitions', '0005_reply_delivery'),
        ('regions', '0002_grid_grid_updated_at_idx'),
    ]

    operations = [
        migrations.AddField(
            model_name='petition',
            name='deadline_provisional',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='petition',
            name='deadline_unit',
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AlterField(
            model_name='petition',
            name='center',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='center_%(class)ss', to='regions.region', verbose_name='登记中心'),
        ),
        migrations.AlterField(
            model_name='petition',
            name='region',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='%(class)ss', to='regions.region', verbose_name='事项所在区划'),
        ),
        migrations.RunPython(set_unit_of_running_deadlines, migrations.RunPython.noop, elidable=True),
    ]

"""Law.status_note, and the status correction list applied to a library imported before it existed."""

from django.db import migrations, models
from django.utils import timezone


def correct_statuses(apps, schema_editor):
    from gridgov.laws.importer import read_status_overrides

    Law = apps.get_model("laws", "Law")
    for rule in read_status_overrides():
        laws = Law.objects.filter(title=rule.title, status=rule.corpus_status)
        if rule.promulgated is not None:
            laws = laws.filter(promulgated=rule.promulgated)
        laws.update(status=rule.status, status_note=rule.note, updated_at=timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ("laws", "0002_fulltext"),
    ]

    operations = [
        migrations.AddField(
            model_name="law",
            name="status_note",
            field=models.CharField(blank=True, help_text="时效性由更正表改定时的依据（见 docs/laws.md）", max_length=300,
                                   verbose_name="时效性说明"),
        ),
        migrations.RunPython(correct_statuses, migrations.RunPython.noop),
    ]

# The SLA sweep's marks (gridgov.cases.marks): the two columns, the two generated "still to sweep" columns, and
# the marks filled from the notices; the partial indexes follow in the next migration (PostgreSQL refuses
# CREATE INDEX in the transaction that updated rows with deferred foreign-key checks pending, and built after the
# fill each is built once over the marked rows).

from django.conf import settings
from django.db import migrations, models
from django.db.models import Exists, F, OuterRef, Q


def _fill(case_model, notice_model, case_field, overdue_kind, near_due_kind):
    """Mark each case with a notice of the kind for its current deadline (a copy frozen in this migration, so that a
    later change to gridgov.cases.marks cannot change what it did)."""
    for mark, kind in (("sla_overdue_for", overdue_kind), ("sla_near_due_for", near_due_kind)):
        noticed = notice_model.objects.filter(**{case_field: OuterRef("pk")}, kind=kind, deadline=OuterRef("deadline"))
        unmarked = Q(**{f"{mark}__isnull": True}) | ~Q(**{mark: F("deadline")})
        case_model.objects.filter(Exists(noticed), unmarked).update(**{mark: F("deadline")})


def fill_marks(apps, schema_editor):
    """Mark the cases already swept for their current deadline (from the notices), so that they are not
    escalated or reminded again."""
    _fill(apps.get_model('disputes', 'Dispute'), apps.get_model('disputes', 'DisputeNotice'), 'dispute', 'overdue', 'remind')


class Migration(migrations.Migration):

    dependencies = [
        ('disputes', '0011_cited_article_relevance'),
        ('events', '0011_worklist_order'),
        ('regions', '0005_region_code_statistics'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='dispute',
            name='sla_near_due_for',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='已临期提醒的时限'),
        ),
        migrations.AddField(
            model_name='dispute',
            name='sla_overdue_for',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='已超期处置的时限'),
        ),
        migrations.AddField(
            model_name='dispute',
            name='sla_near_due_todo',
            field=models.GeneratedField(db_persist=True, expression=models.Q(('deadline__isnull', False), models.Q(('sla_near_due_for__isnull', True), models.Q(('sla_near_due_for', models.F('deadline')), _negated=True), _connector='OR'), models.Q(('sla_overdue_for__isnull', True), models.Q(('sla_overdue_for', models.F('deadline')), _negated=True), _connector='OR')), output_field=models.BooleanField(), verbose_name='待临期提醒'),
        ),
        migrations.AddField(
            model_name='dispute',
            name='sla_overdue_todo',
            field=models.GeneratedField(db_persist=True, expression=models.Q(('deadline__isnull', False), models.Q(('sla_overdue_for__isnull', True), models.Q(('sla_overdue_for', models.F('deadline')), _negated=True), _connector='OR')), output_field=models.BooleanField(), verbose_name='待超期处置'),
        ),
        migrations.RunPython(fill_marks, migrations.RunPython.noop),
    ]

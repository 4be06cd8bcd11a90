"""Export registry records the user may see to .xlsx (masked unless --full with a reason, logged).

    python manage.py export_registry residents out.xlsx --user op_a [--region 371502001001]
    python manage.py export_registry residents out.xlsx --user op_a --full --reason "核查户籍"
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.errors import DomainError
from gridgov.registry.excel.columns import KINDS
from gridgov.registry.excel.export import default_queryset, export_workbook

REGION_PATH = {
    "residents": "region__code__startswith",
    "houses": "address__region__code__startswith",
    "units": "address__region__code__startswith",
    "key_persons": "resident__region__code__startswith",
}


class Command(BaseCommand):
    help = "Export residents/houses/units/key_persons to .xlsx (identity numbers and phones masked by default)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("out", help="the .xlsx file to write")
        parser.add_argument("--user", required=True, help="username of the exporting user (decides the scope)")
        parser.add_argument("--region", help="only records under this region code (prefix)")
        parser.add_argument("--full", action="store_true", help="full identity numbers and phones (permission, logged)")
        parser.add_argument("--reason", default="", help="why a full export is needed (required with --full)")

    def handle(self, kind, out, user, region=None, full=False, reason="", **options):
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(_("未找到用户：%(u)s") % {"u": user})
        qs = default_queryset(actor, kind)
        if region:
            qs = qs.filter(**{REGION_PATH[kind]: region.strip()})
        try:
            path = export_workbook(actor, kind, qs, full=full, reason=reason, path=out)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(self.style.SUCCESS(_("已导出到 %(f)s") % {"f": Path(path)}))

"""Write an empty Excel import template for the registry.

    python manage.py registry_template residents 实有人口导入模板.xlsx
"""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from gridgov.registry.excel.columns import KINDS
from gridgov.registry.excel.template import template_workbook


class Command(BaseCommand):
    help = "Write the .xlsx import template for residents/houses/units/key_persons."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("out", help="the .xlsx file to write")

    def handle(self, kind, out, **options):
        Path(out).write_bytes(template_workbook(kind))
        self.stdout.write(self.style.SUCCESS(_("模板已写入 %(f)s") % {"f": out}))

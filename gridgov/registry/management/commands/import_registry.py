"""Import an Excel file into the registry (一标三实 + 重点人员) as a given user.

    python manage.py import_registry residents 实有人口.xlsx --user op_a [--report 错误明细.xlsx]

Rejected rows do not stop the import (exit code 0); only a file rejected as a whole does.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.errors import DomainError
from gridgov.registry.excel.columns import KINDS
from gridgov.registry.excel.importer import CHUNK_SIZE, import_rows
from gridgov.registry.excel.report import report_workbook

SHOWN = 20


class Command(BaseCommand):
    help = "Import residents/houses/units/key_persons from an .xlsx file (see registry_template)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", help="the .xlsx file")
        parser.add_argument("--user", required=True, help="username of the importing user (decides the scope)")
        parser.add_argument("--report", help="write the rejected rows to this .xlsx file")
        parser.add_argument("--chunk", type=int, default=CHUNK_SIZE, help="rows per transaction")

    def handle(self, kind, file, user, report=None, chunk=CHUNK_SIZE, **options):
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(_("未找到用户：%(u)s") % {"u": user})
        if not Path(file).is_file():
            raise CommandError(_("文件不存在：%(f)s") % {"f": file})
        verbosity = options.get("verbosity", 1)

        def progress(rep):
            if verbosity > 1:
                self.stdout.write(rep.summary())

        try:
            result = import_rows(actor, kind, file, Path(file).name, chunk_size=chunk, progress=progress)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(result.summary())
        for what, n in sorted(result.also_created.items()):
            self.stdout.write(_("随之新建%(what)s：%(n)d") % {"what": {"address": _("标准地址"), "house": _("房屋")}.get(
                what, what), "n": n})
        for item in result.rejected_rows[:SHOWN]:
            self.stdout.write(_("第%(row)d行 [%(col)s] %(reason)s") % {
                "row": item.row, "col": item.column or "-", "reason": item.reason})
        if result.rejected > SHOWN:
            self.stdout.write(_("……另有%(n)d行被拒绝") % {"n": result.rejected - SHOWN})
        if report:
            Path(report).write_bytes(report_workbook(result))
            self.stdout.write(_("错误明细已写入 %(f)s") % {"f": report})
        self.stdout.write(self.style.SUCCESS(_("导入完成，用时%(s).1f秒") % {"s": result.seconds}))

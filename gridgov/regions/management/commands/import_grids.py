"""Create or update grids from a GeoJSON FeatureCollection (upsert by code, all or nothing)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.regions.management.commands._output import domain_errors_as_command_errors
from gridgov.regions.services import import_grids


class Command(BaseCommand):
    help = "Import grids from a GeoJSON FeatureCollection file (properties: code, name, kind, dedicated_type, households, active)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="GeoJSON file")

    def handle(self, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("文件不存在：%(path)s") % {"path": path})
        with domain_errors_as_command_errors():
            counts = import_grids(path.read_bytes())
        self.stdout.write(
            self.style.SUCCESS(
                _("网格：新建 %(c)d，更新 %(u)d，未变 %(n)d")
                % {"c": counts.total("created"), "u": counts.total("updated"), "n": counts.total("unchanged")}
            )
        )

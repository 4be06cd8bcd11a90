"""Write stored grids as a GeoJSON FeatureCollection (sorted by code; re-importable losslessly)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from gridgov.regions.management.commands._output import domain_errors_as_command_errors
from gridgov.regions.services import export_grids


class Command(BaseCommand):
    help = "Export grids as GeoJSON to --out FILE (default: standard output), optionally only under --region CODE."

    def add_arguments(self, parser):
        parser.add_argument("--out", help="file to write (default: standard output)")
        parser.add_argument("--region", help="region code prefix, e.g. 371502")

    def handle(self, out=None, region=None, **options):
        with domain_errors_as_command_errors():
            text = export_grids(region)
        if out:
            Path(out).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")

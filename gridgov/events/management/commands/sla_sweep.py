import time

from django.core.management.base import BaseCommand

from gridgov.events import sla
from gridgov.events.tasks import sla_sweep_task


class Command(BaseCommand):
    help = "提醒即将超期的事件，并将已超期事件升级至上一级中心（每个事件每个期限只做一次，可并发运行）"

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep sweeping every --interval seconds")
        parser.add_argument("--interval", type=int, default=60)
        parser.add_argument("--max-runs", type=int, default=0, help="with --loop: stop after this many sweeps")
        parser.add_argument("--enqueue", action="store_true",
                            help="put a sweep on the task queue for the workers (db_worker) instead of running it here")

    def handle(self, *args, loop=False, interval=60, max_runs=0, enqueue=False, **opts):
        runs = 0
        while True:
            runs += 1
            if enqueue:
                result = sla_sweep_task.enqueue()
                self.stdout.write(f"enqueued sweep task {result.id}")
            else:
                counts = sla.sweep()
                self.stdout.write(f"reminded={counts['reminded']} escalated={counts['escalated']}")
            if not loop or (max_runs and runs >= max_runs):
                return
            time.sleep(max(1, interval))

import time

from django.core.management.base import BaseCommand

from gridgov.disputes import sla


class Command(BaseCommand):
    help = "纠纷调解期限提醒：即将超期提醒、超期通报、司法确认期限提醒（每案每期限只做一次，可并发运行）"

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep sweeping every --interval seconds")
        parser.add_argument("--interval", type=int, default=300)
        parser.add_argument("--max-runs", type=int, default=0)

    def handle(self, *args, loop=False, interval=300, max_runs=0, **opts):
        runs = 0
        while True:
            runs += 1
            c = sla.sweep()
            self.stdout.write(f"reminded={c['reminded']} overdue={c['overdue']} confirm={c['confirm']}")
            if not loop or (max_runs and runs >= max_runs):
                return
            time.sleep(max(1, interval))

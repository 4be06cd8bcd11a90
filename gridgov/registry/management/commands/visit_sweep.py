import time

from django.core.management.base import BaseCommand

from gridgov.registry.services.visits import visit_sweep


class Command(BaseCommand):
    help = "为走访逾期的高风险重点人员向责任网格员和所属中心发出提醒（每人每个应访日期一次，可并发运行）"

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--interval", type=int, default=3600)

    def handle(self, *args, loop=False, interval=3600, **opts):
        while True:
            self.stdout.write(f"alerts={visit_sweep()}")
            if not loop:
                return
            time.sleep(max(60, interval))

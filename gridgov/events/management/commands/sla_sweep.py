from gridgov.cases.management.sweeping import SweepCommand
from gridgov.events import sla
from gridgov.events.tasks import sla_sweep_task


class Command(SweepCommand):
    sweep_function = staticmethod(sla.sweep)
    help = "提醒即将超期的事件，并将已超期事件升级至上一级中心（每个事件每个期限只做一次，可并发运行）"
    task = sla_sweep_task

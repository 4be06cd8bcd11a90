from gridgov.cases.management.sweeping import SweepCommand
from gridgov.disputes import sla


class Command(SweepCommand):
    help = "纠纷调解期限提醒：即将超期提醒、超期通报、司法确认期限提醒（每案每期限只做一次，可并发运行）"
    default_interval = 300

    def sweep(self) -> dict:
        return sla.sweep()

    def describe(self, c: dict) -> str:
        return f"reminded={c['reminded']} overdue={c['overdue']} confirm={c['confirm']}"

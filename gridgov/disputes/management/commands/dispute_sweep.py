from gridgov.cases.management.sweeping import SweepCommand
from gridgov.disputes import sla


class Command(SweepCommand):
    sweep_function = staticmethod(sla.sweep)
    help = "纠纷调解期限提醒：即将超期提醒、超期通报、司法确认期限提醒（每案每期限只做一次，可并发运行）"
    default_interval = 300

from gridgov.cases.management.sweeping import SweepCommand
from gridgov.petitions import sla


class Command(SweepCommand):
    sweep_function = staticmethod(sla.sweep)
    help = "信访件：提醒即将超期、升级已超期，以及来信七日回复提醒（每件每个期限只做一次，可并发运行）"
    default_interval = 300

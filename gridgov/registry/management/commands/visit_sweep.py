from gridgov.cases.management.sweeping import SweepCommand
from gridgov.registry.services.visits import visit_sweep


class Command(SweepCommand):
    help = "为走访逾期的高风险重点人员向责任网格员和所属中心发出提醒（每人每个应访日期一次，可并发运行）"
    default_interval = 3600
    min_interval = 60

    sweep_function = staticmethod(lambda: {"alerts": visit_sweep()})

from gridgov.cases.management.sweeping import SweepCommand
from gridgov.cases.sweep import sweep_all
from gridgov.cases.tasks import case_sweep_task


class Command(SweepCommand):
    sweep_function = staticmethod(sweep_all)
    help = "所有案件类型（事件、纠纷、信访……）的期限提醒与超期升级：每案每期限只做一次，可并发运行"
    task = case_sweep_task

    def describe(self, counts: dict) -> str:
        return " ".join(f"{kind}: " + " ".join(f"{k}={v}" for k, v in c.items()) for kind, c in counts.items())

from gridgov.cases.management.sweeping import SweepCommand
from gridgov.warnings.engine import run_rules
from gridgov.warnings.tasks import warning_sweep_task


class Command(SweepCommand):
    sweep_function = staticmethod(run_rules)
    help = "运行所有已启用的预警规则：新发现的情况发出预警，持续存在的更新已有预警（同一情况不重复预警）"
    task = warning_sweep_task
    default_interval = 600

    def describe(self, counts: dict) -> str:
        return " ".join(f"{rule}: " + " ".join(f"{k}={v}" for k, v in c.items()) for rule, c in counts.items())

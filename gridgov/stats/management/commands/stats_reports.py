from django.core.management.base import CommandError

from gridgov.cases.management.sweeping import SweepCommand
from gridgov.core.errors import ValidationFailed
from gridgov.stats.reports import report_period, run_scheduled
from gridgov.stats.tasks import stats_reports_task

PERIODS = {"week": "weekly", "month": "monthly"}


class Command(SweepCommand):
    help = ("生成各市、县(区)、乡镇(街道)的周通报和月通报：默认为上一个完整的周和月，已生成的不重复生成；"
            "--loop 每小时检查一次，每周一、每月1日自动生成上一周期的通报")
    default_interval = 3600
    task = stats_reports_task

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--period", choices=sorted(PERIODS), help="week or month (default: both)")
        parser.add_argument("--value", help="the period: a month 2026-11, a week 2026-W48 or a day of it "
                                            "2026-11-23 (needs --period; default: the last complete one)")
        parser.add_argument("--replace", action="store_true", help="regenerate reports that already exist")

    def handle(self, *args, period=None, value=None, replace=False, **opts):
        if value and not period:
            raise CommandError("--value needs --period week or --period month")
        self.kinds = (PERIODS[period],) if period else ("weekly", "monthly")
        self.value, self.replace = value, replace
        try:
            for kind in self.kinds:
                report_period(kind, value)
        except ValidationFailed as exc:
            raise CommandError("; ".join(m for msgs in exc.fields.values() for m in msgs)) from None
        if opts.get("enqueue"):
            result = self.task.enqueue(list(self.kinds), value, replace)
            self.stdout.write(f"enqueued report task {result.id}")
            return
        super().handle(*args, **opts)

    def sweep(self) -> dict:
        return run_scheduled(self.kinds, value=self.value, replace=self.replace)

    def describe(self, counts: dict) -> str:
        return " ".join(f"{kind}: " + " ".join(f"{k}={v}" for k, v in c.items()) for kind, c in counts.items())

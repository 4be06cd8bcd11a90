from django.core.management.base import CommandError

from gridgov.analysis.reports import resolve_period, run_scheduled
from gridgov.analysis.tasks import analysis_reports_task
from gridgov.cases.management.sweeping import SweepCommand
from gridgov.core.errors import ValidationFailed


class Command(SweepCommand):
    help = ("生成各市、县(区)、乡镇(街道)上一个完整月份的一分析三报告草稿（治安/社会形势、矛盾纠纷、专题）：已有的不重复生成；"
            "--loop 每小时检查一次，每月1日后自动生成上月的草稿")
    default_interval = 3600
    task = analysis_reports_task

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--value", help="the month, e.g. 2026-11 (default: the last complete month)")

    def handle(self, *args, value=None, **opts):
        self.value = value
        if value:
            try:
                resolve_period("month", value)
            except ValidationFailed as exc:
                raise CommandError("; ".join(m for msgs in exc.fields.values() for m in msgs)) from None
        if opts.get("enqueue"):
            result = self.task.enqueue(value)
            self.stdout.write(f"enqueued analysis task {result.id}")
            return
        super().handle(*args, **opts)

    def sweep(self) -> dict:
        return run_scheduled(value=self.value)

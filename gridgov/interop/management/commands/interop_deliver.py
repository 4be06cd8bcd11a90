from gridgov.cases.management.sweeping import SweepCommand
from gridgov.interop import outbound
from gridgov.interop.tasks import interop_deliver_task


class Command(SweepCommand):
    sweep_function = staticmethod(outbound.deliver_due)
    help = "推送到期的部门系统推送记录（失败按退避重试，可多进程并发运行）"
    task = interop_deliver_task
    default_interval = 15

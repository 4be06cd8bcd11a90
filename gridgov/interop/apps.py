from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    """Department systems (数据共享): outbound webhooks of dispatched cases, inbound department API keys."""

    name = "gridgov.interop"
    label = "interop"
    verbose_name = _("部门系统对接")

    def ready(self) -> None:
        from gridgov.cases.signals import transitioned
        from gridgov.interop import outbound

        transitioned.connect(outbound.stage, dispatch_uid="interop.stage")

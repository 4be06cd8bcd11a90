from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    """Citizen participation points (积分 / 道德银行): the ledger, the rules, the catalogue and redemptions."""

    name = "gridgov.points"
    label = "points"
    verbose_name = _("积分")

    def ready(self) -> None:
        from gridgov.cases.signals import transitioned
        from gridgov.points import services

        transitioned.connect(services.on_transition, dispatch_uid="points.award")

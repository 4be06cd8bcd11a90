import importlib
import pkgutil

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarningsConfig(AppConfig):
    """Early warnings (预警): the Warning case, the rule engine and the board."""

    name = "gridgov.warnings"
    label = "warnings"
    verbose_name = _("预测预警")

    def ready(self):
        from gridgov.warnings import providers, workflow  # noqa: F401  (workflow: registers the lifecycle)

        # every rules_*.py module of this package registers its rules (@rule) when imported
        for info in pkgutil.iter_modules(self.module.__path__):
            if info.name.startswith("rules_"):
                importlib.import_module(f"{self.name}.{info.name}")
        providers.register()

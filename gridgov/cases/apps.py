from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """The case kernel: what every lifecycle (events, disputes, petitions …) declares on."""

    name = "gridgov.cases"
    label = "cases"
    verbose_name = _("案件")

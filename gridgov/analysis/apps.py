from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    name = "gridgov.analysis"
    label = "analysis"
    verbose_name = _("一分析三报告")
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class StatsConfig(AppConfig):
    """The statistics layer: KPIs over the kernel's rollups, evaluation (考核) and reports (通报)."""

    name = "gridgov.stats"
    label = "stats"
    verbose_name = "统计考核"

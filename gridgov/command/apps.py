from django.apps import AppConfig


class CommandConfig(AppConfig):
    """The command center (指挥中心): the map, the charts and the feed a leader watches."""

    name = "gridgov.command"
    label = "command"
    verbose_name = "指挥中心"

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """Server-rendered pages (Django templates + htmx) over the domain services."""

    name = "gridgov.web"
    label = "web"
    verbose_name = _("网页界面")

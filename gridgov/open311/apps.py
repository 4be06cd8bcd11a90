from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    """Open311 GeoReport v2: the city's services and requests for outside civic-issue clients."""

    name = "gridgov.open311"
    label = "open311"
    verbose_name = _("Open311 接口")

    def ready(self):
        from gridgov.core.middleware import register_error_renderer
        from gridgov.open311.render import refused

        # a request refused before any view (control characters, an unparsable multipart body) gets the spec's
        # error list too, in the format its path asks for
        register_error_renderer("/open311/", refused)

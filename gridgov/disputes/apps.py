from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gridgov.disputes"
    verbose_name = _("矛盾纠纷多元化解")

    def ready(self):
        from gridgov.disputes import providers, workflow  # noqa: F401  (workflow: registers the lifecycle)

        providers.register()

from django.apps import AppConfig


class DisputesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gridgov.disputes"
    verbose_name = "矛盾纠纷多元化解"

from django.apps import AppConfig


class PetitionsConfig(AppConfig):
    name = "gridgov.petitions"
    label = "petitions"
    verbose_name = "信访"

    def ready(self):
        from gridgov.petitions import providers, workflow  # noqa: F401  (workflow: registers the lifecycle)

        providers.register()

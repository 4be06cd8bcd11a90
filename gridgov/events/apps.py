from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "gridgov.events"
    label = "events"
    verbose_name = "事件"

    def ready(self):
        from gridgov.events import providers, workflow  # noqa: F401  (workflow: registers the lifecycle)

        providers.register()

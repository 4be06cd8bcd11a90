from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "gridgov.regions"
    label = "regions"
    verbose_name = "行政区划与网格"

    def ready(self) -> None:
        from gridgov.regions import spatial  # noqa: F401  (connects the grid-change signals)

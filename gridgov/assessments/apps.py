from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "gridgov.assessments"
    label = "assessments"
    verbose_name = "社会稳定风险评估"

    def ready(self):
        # workflow registers the lifecycle; warnrule registers the 稳评跟踪 warning rule
        from gridgov.assessments import warnrule, workflow  # noqa: F401

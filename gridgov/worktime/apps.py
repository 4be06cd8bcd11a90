from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class WorktimeConfig(AppConfig):
    name = "gridgov.worktime"
    label = "worktime"
    verbose_name = "工作日历"

    def ready(self) -> None:
        from gridgov.worktime.calendar import calendar_changed
        from gridgov.worktime.models import CalendarDay, CalendarYear

        # the shared calendars (worktime/calendar.py) reload after any edit of the overrides
        for model in (CalendarDay, CalendarYear):
            post_save.connect(calendar_changed, sender=model, dispatch_uid=f"worktime-changed-{model.__name__}")
            post_delete.connect(calendar_changed, sender=model, dispatch_uid=f"worktime-deleted-{model.__name__}")

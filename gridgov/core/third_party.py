"""The third-party apps under Chinese names in /admin/: settings.INSTALLED_APPS names these configs
instead of the packages (their label, models and ready() stay theirs).  Kept out of ``apps.py``, where
Django would find several AppConfig classes for ``gridgov.core``."""

from axes.apps import AppConfig as AxesAppConfig
from django_tasks_db.apps import TasksAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = "登录安全"


class TasksDbConfig(TasksAppConfig):
    verbose_name = "后台任务"

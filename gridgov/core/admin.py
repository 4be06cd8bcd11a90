"""The admin site in Chinese: its header and title, and the pages of the third-party tables it shows
(django-axes' login records, django-tasks-db's background tasks).

Their field and model names are translated by the project's catalog (``locale/zh_Hans``); what those
packages write as plain strings (a column computed by a method, a property's name) is relabelled here by
registering a subclass of their ModelAdmin — nothing of theirs is copied or patched.
gridgov/core/tests/test_admin_zh.py walks every registered ModelAdmin and fails on an English label.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

admin.site.site_header = _("市域社会治理平台 管理")
admin.site.site_title = _("市域社会治理平台 管理")
admin.site.index_title = _("后台管理")


class AccessAttemptZhAdmin(AccessAttemptAdmin):
    @admin.display(description=_("锁定状态"))
    def status(self, obj: AccessAttempt):
        left = settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        return _("还可尝试 %(n)s 次") % {"n": left} if left > 0 else _("已锁定")

    @admin.display(description=_("失效时间"))
    def expiration(self, obj: AccessAttempt):
        return super().expiration(obj)


class TaskResultZhAdmin(DBTaskResultAdmin):
    list_display = ("task_id", "task_label", "status", "enqueued_at", "started_at", "finished_at", "priority",
                    "queue_name")

    @admin.display(description=_("任务编号"), ordering="id")
    def task_id(self, obj: DBTaskResult) -> str:
        return str(obj.id)

    @admin.display(description=_("任务"))
    def task_label(self, obj: DBTaskResult) -> str:
        return obj.task_name

    @admin.display(description=_("错误堆栈"))
    def formatted_traceback(self, obj: DBTaskResult) -> str:
        return super().formatted_traceback(obj)

    @admin.display(description=_("最早执行时间"))
    def display_run_after(self, obj: DBTaskResult):
        return super().display_run_after(obj)


for model, model_admin in ((AccessAttempt, AccessAttemptZhAdmin), (DBTaskResult, TaskResultZhAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)

from django_tasks import task

from gridgov.core import notify


@task()
def deliver_notification(notification_id: int) -> dict:
    return notify.deliver(notification_id)

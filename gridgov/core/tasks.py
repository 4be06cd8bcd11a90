from django_tasks import task

from gridgov.core import notify


@task()
def deliver_notification(notification_id: int) -> dict:
    return notify.deliver(notification_id)


@task()
def deliver_notifications(notification_ids: list[int]) -> dict:
    """A batch's notifications, delivered by one task: each on its own, so one row gone or one backend
    failing never keeps the others from going out."""
    from gridgov.core.models import Notification

    out = {}
    for pk in notification_ids:
        try:
            out[str(pk)] = notify.deliver(pk)
        except Notification.DoesNotExist:
            out[str(pk)] = {"skipped": "deleted"}
    return out

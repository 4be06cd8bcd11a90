from django_tasks import task

from gridgov.core import notify


@task()
def deliver_notification(notification_id: int) -> dict:
    return notify.deliver(notification_id)


@task()
def deliver_notifications(notification_ids: list[int]) -> dict:
    """A batch's notifications (the sweep's), delivered by one task."""
    return {str(pk): notify.deliver(pk) for pk in notification_ids}

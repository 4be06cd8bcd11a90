"""Background tasks (django-tasks API)."""

from django_tasks import task

from gridgov.interop import outbound


@task()
def deliver_now(delivery_ids: list[int]) -> dict:
    """The deliveries a transition has just staged, sent right after its commit (a failure is left to the sweep)."""
    return outbound.deliver_due(ids=delivery_ids)


@task()
def interop_deliver_task() -> dict:
    """One sweep of due deliveries; enqueue it periodically (or run `manage.py interop_deliver --loop`)."""
    return outbound.deliver_due()

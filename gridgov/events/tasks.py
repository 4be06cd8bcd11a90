"""Background tasks (django-tasks API; the database backend by default)."""

from django_tasks import task

from gridgov.events import sla


@task()
def sla_sweep_task() -> dict:
    """One SLA sweep; enqueue it periodically (or run `manage.py sla_sweep --loop`)."""
    return sla.sweep()

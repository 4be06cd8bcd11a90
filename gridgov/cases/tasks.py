"""Background tasks of the case kernel."""

from django_tasks import task

from gridgov.cases.sweep import sweep_all


@task()
def case_sweep_task() -> dict:
    """One SLA sweep of every registered lifecycle; enqueue it periodically (or `manage.py case_sweep --loop`)."""
    return sweep_all()

"""Background task of the warning engine."""

from django_tasks import task

from gridgov.warnings.engine import run_rules


@task()
def warning_sweep_task() -> dict:
    """Run every enabled warning rule once; enqueue it periodically (or `manage.py warning_sweep --loop`)."""
    return run_rules()

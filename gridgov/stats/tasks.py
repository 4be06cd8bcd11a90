"""Background tasks of the statistics layer."""

from django_tasks import task

from gridgov.stats.reports import run_scheduled


@task()
def stats_reports_task(kinds: list[str] | None = None, value: str | None = None, replace: bool = False) -> dict:
    """The reports (通报) of every city, county and township for the last complete week and month (or the
    period ``value``): only those missing or generated before their period ended, so it may run as often as
    wanted — enqueue it daily, or run ``manage.py stats_reports --loop``."""
    return run_scheduled(tuple(kinds or ("weekly", "monthly")), value=value, replace=replace)

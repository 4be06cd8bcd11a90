"""Background tasks of the analysis (一分析三报告)."""

from django_tasks import task

from gridgov.analysis.reports import run_scheduled


@task()
def analysis_reports_task(value: str | None = None) -> dict:
    """The drafts of the three analysis reports of every city, county and township for the last complete month
    (or the month ``value``), for those that lack them — idempotent, so it may run as often as wanted."""
    return run_scheduled(value=value)

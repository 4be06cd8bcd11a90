"""The scheduled generation of reports: the management command and the task make each center's report of a
period once, however often they run."""

import pytest
from django.core.management import CommandError, call_command

from gridgov.stats.models import Report
from gridgov.stats.tasks import stats_reports_task


def test_command_generates_a_months_reports_once(city, capsys):
    call_command("stats_reports", "--period", "month", "--value", "2026-10")
    assert "monthly: period=2026-10 generated=4 kept=0 failed=0" in capsys.readouterr().out
    first = set(Report.objects.values_list("pk", "region__code", "generated_at"))
    call_command("stats_reports", "--period", "month", "--value", "2026-10", "--loop", "--interval", "0",
                 "--max-runs", "2")
    assert capsys.readouterr().out.count("generated=0 kept=4") == 2
    assert set(Report.objects.values_list("pk", "region__code", "generated_at")) == first
    assert {r.period_start.isoformat() for r in Report.objects.all()} == {"2026-10-01"}


def test_command_replace_regenerates_in_place(city, capsys):
    call_command("stats_reports", "--period", "week", "--value", "2026-W44")
    before = dict(Report.objects.values_list("pk", "generated_at"))
    call_command("stats_reports", "--period", "week", "--value", "2026-W44", "--replace")
    assert "weekly: period=2026-10-26 generated=4" in capsys.readouterr().out
    after = dict(Report.objects.values_list("pk", "generated_at"))
    assert set(after) == set(before) and all(after[pk] > before[pk] for pk in before)


@pytest.mark.parametrize("args", [["--value", "2026-10"], ["--period", "month", "--value", "2026-13"]])
def test_command_refuses_a_value_it_cannot_read(city, args):
    with pytest.raises(CommandError):
        call_command("stats_reports", *args)
    assert not Report.objects.exists()


def test_task_generates_the_last_complete_week_and_month_once(city):
    first = stats_reports_task.enqueue().return_value
    assert first["weekly"]["generated"] == 4 and first["monthly"]["generated"] == 4
    again = stats_reports_task.enqueue().return_value
    assert again["weekly"]["generated"] == 0 and again["monthly"]["generated"] == 0
    assert Report.objects.count() == 8

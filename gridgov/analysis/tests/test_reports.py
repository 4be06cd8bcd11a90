"""The three reports (三报告): drafting, the DOCX and its numbers, editing, sending (then immutable), redrafting
that keeps edits, scope, and the monthly schedule (task and command, idempotent)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from docx import Document

from gridgov.analysis import reports
from gridgov.analysis.analysis import WARNING_SLOT
from gridgov.analysis.models import AnalysisReport, AnalysisReportLog
from gridgov.analysis.tasks import analysis_reports_task
from gridgov.analysis.tests import world
from gridgov.core import providers
from gridgov.core.errors import Conflict, Forbidden, ValidationFailed
from gridgov.stats import queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_provider(monkeypatch):
    monkeypatch.setattr(providers, "_slots", {k: v for k, v in providers._slots.items() if k != WARNING_SLOT})


@pytest.fixture
def built(city):
    world.build(city)
    return city


@pytest.fixture
def drafts(built):
    rows = reports.draft_for(built.county_operator, built.county.code, "month", world.MONTH)
    return {r.kind: r for r in rows}


def docx_text(report: AnalysisReport) -> tuple[str, list[list[str]]]:
    with report.docx.open("rb") as f:
        doc = Document(io.BytesIO(f.read()))
    rows = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    return "\n".join(p.text for p in doc.paragraphs), rows


def test_drafting_makes_the_three_reports_with_text_numbers_and_a_log_row(drafts, built):
    assert set(drafts) == {"situation", "disputes", "special"}
    r = drafts["situation"]
    assert r.status == "draft" and r.period_start == date(2026, 11, 1) and r.period_end == date(2026, 11, 30)
    assert r.title == "东昌府区2026年11月治安/社会形势分析报告"
    assert "东昌府区党委、政府" in r.recipients and "聊城市党委政法委" in r.recipients
    overview = r.sections[0]["text"]
    assert "共受理事件4件" in overview and "较上期增加2件（+100.0%）" in overview
    assert [e.action for e in r.log.all()] == ["draft"]


def test_the_docx_carries_the_numbers_of_the_statistics_layer(drafts, built):
    counts = queries.counts("event", built.county.code, queries.period("month", world.MONTH))
    text, rows = docx_text(drafts["situation"])
    assert "东昌府区2026年11月治安/社会形势分析报告" in text and "一、总体情况" in text
    main = {row[0]: row[1:] for row in rows}
    assert main["事件受理数"] == [str(counts["reported"]), "2", "+100.0%", "1", "+300.0%"]
    assert main["古楼街道"][:5] == ["3", "1", "+200.0%", "0", "—"]
    assert main["矛盾纠纷登记数"][0] == "3"
    text, rows = docx_text(drafts["disputes"])
    kinds = {row[0]: row[1] for row in rows}
    assert kinds["邻里"] == "2" and kinds["风险等级：较大"] == "1" and kinds["化解结果：不予受理"] == "1"


def test_an_edit_changes_the_text_and_the_docx_and_is_logged(drafts, built):
    r = drafts["disputes"]
    before = r.docx_sha256
    r = reports.edit(built.county_operator, r, {"overview": "经研判，本月纠纷总体平稳。"}, recipients="区委、区政府")
    assert r.sections[0] == {**r.sections[0], "text": "经研判，本月纠纷总体平稳。", "edited": True}
    assert r.docx_sha256 != before and "经研判，本月纠纷总体平稳。" in docx_text(r)[0]
    assert r.recipients == "区委、区政府"
    assert r.log.last().action == "edit" and r.log.last().data["changed"] == ["overview", "recipients"]


def test_a_bad_edit_names_the_field_and_changes_nothing(drafts, built):
    r = drafts["disputes"]
    with pytest.raises(ValidationFailed) as exc:
        reports.edit(built.county_operator, r, {"overview": "  ", "nope": "x"})
    assert set(exc.value.fields) == {"sections.overview", "sections.nope"}
    assert AnalysisReport.objects.get(pk=r.pk).sections == r.sections


def test_sending_archives_the_report_and_every_later_change_is_refused(drafts, built):
    r = reports.send(built.county_operator, drafts["disputes"])
    assert r.status == "sent" and r.sent_by == built.county_operator and r.sent_at is not None
    sha, name, sections = r.docx_sha256, r.docx.name, r.sections
    with pytest.raises(Conflict):
        reports.edit(built.county_operator, r, {"overview": "改"})
    with pytest.raises(Conflict):
        reports.send(built.county_operator, r)
    reports.draft_for(built.county_operator, built.county.code, "month", world.MONTH)  # a redraft leaves it alone
    r = AnalysisReport.objects.get(pk=r.pk)
    assert (r.docx_sha256, r.docx.name, r.sections, r.status) == (sha, name, sections, "sent")
    with r.docx.open("rb") as f:
        import hashlib
        assert hashlib.sha256(f.read()).hexdigest() == sha
    assert [e.action for e in r.log.all()] == ["draft", "send"]


def test_a_redraft_replaces_the_numbers_but_keeps_the_edited_sections(drafts, built):
    r = reports.edit(built.county_operator, drafts["situation"], {"events": "编辑过的社情分析。"})
    world.event(built.worker_a, world.A1, world.at(2026, 11, 20))
    r = {x.kind: x for x in reports.draft_for(built.county_operator, built.county.code, "month", world.MONTH)}[
        "situation"]
    texts = {s["key"]: s for s in r.sections}
    assert texts["events"]["text"] == "编辑过的社情分析。" and texts["events"]["edited"]
    assert "共受理事件5件" in texts["overview"]["text"] and not texts["overview"]["edited"]
    assert r.data["events"]["reported"]["now"] == 5
    assert [e.action for e in r.log.all()] == ["draft", "edit", "redraft"]


def test_a_leader_reads_but_may_not_draft_edit_or_send(drafts, built):
    with pytest.raises(Forbidden):
        reports.edit(built.leader_county, drafts["special"], {"subject": "x"})
    with pytest.raises(Forbidden):
        reports.send(built.leader_county, drafts["special"])
    assert reports.get_visible(built.leader_county, drafts["special"].pk) == drafts["special"]


def test_scope_a_township_sees_its_own_a_county_its_townships_and_its_own(built):
    a = reports.draft_for(built.operator_a, built.township_a.code, "month", world.MONTH)
    county = reports.draft_for(built.county_operator, built.county.code, "month", world.MONTH)
    assert set(reports.visible_reports(built.operator_a)) == set(a)
    assert set(reports.visible_reports(built.county_operator)) == set(a) | set(county)
    assert not reports.visible_reports(built.operator_b).exists()
    assert not reports.visible_reports(built.worker_a).exists()
    from gridgov.core.errors import NotFound
    with pytest.raises(NotFound):
        reports.get_visible(built.operator_b, a[0].pk)
    with pytest.raises(NotFound):
        reports.draft_for(built.operator_b, built.township_a.code, "month", world.MONTH)


def test_the_scheduled_run_drafts_one_set_per_center_and_is_idempotent(built):
    today = date(2026, 12, 1)
    first = reports.run_scheduled(today=today)
    # the city, the county and the two townships (the province has no center here)
    assert first == {"period": "2026-11", "drafted": 4, "kept": 0, "failed": 0}
    assert AnalysisReport.objects.count() == 12
    assert set(AnalysisReport.objects.values_list("period_start", flat=True)) == {date(2026, 11, 1)}
    assert reports.run_scheduled(today=today) == {"period": "2026-11", "drafted": 0, "kept": 4, "failed": 0}
    assert AnalysisReport.objects.count() == 12 and AnalysisReportLog.objects.count() == 12


def test_the_scheduled_run_completes_a_partial_set_without_touching_the_report_there(built):
    p = queries.period("month", "2026-11")
    (mine,) = reports.draft(built.township_a, p, user=built.operator_a, kinds=["situation"])
    mine = reports.edit(built.operator_a, mine, {"events": "手工写的社情分析。"})
    assert reports.run_scheduled(today=date(2026, 12, 1))["drafted"] == 4
    again = AnalysisReport.objects.get(pk=mine.pk)
    assert again.docx_sha256 == mine.docx_sha256 and [e.action for e in again.log.all()] == ["draft", "edit"]
    assert AnalysisReport.objects.filter(region=built.township_a).count() == 3


def test_the_command_and_the_task_draft_the_last_complete_month(built, capsys):
    call_command("analysis_reports", "--value", "2026-11")
    assert "drafted=4" in capsys.readouterr().out
    assert AnalysisReport.objects.count() == 12
    result = analysis_reports_task.enqueue("2026-11")
    assert result.return_value == {"period": "2026-11", "drafted": 0, "kept": 4, "failed": 0}


def test_the_command_refuses_a_bad_month(built):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("analysis_reports", "--value", "2026-13")

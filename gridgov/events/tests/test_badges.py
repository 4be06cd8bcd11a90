"""The status, SLA and supervision badges of the lists and the event page: what they show, in the city's time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.template import Context, Template
from django.utils import timezone

from gridgov.events.models import Event, Status, Supervision


def _render(source: str, event: Event) -> str:
    return Template("{% load events_tags %}" + source).render(Context({"e": event}))


def test_the_status_badge_names_the_state_in_chinese():
    html = _render("{% status_badge e %}", Event(status=Status.HANDLING))
    assert html == '<span class="badge st-handling" data-testid="status-badge">处置中</span>'


def test_the_supervision_badge_shows_only_a_card():
    assert _render("{% supervision_badge e %}", Event(supervision=Supervision.RED)) == \
        '<span class="badge sup-red">红牌</span>'
    assert _render("{% supervision_badge e %}", Event(supervision="")) == ""


def test_the_sla_badge_shows_the_deadline_in_local_time_and_marks_a_provisional_one():
    now = timezone.now()
    deadline = (now + timedelta(hours=30)).replace(second=0, microsecond=0)
    e = Event(status=Status.HANDLING, deadline=deadline, warn_at=deadline - timedelta(hours=2),
              deadline_provisional=True)
    html = _render("{% sla_badge e True %}", e)
    local = timezone.localtime(deadline).strftime("%m-%d %H:%M")
    assert html.startswith('<span class="badge sla-normal">正常</span> <span class="deadline">')
    assert f"{local} · 剩余 29 小时" in html or f"{local} · 剩余 30 小时" in html
    assert '<abbr class="provisional" title="该期限所在年份的法定节假日安排尚未公布' in html and ">暂定</abbr>" in html
    # 16:00 UTC is midnight in 聊城 (UTC+8): the date shown is the next day's
    e.deadline = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    e.warn_at, e.deadline_provisional = e.deadline - timedelta(hours=1), False
    assert "03-02 00:00" in _render("{% sla_badge e True %}", e)
    assert "abbr" not in _render("{% sla_badge e True %}", e)


def test_the_sla_badge_is_empty_for_a_closed_case():
    e = Event(status=Status.CLOSED, deadline=None)
    assert _render("{% sla_badge e True %}", e) == ""

"""The event page's statements: a fixed number, whatever the size of its timeline, attachments and duplicates
(docs/performance.md, "Issue 13 — pages at 2,000,000 events": on PostgreSQL each statement is a round trip)."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.events import services
from gridgov.events.tests.test_pages import act_url, as_user, detail_url, dispatched, jpeg, text

# session, user, the viewer's region (scope), the event, its category, its grid, its reporter, the duplicates (their
# keys and places, then the few shown: a busy spot's hundred candidates are not loaded as events), the log, every attachment, the dispute banner, the assisting departments, the assist calls, the follow-ups, the
# relocation form's grids, the header's unread messages (and their count when the menu is full); a pending
# extension only for whoever may approve it
EVENT_PAGE_STATEMENTS = 18
IN_HANDS_STATEMENTS = 19
LAST: list[str] = []  # the statements of the last page read, for a failure's message


def _event_with(report, city, *, supplements: int, duplicates: int):
    now = timezone.now()
    event = report(now=now)
    for i in range(duplicates):
        report(now=now, lng=116.005 + (i + 1) * 0.00001, description=f"同一处垃圾 {i}")
    for i in range(supplements):
        services.perform_action(city.worker_a, event, "supplement", {"note": f"现场又有新堆放 {i}"}, uploads=[jpeg()])
    return event


def _page_statements(user, event) -> tuple[int, str]:
    client = as_user(user)
    client.get(detail_url(event))  # the session row's first update is not part of the page
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(detail_url(event))
    assert response.status_code == 200
    LAST[:] = [q["sql"][:90] for q in ctx.captured_queries]
    return len(ctx.captured_queries), text(response)


def test_the_event_page_makes_the_same_statements_for_2_and_for_20_log_rows(city, report):
    small = _event_with(report, city, supplements=1, duplicates=1)
    large = _event_with(report, city, supplements=19, duplicates=6)
    assert small.log.count() == 2 and large.log.count() == 20
    n_small, body_small = _page_statements(city.operator_a, small)
    n_large, body_large = _page_statements(city.operator_a, large)
    # what the statements are for is on the page: every supplement with its photo, the duplicates
    assert body_large.count("现场又有新堆放 ") == 19 and body_large.count('class="thumb"') == 19
    assert "疑似重复事件" in body_small and "疑似重复事件" in body_large
    assert n_small == n_large
    assert n_large <= EVENT_PAGE_STATEMENTS, "\n".join(LAST)


def test_the_viewers_own_rows_are_not_read_again(city, report):
    """The grid worker who reported it sees their own account as the reporter: no statement for it."""
    event = _event_with(report, city, supplements=2, duplicates=0)
    n_operator, _ = _page_statements(city.operator_a, event)
    n_reporter, body = _page_statements(city.worker_a, event)
    assert body.count("现场又有新堆放 ") == 2
    assert n_reporter < n_operator <= EVENT_PAGE_STATEMENTS


def test_a_pending_extension_is_read_for_the_center_that_may_approve_it(city, report):
    event = dispatched(city, report)
    liaison = as_user(city.liaison_cg)
    liaison.post(act_url(event, "sign"))
    later = (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    liaison.post(act_url(event, "request_extension"), {"requested_deadline": later, "note": "需要采购材料"})
    n_center, body = _page_statements(city.operator_a, event)
    assert 'class="pending-ext"' in body and act_url(event, "approve_extension") in body
    n_liaison, body = _page_statements(city.liaison_cg, event)
    assert 'class="pending-ext"' not in body
    # in a department's hands, the actions' guards ask more: the center's approve/deny whether a request is
    # pending (and it reads the request), the liaison's whether one is pending and whether their department has
    # a call to report in to or feed back on
    assert n_center <= IN_HANDS_STATEMENTS and n_liaison <= IN_HANDS_STATEMENTS, "\n".join(LAST)

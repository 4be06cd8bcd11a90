"""The event page's statements: a fixed number, whatever the size of its timeline, attachments and duplicates
(docs/performance.md, "Issue 13 — pages at 2,000,000 events": on PostgreSQL each statement is a round trip)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.events import services
from gridgov.events.tests.test_pages import as_user, detail_url, jpeg, text

# session, user, the viewer's region (scope), the event, its category, its grid, its reporter, the duplicates, a
# pending extension, the log, every attachment, the dispute banner, the assisting departments, the assist calls,
# the follow-ups, the relocation form's grids, the header's unread messages (and their count when the menu is full)
EVENT_PAGE_STATEMENTS = 18
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

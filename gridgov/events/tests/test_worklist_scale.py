"""The worklist at city scale (issue 13, "Pages"): the scope reads its many-valued relations in subqueries, so
the lists need no DISTINCT — and still hold exactly the rows, in exactly the order, of the old query (a join
with DISTINCT, ``LIKE`` on the region code, ``deadline NULLS LAST``) for every role, including the roles whose
joins used to repeat a row (a grid worker with two posts in one grid, a worker whose reports were merged into
one case). The totals are counted up to a cap; the pages run a bounded number of statements."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db.models import F, Q
from django.test import Client
from django.urls import reverse

from gridgov.events import services
from gridgov.events.models import Event, Status
from gridgov.regions.models import GridStaff
from gridgov.web.views import CappedPaginator


def _old_scope(user) -> Q:
    """The scope as it was written before issue 13 (joins, LIKE)."""
    role = user.role
    if role == "operator":
        return Q(region__code__startswith=user.region.code)
    if role == "liaison":
        return Q(involved_departments=user.department_id)
    if role == "grid_worker":
        return Q(grid__staff__user=user) | Q(reporter=user) | Q(merged_events__reporter=user)
    raise AssertionError(role)


def _old_list(user, **filters):
    qs = Event.objects.filter(_old_scope(user)).filter(**filters).distinct()
    return list(qs.order_by(F("deadline").asc(nulls_last=True), "-created_at", "-id").values_list("pk", flat=True))


def _new_list(user, **params):
    return list(services.filtered_events(user, **params).values_list("pk", flat=True))


def _spread(city, report):
    """Events in both townships, some with a deadline and some without, worked by both departments, some merged
    into one target reported by worker A; worker A holds two posts in grid A1 (a join repeated each row)."""
    now = services.timezone.now()
    a = [report(now=now - timedelta(hours=i), description=f"路面有大量垃圾未清理{i}") for i in range(6)]
    b = [report(actor=city.worker_b, lng=116.105, lat=36.405, now=now - timedelta(minutes=30 + i),
                description=f"柳园路面破损{i}") for i in range(4)]
    Event.objects.filter(pk__in=[a[0].pk, b[0].pk]).update(deadline=None, status=Status.CLOSED)
    Event.objects.filter(pk=a[1].pk).update(deadline=now + timedelta(days=1))
    for e in (a[2], a[3], b[1]):
        e.involved_departments.add(city.dept_cg)
    a[2].involved_departments.add(city.dept_zj)
    # two of worker A's reports merged into one of worker B's
    Event.objects.filter(pk__in=[a[4].pk, a[5].pk]).update(merged_into=b[2], status=Status.MERGED)
    GridStaff.objects.create(grid=city.grid_a1, user=city.worker_a, role=GridStaff.Role.LEADER)
    return a, b


def test_every_roles_list_holds_the_same_rows_in_the_same_order_as_the_joined_distinct_query(city, report):
    _spread(city, report)
    for user in (city.operator_a, city.operator_b, city.county_operator, city.city_operator, city.liaison_cg,
                 city.liaison_zj, city.worker_a, city.worker_b):
        assert _new_list(user) == _old_list(user), user.username
        assert _new_list(user, status="reported,accepted") == _old_list(user, status__in=["reported", "accepted"])
        assert _new_list(user, region="371502002") == _old_list(user, region__code__startswith="371502002")


def test_the_rows_a_join_repeated_are_listed_once(city, report):
    a, b = _spread(city, report)
    rows = _new_list(city.worker_a)
    assert len(rows) == len(set(rows))
    # through the merge: worker B's case that two of worker A's reports were merged into, once
    assert rows.count(b[2].pk) == 1
    # the join (two posts in grid A1, two merged reports) did repeat it
    joined = Event.objects.filter(_old_scope(city.worker_a)).values_list("pk", flat=True)
    assert len(joined) > len(set(joined))


def test_the_status_chips_and_inbox_tabs_count_what_the_lists_show(city, report):
    _spread(city, report)
    counts = services.capped_counts_by_status(city.county_operator, 10_000)
    exact = services.counts_by_status(city.county_operator)
    assert {k: n for k, (n, more) in counts.items() if n} == exact
    assert not any(more for _n, more in counts.values())
    capped = services.capped_counts_by_status(city.county_operator, 2)
    assert capped[Status.REPORTED] == (2, True)


def test_a_capped_paginator_counts_up_to_the_cap_and_still_pages_past_it(city, report):
    _spread(city, report)
    qs = services.filtered_events(city.city_operator)
    total = qs.count()
    assert total == 10
    small = CappedPaginator(qs, 2, cap=3, wanted=1)
    page = small.get_page(1)
    assert small.capped and small.count == 4 and page.has_next() and not page.has_previous()
    # the page asked for sets how far it counts: page 4 of 2 rows has a next page, the last one none
    deep = CappedPaginator(qs, 2, cap=3, wanted=4)
    page = deep.get_page(4)
    assert page.has_next() and page.has_previous() and [e.pk for e in page] == _new_list(city.city_operator)[6:8]
    last = CappedPaginator(qs, 2, cap=3, wanted=5)
    page = last.get_page(5)
    assert not page.has_next() and len(page) == 2
    exact = CappedPaginator(qs, 2, cap=100)
    assert exact.count == 10 and not exact.capped


def test_a_capped_total_shows_as_the_cap_and_a_plus(city, report, settings, monkeypatch):
    _spread(city, report)
    monkeypatch.setattr("gridgov.web.views.COUNT_CAP", 3)
    monkeypatch.setattr("gridgov.events.views.COUNT_CAP", 3)
    monkeypatch.setattr("gridgov.web.views.PAGE_SIZE", 2)
    c = Client()
    c.force_login(city.city_operator)
    body = c.get(reverse("events:list")).content.decode()
    assert 'data-testid="worklist-count">3+<' in body
    assert re.search(r"全部 <b>\d+\+</b>", body) and "待受理 <b>3+</b>" in body
    assert "第 1 页，共 3+ 件" in body
    # the pager keeps going past the cap
    body = c.get(reverse("events:list") + "?page=4").content.decode()
    assert "第 4 页，共 3+ 件" in body and "page=5" in body and "page=3" in body
    body = c.get(reverse("events:list") + "?page=5").content.decode()
    assert "page=6" not in body and "第 5 / 5 页，共 10 件" in body


def test_the_worklist_runs_a_bounded_number_of_statements(city, report, django_assert_max_num_queries):
    _spread(city, report)
    c = Client()
    c.force_login(city.city_operator)
    c.get(reverse("events:list"))
    with django_assert_max_num_queries(25):
        assert c.get(reverse("events:list")).status_code == 200
    for _ in range(5):
        report(description="又一起路面垃圾")
    with django_assert_max_num_queries(25):
        assert c.get(reverse("events:list")).status_code == 200


def test_the_inbox_and_the_event_page_run_a_bounded_number_of_statements(city, report,
                                                                          django_assert_max_num_queries):
    a, _b = _spread(city, report)
    liaison = Client()
    liaison.force_login(city.liaison_cg)
    for tab in ("pending", "handling", "done"):
        with django_assert_max_num_queries(15):
            assert liaison.get(reverse("events:inbox") + f"?tab={tab}").status_code == 200
    op = Client()
    op.force_login(city.operator_a)
    # duplicates nearby: more reports at the same spot do not add statements to the page
    with django_assert_max_num_queries(40) as ctx:
        assert op.get(reverse("events:detail", args=[a[3].number])).status_code == 200
    before = len(ctx.captured_queries)
    for i in range(6):
        report(description=f"同一处垃圾{i}")
    with django_assert_max_num_queries(before):
        assert op.get(reverse("events:detail", args=[a[3].number])).status_code == 200

"""The worklist's status chips count under the active filters (all but the status the chips choose): the
"全部" chip equals the list's total "共 N 件" whenever no status is chosen, and each chip is what that status
would show with the other filters kept (issue 11: "全部 305" beside "共 189 件")."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.events import services


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def chips(response) -> dict[str, int]:
    body = response.content.decode()
    nav = re.search(r'<nav class="chips".*?</nav>', body, re.S).group(0)
    return {label.strip(): int(n) for label, n in re.findall(r">([^<>]+?) <b>(\d+)</b></a>", nav)}


def total(response) -> int:
    return int(re.search(r'data-testid="worklist-count">(\d+)<', response.content.decode()).group(1))


def _accept(client, event):
    r = client.post(reverse("events:act", args=[event.number, "accept"]))
    assert r.status_code == 302, r


def test_status_chips_follow_the_text_filter_and_add_up_to_the_total(city, report):
    now = timezone.now()
    garbage = [report(now=now, description=f"路面有大量垃圾未清理{i}") for i in range(3)]
    report(now=now, description="井盖缺失，行人危险")
    report(now=now, description="井盖松动有响声")
    c = as_user(city.operator_a)
    _accept(c, garbage[0])
    url = reverse("events:list")

    unfiltered = c.get(url)
    assert chips(unfiltered)["全部"] == total(unfiltered) == 5

    r = c.get(url, {"q": "垃圾"})
    counts = chips(r)
    assert total(r) == 3
    assert counts["全部"] == 3  # not 5: the chips count under the text filter
    assert counts["待受理"] == 2 and counts["已受理"] == 1

    # with a status chosen the other chips keep their counts under the remaining filters
    r = c.get(url, {"q": "垃圾", "status": "accepted"})
    assert total(r) == 1
    assert chips(r) == counts


def test_status_chips_follow_region_and_period_filters(city, report):
    now = timezone.now()
    report(now=now)
    report(now=now)
    report(now=now, lng=116.105)  # township B
    c = as_user(city.county_operator)
    url = reverse("events:list")
    assert chips(c.get(url))["全部"] == 3
    r = c.get(url, {"region": city.township_b.code})
    assert chips(r)["全部"] == total(r) == 1
    day = timezone.localdate(now)
    r = c.get(url, {"reported_from": (day.replace(year=day.year - 1)).isoformat(),
                    "reported_to": (day.replace(year=day.year - 1)).isoformat()})
    assert chips(r)["全部"] == total(r) == 0


def test_counts_by_status_is_one_grouped_query_over_the_filtered_events(city, report, django_assert_num_queries):
    now = timezone.now()
    for i in range(4):
        report(now=now, description=f"路面有大量垃圾未清理{i}")
    report(now=now, description="井盖缺失危险")
    with django_assert_num_queries(1):
        counts = services.counts_by_status(city.operator_a, q="垃圾", status="accepted")
    assert counts == {"reported": 4}
    assert sum(counts.values()) == services.filtered_events(city.operator_a, q="垃圾").count()


def test_invalid_filters_show_no_counts_rather_than_the_unfiltered_ones(city, report):
    report(now=timezone.now())
    r = as_user(city.operator_a).get(reverse("events:list"), {"sla_state": "soon"})
    assert r.status_code == 400
    assert chips(r)["全部"] == 0


def test_the_api_counts_by_status_under_the_same_filters(city, report, api):
    now = timezone.now()
    report(now=now, description="路面有大量垃圾未清理")
    report(now=now, description="井盖缺失危险")
    status, body = api("get", "/events?q=垃圾", city.operator_a)
    assert status == 200 and body["count"] == 1 and body["counts_by_status"] == {"reported": 1}
    status, body = api("get", "/events?q=垃圾&status=accepted", city.operator_a)
    assert body["count"] == 0 and body["counts_by_status"] == {"reported": 1}


def test_the_total_of_a_list_of_several_statuses_is_its_rows_counted_once(city, report):
    from gridgov.events.models import Event

    now = timezone.now()
    events = [report(now=now, description=f"路灯不亮{i}") for i in range(4)]
    c = as_user(city.operator_a)
    _accept(c, events[0])
    _accept(c, events[1])
    url = reverse("events:list")
    visible = Event.objects.visible_to(city.operator_a)
    for status in ("reported,accepted", "accepted", "accepted,accepted", "closed,reported"):
        wanted = set(status.split(","))
        r = c.get(url, {"status": status})
        assert total(r) == visible.filter(status__in=wanted).count(), status
        assert len(re.findall(r'data-testid="status-badge"', r.content.decode())) == total(r)

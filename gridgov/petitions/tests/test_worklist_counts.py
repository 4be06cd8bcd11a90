"""The petitions worklist's status chips count under the active filters, like the events worklist's."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from gridgov.petitions import services


def chips(response) -> dict[str, int]:
    body = response.content.decode()
    nav = re.search(r'<nav class="chips".*?</nav>', body, re.S).group(0)
    return {label.strip(): int(n) for label, n in re.findall(r">([^<>]+?) <b>(\d+)</b></a>", nav)}


def test_the_petition_chips_follow_the_filters(city, register):
    register(subject="小区物业乱收费")
    register(subject="小区物业不作为")
    register(subject="拖欠农民工工资", channel="visit")
    c = Client()
    c.force_login(city.operator_a)
    url = reverse("petitions:list")
    assert chips(c.get(url))["全部"] == 3
    assert chips(c.get(url, {"q": "物业"}))["全部"] == 2
    assert chips(c.get(url, {"channel": "visit"}))["全部"] == 1
    assert services.counts_by_status(city.operator_a, q="工资", status="closed") == {
        next(iter(services.counts_by_status(city.operator_a, q="工资"))): 1}


def test_the_petition_api_counts_under_the_same_filters(city, register, api):
    register(subject="小区物业乱收费")
    register(subject="拖欠农民工工资")
    status, body = api("get", "/petitions?q=工资", city.operator_a)
    assert status == 200 and body["count"] == 1 and sum(body["counts_by_status"].values()) == 1

"""The staff API of 积分 (/api/v1/points/): ranking and redemptions, scoped like the pages."""

from __future__ import annotations

import pytest
from django.utils import timezone

from gridgov.points import services
from gridgov.points.models import CatalogueItem, EntryKind, Participant, Redemption


@pytest.fixture
def member(city):
    who = Participant.objects.create(phone="13800009999", name="王五", community=city.community_a)
    services._write(who, None, EntryKind.AWARD, 12, "test:seed", "测试", timezone.now())
    item = CatalogueItem.objects.create(community=city.community_a, name="理发一次", cost=5)
    return who, item


def test_the_ranking_is_masked_and_scoped(api, city, member):
    status, body = api("get", "/points/ranking", user=city.operator_a)
    assert status == 200 and body["results"][0]["name"] == "王**" and body["results"][0]["phone"] == "138****9999"
    assert api("get", "/points/ranking", user=city.operator_b)[1]["results"] == []
    assert api("get", f"/points/ranking?community={city.community_a.code}", user=city.operator_b)[0] == 404
    assert api("get", "/points/ranking?limit=0", user=city.operator_a)[0] == 422
    assert api("get", "/points/ranking")[0] == 401


def test_redemptions_are_listed_confirmed_and_cancelled_in_scope(api, city, member):
    who, item = member
    r1 = services.request_redemption(who.phone_hash, item.pk)
    r2 = services.request_redemption(who.phone_hash, item.pk)
    status, body = api("get", "/points/redemptions?status=requested", user=city.operator_a)
    assert status == 200 and body["count"] == 2 and body["results"][0]["participant"] == "王**"
    assert api("get", "/points/redemptions?status=x", user=city.operator_a)[0] == 422
    assert api("post", f"/points/redemptions/{r1.pk}/confirm", user=city.operator_b)[0] == 404
    status, body = api("post", f"/points/redemptions/{r1.pk}/confirm", user=city.operator_a)
    assert status == 200 and body["status"] == "handed_over" and body["confirmed_by"]
    assert api("post", f"/points/redemptions/{r1.pk}/cancel", user=city.operator_a)[0] == 409
    status, body = api("post", f"/points/redemptions/{r2.pk}/cancel", user=city.operator_a)
    assert status == 200 and body["status"] == "cancelled"
    assert Participant.objects.get(pk=who.pk).balance == 7
    assert Redemption.objects.filter(status="requested").count() == 0

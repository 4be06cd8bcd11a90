"""Redeeming points for a community's services and goods: never past the balance (one request after another
or two at once), a cancel gives the points back, and only staff whose region covers the community act on it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Sum

from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.points import services
from gridgov.points.models import CatalogueItem, EntryKind, Participant, PointEntry, Redemption
from gridgov.testing import at_once

PHONE = "13800005678"


@pytest.fixture
def rich(city):
    """A citizen of community A holding 12 points (one award entry, as the ledger writes it)."""
    who = Participant.objects.create(phone=PHONE, name="张三", community=city.community_a)
    services._write(who, None, EntryKind.AWARD, 12, "test:seed", "测试", who.created_at)
    return Participant.objects.get(pk=who.pk)


@pytest.fixture
def item(city):
    return CatalogueItem.objects.create(community=city.community_a, name="理发一次", cost=5, stock=10)


def ledger_sum(p):
    return p.entries.aggregate(s=Sum("points"))["s"] or 0


def test_a_redemption_takes_the_cost_and_refuses_to_overdraw(city, rich, item):
    services.request_redemption(rich.phone_hash, item.pk)
    services.request_redemption(rich.phone_hash, item.pk)
    with pytest.raises(ValidationFailed) as exc:
        services.request_redemption(rich.phone_hash, item.pk)  # 2 left, costs 5
    assert "积分不足" in exc.value.fields["item"][0]
    rich.refresh_from_db()
    assert rich.balance == 2 == ledger_sum(rich)
    assert Redemption.objects.count() == 2
    assert CatalogueItem.objects.get(pk=item.pk).stock == 8


def test_an_item_of_another_community_an_inactive_or_unknown_item_is_a_field_error(city, rich, item):
    other = CatalogueItem.objects.create(community=city.community_b, name="义诊", cost=1)
    off = CatalogueItem.objects.create(community=city.community_a, name="下架", cost=1, active=False)
    for pk in (other.pk, off.pk, 999999, "abc", None, 10**30, -1):
        with pytest.raises(ValidationFailed) as exc:
            services.request_redemption(rich.phone_hash, pk)
        assert "item" in exc.value.fields
    assert Redemption.objects.count() == 0


def test_an_item_out_of_stock_is_refused(city, rich, item):
    item.stock = 0
    item.save()
    with pytest.raises(ValidationFailed) as exc:
        services.request_redemption(rich.phone_hash, item.pk)
    assert "兑完" in exc.value.fields["item"][0]


def test_cancel_refunds_with_a_positive_entry_and_returns_the_stock(city, rich, item):
    r = services.request_redemption(rich.phone_hash, item.pk)
    services.cancel_redemption(city.operator_a, r.pk)
    rich.refresh_from_db()
    refund = PointEntry.objects.get(kind=EntryKind.REFUND)
    assert refund.points == 5 and refund.source == f"redemption:{r.pk}"
    assert rich.balance == 12 == ledger_sum(rich)
    assert CatalogueItem.objects.get(pk=item.pk).stock == 10
    with pytest.raises(Conflict):
        services.cancel_redemption(city.operator_a, r.pk)  # not twice
    assert PointEntry.objects.filter(kind=EntryKind.REFUND).count() == 1


def test_staff_covering_the_community_confirm_the_hand_over(city, rich, item):
    r = services.request_redemption(rich.phone_hash, item.pk)
    done = services.confirm_redemption(city.operator_a, r.pk)
    assert done.status == Redemption.Status.HANDED_OVER and done.confirmed_by == city.operator_a
    with pytest.raises(Conflict):
        services.cancel_redemption(city.leader_county, r.pk)  # handed over: no refund


def test_staff_out_of_scope_get_not_found(city, rich, item):
    r = services.request_redemption(rich.phone_hash, item.pk)
    for user in (city.operator_b, city.worker_b, city.liaison_cg):
        with pytest.raises(NotFound):
            services.confirm_redemption(user, r.pk)
        with pytest.raises(NotFound):
            services.cancel_redemption(user, r.pk)
    assert Redemption.objects.get(pk=r.pk).status == Redemption.Status.REQUESTED
    with pytest.raises(NotFound):
        services.confirm_redemption(city.operator_a, 10**30)  # no overflow in the database: a 404


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_redemptions_cannot_overdraw(city):
    if connection.vendor != "postgresql":
        pytest.skip("two connections racing for one balance need PostgreSQL (SQLite serialises writers)")
    who = Participant.objects.create(phone=PHONE, community=city.community_a)
    services._write(who, None, EntryKind.AWARD, 8, "test:seed", "测试", who.created_at)
    item = CatalogueItem.objects.create(community=city.community_a, name="理发一次", cost=5)
    def run():
        try:
            services.request_redemption(who.phone_hash, item.pk)
            return "ok"
        except ValidationFailed:
            return "refused"

    results = at_once(run)
    assert sorted(results) == ["ok", "refused"]
    who.refresh_from_db()
    assert who.balance == 3 == ledger_sum(who)

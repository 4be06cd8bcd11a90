"""Any sequence of awards, redemptions, cancels and hand-overs keeps the cached balance equal to the ledger's sum,
never lets a redemption take the balance below zero, and leaves the stock in step with the open redemptions."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgov.core.errors import DomainError
from gridgov.points import services
from gridgov.points.models import CatalogueItem, EntryKind, Participant, Redemption

STEPS = st.lists(st.one_of(
    st.tuples(st.just("award"), st.integers(0, 12)),
    st.tuples(st.just("redeem"), st.integers(0, 1)),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("confirm"), st.integers(0, 5)),
), max_size=25)


class _Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_random_sequences_keep_the_balance_the_ledger_and_the_stock_consistent(city, steps):
    try:
        with transaction.atomic():
            who = Participant.objects.create(phone="13800001000", community=city.community_a)
            items = [CatalogueItem.objects.create(community=city.community_a, name="理发", cost=5, stock=4),
                     CatalogueItem.objects.create(community=city.community_a, name="维修", cost=8)]
            for i, (op, arg) in enumerate(steps):
                try:
                    if op == "award":
                        locked = Participant.objects.select_for_update().get(pk=who.pk)
                        services._write(locked, None, EntryKind.AWARD, arg, f"test:{i}", "测试", timezone.now())
                    elif op == "redeem":
                        services.request_redemption(who.phone_hash, items[arg].pk)
                    else:
                        open_ = list(Redemption.objects.order_by("pk").values_list("pk", flat=True))
                        if open_:
                            act = services.cancel_redemption if op == "cancel" else services.confirm_redemption
                            act(city.operator_a, open_[arg % len(open_)])
                except DomainError:
                    pass
                p = Participant.objects.get(pk=who.pk)
                assert p.balance == (p.entries.aggregate(s=Sum("points"))["s"] or 0)
                assert p.earned == (p.entries.filter(kind__in=["award", "reversal"])
                                    .aggregate(s=Sum("points"))["s"] or 0)
                assert p.balance >= 0  # only redemptions spend here, and they never overdraw
                held = Redemption.objects.filter(item=items[0]).exclude(status=Redemption.Status.CANCELLED).count()
                assert CatalogueItem.objects.get(pk=items[0].pk).stock == 4 - held
            raise _Rollback
    except _Rollback:
        pass

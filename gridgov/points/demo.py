"""The demo city's 积分: the events the demo generates earn their citizen and hotline reporters points through
the ordinary signal (nothing to do here); this adds each earning community's 邻礼中心 catalogue and one
request to hand over. Idempotent."""

from __future__ import annotations

from django.db.models import Count

from gridgov.points import services
from gridgov.points.models import CatalogueItem, Participant, Redemption
from gridgov.regions.models import Region

ITEMS = [
    ("理发一次", "社区志愿理发点，凭兑换记录到社区服务站", 5, None),
    ("环保购物袋", "邻礼中心领取", 5, 50),
    ("家电义务维修一次", "社区志愿者上门，小家电", 15, None),
]


def generate_catalogue(log=None, communities: int = 5) -> dict:
    earning = (Region.objects.filter(level=Region.Level.COMMUNITY, participant__isnull=False)
               .annotate(n=Count("participant")).order_by("-n", "code")[:communities])
    made = 0
    for community in earning:
        for name, description, cost, stock in ITEMS:
            _item, created = CatalogueItem.objects.get_or_create(
                community=community, name=name, defaults={"description": description, "cost": cost, "stock": stock})
            made += created
    requested = 0
    if not Redemption.objects.exists():
        who = (Participant.objects.filter(community__in=list(earning), balance__gte=5)
               .order_by("-balance", "pk").first())
        if who is not None:
            item = CatalogueItem.objects.filter(community=who.community, cost__lte=who.balance).order_by("cost").first()
            if item is not None:
                services.request_redemption(who.phone_hash, item.pk)
                requested = 1
    if log:
        log(f"积分：参与者 {Participant.objects.count()} 人，兑换物品新增 {made} 件，待领取兑换 {requested} 件")
    return {"items": made, "redemptions": requested}

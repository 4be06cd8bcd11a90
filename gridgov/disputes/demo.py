"""Demo data for disputes: the mediator pool (调解员超市), the login ``mediator_gulou`` and a few cases
in several states, all through the real services.  Idempotent: mediators and the login are fetched by
name, cases are made only when the demo city has none."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.disputes import services
from gridgov.disputes.models import Dispute, Mediator
from gridgov.regions.models import Grid, Region

TOWNSHIP = "371502001"
COUNTY = "371502"

# name, org kind, org name, specialties, region code, bio
MEDIATORS = [
    ("王桂兰", "studio", "桂兰调解工作室", ["neighbor", "marriage", "housing"], TOWNSHIP,
     "社区老党员，从事人民调解二十年，擅长家长里短"),
    ("刘建国", "committee", "古楼街道人民调解委员会", ["neighbor", "property", "contract"], TOWNSHIP,
     "街道调委会主任，熟悉物业和邻里纠纷"),
    ("陈律师", "professional", "东昌府区劳动争议人民调解委员会", ["labor", "contract"], COUNTY,
     "执业律师，专注劳动争议和欠薪"),
    ("赵医生", "professional", "东昌府区医疗纠纷人民调解委员会", ["medical"], COUNTY, "退休主任医师"),
    ("孙警官", "professional", "东昌府区道路交通事故调解委员会", ["traffic", "consumer"], COUNTY, "退休交警"),
]


# the agreement (调解协议) of a demo case, by dispute type: what such a dispute settles on; ``{amount}`` is
# the case's amount in yuan (gridgov/disputes/tests/test_demo_coherence.py checks every demo agreement)
AGREEMENT_TERMS = {
    "neighbor": ["被申请人于十日内赔偿申请人维修费{amount}元\n双方就此事互不追究",
                 "双方同意共同出资疏通宅前排水沟，今后轮流清理\n双方就此事互不追究"],
    "marriage": ["双方自愿和好，男方承诺共同承担家务、不再恶语相向\n女方撤回离婚请求，房产仍为夫妻共同财产",
                 "双方自愿离婚，房产归女方所有，女方于六十日内补偿男方{amount}元"],
    "property": ["物业公司暂缓执行新的停车收费标准，三十日内召开业主大会协商定价\n业主按原标准缴纳停车费"],
    "labor": ["用工单位于十五日内分两期支付拖欠的工资共计{amount}元\n工人不再采取过激方式讨薪"],
}


def agreement_terms(dispute_type: str, amount) -> list[str]:
    """The agreements a demo case of ``dispute_type`` may carry, with its amount filled in."""
    return [t.format(amount=int(amount)) for t in AGREEMENT_TERMS.get(dispute_type, [])]


def ensure_mediators(password: str) -> tuple[str, str, str]:
    user, created = User.objects.get_or_create(
        username="mediator_gulou",
        defaults={"role": User.Role.MEDIATOR, "full_name": "王桂兰（调解员）",
                  "region": Region.objects.get(code=TOWNSHIP)},
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    for name, kind, org, specialties, region, bio in MEDIATORS:
        Mediator.objects.get_or_create(name=name, org_name=org, defaults={
            "org_kind": kind, "specialties": specialties, "region": Region.objects.get(code=region), "bio": bio,
            "user": user if name == "王桂兰" else None})
    return ("mediator_gulou", str(user.get_role_display()), "桂兰调解工作室")


def _point(grid: Grid):
    from shapely.geometry import shape

    c = shape(grid.boundary).representative_point()
    return c.x, c.y


def generate_disputes(log=None) -> int:
    if Dispute.objects.filter(region__code__startswith=COUNTY).exists():
        if log:
            log(f"纠纷：已有 {Dispute.objects.count()} 件，未重复生成")
        return 0
    worker = User.objects.get(username="worker_gulou")
    operator = User.objects.get(username="op_gulou")
    grids = list(Grid.objects.filter(staff__user=worker).order_by("code"))
    wang = Mediator.objects.get(name="王桂兰")
    liu = Mediator.objects.get(name="刘建国")
    now = timezone.now()
    cases = [
        ("neighbor", "楼上卫生间漏水导致楼下天花板发霉，双方多次争吵", 3000, 2, "closed", wang, 40),
        ("property", "业主与物业因停车费上涨发生争执，十余户业主联名", 0, 12, "mediating", liu, 6),
        ("labor", "工地拖欠八名工人三个月工资，有工人扬言要跳楼", 180000, 8, "accepted", None, 1),
        ("marriage", "夫妻因家务琐事长期争吵，女方要求离婚分割房产", 0, 2, "succeeded", wang, 12),
        ("neighbor", "两户因宅前排水沟堵塞互相指责", 0, 2, "registered", None, 0),
    ]
    session = {"mode": "onsite", "place": "社区调解室", "participants": "双方当事人、调解员、网格员",
               "minutes": "双方陈述事实，调解员释法说理"}
    for i, (kind, text, amount, people, upto, mediator, days_ago) in enumerate(cases):
        at = now - timedelta(days=days_ago, hours=2)
        lng, lat = _point(grids[i % len(grids)])
        d = services.create_dispute(worker, services.DisputeInput(
            dispute_type=kind, description=text, amount=amount, people_count=people, lng=lng, lat=lat,
            parties=[{"role": "applicant", "name": f"申请人{i + 1}", "phone": f"1380000{i + 1:04d}"},
                     {"role": "respondent", "name": f"被申请人{i + 1}", "phone": f"1390000{i + 1:04d}"}]), now=at)
        steps = []
        if upto != "registered":
            steps.append((operator, "accept", {}))
        if mediator:
            steps += [(operator, "assign", {"mediator": mediator.pk}), (mediator.user or operator, "start", {}),
                      (mediator.user or operator, "session", {**session, "held_at": (at + timedelta(hours=26)).isoformat()})]
        if upto in ("succeeded", "closed"):
            # an agreement that fits the dispute (a marriage is not settled by a repair bill)
            terms = agreement_terms(kind, amount)[0]
            steps.append((mediator.user or operator, "succeed", {"terms": terms}))
        if upto == "closed":
            steps += [(operator, "follow_up", {"note": "回访双方，协议已履行", "satisfaction": "satisfied",
                                               "performance": "fulfilled"}), (operator, "close", {})]
        for n, (actor, action, raw) in enumerate(steps):
            services.perform_action(actor, d, action, raw, now=at + timedelta(hours=3 + n * 24))
    if log:
        log(f"纠纷：{len(cases)} 件，调解员 {Mediator.objects.count()} 名")
    return len(cases)

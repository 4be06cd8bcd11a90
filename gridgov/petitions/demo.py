"""A few petitions for the demo city, through the real services (called by demo.services.load_demo)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.petitions import services
from gridgov.petitions.models import Petition

CITY = "3715"


def generate_petitions(log=None) -> int:
    """Only when the demo city has no petitions yet: running the demo twice adds nothing."""
    if Petition.objects.filter(region__code__startswith=CITY).exists():
        if log:
            log(f"信访：已有 {Petition.objects.filter(region__code__startswith=CITY).count()} 件，未重复生成")
        return 0
    op = User.objects.get(username="op_gulou")
    worker = User.objects.get(username="worker_gulou")
    leader = User.objects.get(username="leader_county")
    now = timezone.now()
    P = services.PetitionerInput

    def reg(actor, days_ago, channel, subject, demands, people, **kw):
        data = services.PetitionInput(channel=channel, subject=subject, demands=demands, petitioners=people,
                                      target_agency=kw.pop("agency", "古楼街道办事处"), **kw)
        return services.create_petition(actor, data, now=now - timedelta(days=days_ago))

    def act(p, user, action, days_ago, **raw):
        services.perform_action(user, Petition.objects.get(pk=p.pk), action, raw, now=now - timedelta(days=days_ago))

    made = []
    # a letter replied in time and closed
    p = reg(op, 50, "letter", "小区物业乱收费", "要求物业公示收费标准并退还多收费用", [P("刘建国", "13805350001")])
    act(p, op, "acknowledge", 47)
    act(p, op, "accept", 45, department="ZJJ", note="交住建局办理")
    act(p, op, "reply", 20, note="经核查，已责令物业公司整改并退还多收费用。",
        reply_date=str(timezone.localdate() - timedelta(days=20)))
    act(p, op, "close", 19)
    # received by mail two days after the reply: the 30-day 复查 window runs from that day
    act(p, op, "record_delivery", 18, delivery_date=str(timezone.localdate() - timedelta(days=18)), note="邮寄送达")
    made.append(p)
    # the same person again on the same matter: a repeat
    made.append(reg(op, 10, "visit", "再次反映小区物业乱收费问题", "物业仍未退还费用", [P("刘建国", "13805350001")]))
    # a collective visit, taken by the county leader
    p = reg(op, 12, "visit", "企业拖欠农民工工资", "要求支付拖欠三个月的工资",
            [P(f"务工人员{i}", f"1380535010{i}") for i in range(6)], people_count=23, agency="某建筑公司")
    act(p, op, "accept", 11, note="予以受理")
    act(p, leader, "take", 10)
    made.append(p)
    # a letter nobody answered yet (past its 7 days), and a fresh online petition
    made.append(reg(op, 9, "letter", "夜间施工噪声扰民", "要求限制夜间施工时间", [P("陈秀英", "13805350002")]))
    made.append(reg(worker, 1, "online", "楼道电动车充电隐患", "要求增设集中充电桩", [P("张敏", "13805350003")]))
    if log:
        log(f"信访：{len(made)} 件")
    return len(made)

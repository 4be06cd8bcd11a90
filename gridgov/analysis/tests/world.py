"""Fixed data for the analysis tests: events, disputes and petitions reported on given days in the test city
(gridgov.testing.make_city), through the real services (so the rollups are the kernel's)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from gridgov.disputes import services as dispute_services
from gridgov.disputes.models import Dispute
from gridgov.events import services as event_services
from gridgov.events.taxonomy import install_default_categories
from gridgov.petitions import services as petition_services

TZ = ZoneInfo("Asia/Shanghai")
A1 = (116.005, 36.405)   # 古楼街道 (township A), grid a1
B1 = (116.105, 36.405)   # 柳园街道 (township B), grid b1
MONTH, PREV, LAST_YEAR = "2026-11", "2026-10", "2025-11"


def at(y: int, m: int, d: int, h: int = 9) -> datetime:
    return datetime(y, m, d, h, 0, tzinfo=TZ)


def event(actor, where, when, category="0301"):
    install_default_categories()
    data = event_services.EventInput(category=category, description="路面有大量垃圾未清理", lng=where[0], lat=where[1])
    return event_services.create_event(actor, data, now=when)[0]


def dispute(actor, when, where=A1, n: int = 1, **kw) -> Dispute:
    """A dispute whose parties (``n`` picks their phones) are in no other dispute unless ``n`` repeats."""
    base = dict(dispute_type="neighbor", description="楼上漏水导致楼下天花板损坏，双方多次争吵",
                parties=[{"role": "applicant", "name": "张三", "phone": f"1380000{n:02d}01"},
                         {"role": "respondent", "name": "李四", "phone": f"1380000{n:02d}02"}],
                lng=where[0], lat=where[1], address="古城路1号", amount=3000, people_count=2)
    base.update(kw)
    return dispute_services.create_dispute(actor, dispute_services.DisputeInput(**base), now=when)


def petition(actor, when, subject="小区物业乱收费", phone="13800138000", name="王建国", **kw):
    kw.setdefault("demands", "要求物业退还多收的物业费并公示收费标准")
    kw.setdefault("target_agency", "某物业公司")
    data = petition_services.PetitionInput(channel="letter", subject=subject,
                                           petitioners=[petition_services.PetitionerInput(name=name, phone=phone)], **kw)
    return petition_services.create_petition(actor, data, now=when)


def build(city) -> None:
    """Township A: 3 events in 2026-11 (two 0301, one 0101), 1 in 2026-10, none in 2025-11; township B: one
    event in each of the three months. Disputes in 2026-11: two neighbour (one rejected), one labour with six
    people (较大). Petitions in 2026-11: two from the same person on the same subject (the second a repeat)."""
    for d in (3, 4):
        event(city.worker_a, A1, at(2026, 11, d))
    event(city.worker_a, A1, at(2026, 11, 5), category="0101")
    event(city.worker_a, A1, at(2026, 10, 12))
    for when in (at(2026, 11, 6), at(2026, 10, 6), at(2025, 11, 6)):
        event(city.operator_b, B1, when)
    dispute(city.worker_a, at(2026, 11, 9), n=1)
    rejected = dispute(city.worker_a, at(2026, 11, 10), n=2)
    dispute_services.perform_action(city.operator_a, Dispute.objects.get(pk=rejected.pk), "reject",
                                    {"note": "不属于调解范围"}, now=at(2026, 11, 10, 11))
    dispute(city.worker_a, at(2026, 11, 11), n=3, dispute_type="labor", people_count=6)
    petition(city.operator_a, at(2026, 11, 2))
    petition(city.operator_a, at(2026, 11, 3), subject="小区物业乱收费问题")

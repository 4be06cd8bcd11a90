"""The default two-level event taxonomy with default departments, urgency and time limits.

Administrators edit it afterwards in the admin; ``install_default_categories`` only
creates what is missing, so it never overwrites their changes.
"""

from __future__ import annotations

from django.db import transaction

from gridgov.accounts.models import Department
from gridgov.events.models import Category, TimeUnit, Urgency

WH, WD, NH = TimeUnit.WORKING_HOURS, TimeUnit.WORKING_DAYS, TimeUnit.NATURAL_HOURS
N, U, C = Urgency.NORMAL, Urgency.URGENT, Urgency.CRITICAL

# (code, name, [(code, name, default department code, urgency, limit, unit)])
DEFAULT_TAXONOMY = [
    ("01", "矛盾纠纷", [
        ("0101", "家庭邻里纠纷", "SFJ", N, 5, WD),
        ("0102", "劳动社保纠纷", "RSJ", N, 5, WD),
        ("0103", "房屋租赁纠纷", "ZJJ", N, 5, WD),
        ("0104", "物业管理纠纷", "ZJJ", N, 5, WD),
        ("0105", "征地拆迁纠纷", "ZRZY", U, 10, WD),
        ("0106", "土地承包纠纷", "NYNC", N, 10, WD),
        ("0107", "婚姻家庭纠纷", "SFJ", N, 5, WD),
        ("0108", "欠薪讨薪", "RSJ", U, 3, WD),
        ("0109", "医疗纠纷", "WJW", N, 10, WD),
        ("0110", "消费纠纷", "SCJG", N, 5, WD),
    ]),
    ("02", "问题隐患", [
        ("0201", "社会治安", "GAJ", U, 24, NH),
        ("0202", "安全生产", "YJJ", U, 2, WD),
        ("0203", "消防隐患", "XFJY", U, 2, WD),
        ("0204", "食品药品安全", "SCJG", U, 3, WD),
        ("0205", "环保生态", "STHJ", N, 5, WD),
        ("0206", "交通运输", "JTJ", N, 5, WD),
        ("0207", "校园周边安全", "JYJ", U, 3, WD),
        ("0208", "特殊人群异常", "GAJ", C, 4, NH),
    ]),
    ("03", "城市管理", [
        ("0301", "道路保洁", "CGJ", N, 2, WH),
        ("0302", "私搭乱建", "CGJ", N, 7, WD),
        ("0303", "占道经营", "CGJ", N, 1, WD),
        ("0304", "违规停车", "GAJ", N, 4, WH),
        ("0305", "市政设施损坏", "CGJ", N, 3, WD),
        ("0306", "井盖缺失", "CGJ", C, 4, NH),
        ("0307", "绿化损毁", "CGJ", N, 5, WD),
        ("0308", "噪声扰民", "STHJ", N, 2, WD),
    ]),
    ("04", "民生服务", [
        ("0401", "供水供电供气", "ZJJ", U, 1, WD),
        ("0402", "社会救助", "MZJ", N, 5, WD),
        ("0403", "就业帮扶", "RSJ", N, 10, WD),
        ("0404", "其他", None, N, 5, WD),
    ]),
]


def install_default_categories() -> dict:
    created = 0
    with transaction.atomic():
        for order, (pcode, pname, children) in enumerate(DEFAULT_TAXONOMY):
            parent, made = Category.objects.get_or_create(code=pcode, defaults={"name": pname, "order": order})
            created += made
            for i, (code, name, dept, urgency, limit, unit) in enumerate(children):
                department = Department.objects.filter(code=dept).first() if dept else None
                _obj, made = Category.objects.get_or_create(
                    code=code,
                    defaults={"name": name, "parent": parent, "default_department": department, "urgency": urgency,
                              "time_limit": limit, "time_unit": unit, "order": order * 100 + i},
                )
                created += made
    return {"created": created, "total": Category.objects.count()}

"""The demo city's Open311 service definitions: a few services ask the questions a civic-issue app shows."""

from __future__ import annotations

from gridgov.events.models import Category
from gridgov.open311.models import ServiceAttribute

YES_NO = [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}]

# (category code, attribute code, datatype, required, question, values)
ATTRIBUTES = [
    ("0301", "blocked", "singlevaluelist", True, "是否影响通行？", YES_NO),
    ("0301", "area", "number", False, "大约多大面积（平方米）？", []),
    ("0305", "facility", "singlevaluelist", True, "损坏的是什么设施？",
     [{"key": "light", "name": "路灯"}, {"key": "rail", "name": "护栏"}, {"key": "sign", "name": "标志牌"},
      {"key": "other", "name": "其他"}]),
    ("0306", "danger", "singlevaluelist", True, "是否已有人或车辆掉入风险？", YES_NO),
    ("0308", "hours", "multivaluelist", False, "通常在什么时段？",
     [{"key": "morning", "name": "早上"}, {"key": "day", "name": "白天"}, {"key": "evening", "name": "晚上"},
      {"key": "night", "name": "深夜"}]),
]


def ensure_service_attributes(log=None) -> int:
    """Create the demo's service attributes that are missing (idempotent); returns how many were created."""
    categories = {c.code: c for c in Category.objects.filter(code__in={a[0] for a in ATTRIBUTES})}
    made = 0
    for order, (code, attr, datatype, required, question, values) in enumerate(ATTRIBUTES, start=1):
        if code not in categories:
            continue
        _, created = ServiceAttribute.objects.get_or_create(
            category=categories[code], code=attr,
            defaults={"datatype": datatype, "required": required, "description": question, "values": values,
                      "order": order})
        made += created
    if log and made:
        log(f"Open311 服务附加字段：新增 {made} 个")
    return made

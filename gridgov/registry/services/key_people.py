"""Key populations (重点人员): the categories (six built in, more from the admin) with their attribute schema
and visit intervals, and listing (列管) a resident in one."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.errors import ValidationFailed
from gridgov.registry.models import KeyCategory, KeyPerson, Resident, RiskLevel
from gridgov.registry.services.access import require_in_scope, require_writer
from gridgov.registry.services.history import record_change, snapshot

DEFAULT_KEY_CATEGORIES = [
    ("community_correction", "社区矫正对象", {"high": 7, "medium": 15, "low": 30}, [
        {"key": "term_end", "label": "矫正期满日期", "type": "date", "required": True},
        {"key": "correction_type", "label": "矫正类别", "type": "choice", "choices": ["管制", "缓刑", "假释", "暂予监外执行"],
         "required": True},
    ]),
    ("released", "刑满释放人员", {"high": 7, "medium": 30, "low": 30}, [
        {"key": "released_on", "label": "释放日期", "type": "date", "required": True},
        {"key": "aftercare", "label": "安置帮教情况", "type": "choice", "choices": ["已安置", "未安置", "帮教中", "已解除帮教"]},
    ]),
    ("drug_user", "吸毒人员", {"high": 7, "medium": 15, "low": 30}, [
        {"key": "program", "label": "管控类型", "type": "choice", "choices": ["社区戒毒", "社区康复", "其他"], "required": True},
    ]),
    ("mental_health", "严重精神障碍患者", {"high": 7, "medium": 14, "low": 30}, [
        {"key": "danger_level", "label": "危险性评估等级", "type": "int", "min": 0, "max": 5, "required": True},
        {"key": "guardian", "label": "监护人", "type": "text", "required": True},
    ]),
    ("youth", "重点青少年", {"high": 7, "medium": 30, "low": 30}, [
        {"key": "school", "label": "学校或就业情况", "type": "text"},
    ]),
    ("petitioner", "信访重点人员", {"high": 7, "medium": 30, "low": 30}, [
        {"key": "subject", "label": "信访事项", "type": "text"},
    ]),
]


def install_default_key_categories() -> int:
    made = 0
    for order, (code, name, intervals, attributes) in enumerate(DEFAULT_KEY_CATEGORIES):
        _obj, created = KeyCategory.objects.get_or_create(
            code=code, defaults={"name": name, "intervals": intervals, "attributes": attributes, "builtin": True,
                                 "order": order})
        made += created
    return made


def check_attributes(category: KeyCategory, values: dict) -> tuple[dict, dict]:
    clean, errors = {}, {}
    for spec in category.attributes:
        key, label = spec["key"], spec.get("label", spec["key"])
        raw = values.get(key)
        raw = raw.strip() if isinstance(raw, str) else raw
        if raw in (None, ""):
            if spec.get("required"):
                errors[f"attributes.{key}"] = [_("请填写%(label)s") % {"label": label}]
            continue
        kind = spec.get("type", "text")
        try:
            if kind == "date":
                value = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
                clean[key] = value.isoformat()
            elif kind == "int":
                value = int(raw)
                if ("min" in spec and value < spec["min"]) or ("max" in spec and value > spec["max"]):
                    raise ValueError
                clean[key] = value
            elif kind == "choice":
                if raw not in spec.get("choices", []):
                    raise ValueError
                clean[key] = raw
            else:
                clean[key] = str(raw)[:200]
        except (TypeError, ValueError):
            errors[f"attributes.{key}"] = [_("%(label)s无效") % {"label": label}]
    return clean, errors


def list_key_person(actor, resident: Resident, category: KeyCategory, *, risk_level: str = RiskLevel.LOW,
                    attributes: dict | None = None, worker: User | None = None, since: date | None = None,
                    note: str = "", key_person: KeyPerson | None = None, source: str = "web"
                    ) -> tuple[KeyPerson, bool]:
    """List (列管) a resident in a key-population category, or update the listing."""
    require_writer(actor)
    if key_person is not None:  # a listing they look after (a worker may be assigned one outside their grids)
        require_in_scope(actor, key_person, _("未找到该重点人员"))
    else:
        require_in_scope(actor, resident, _("未找到该人员"))
    clean, errors = check_attributes(category, attributes or {})
    if risk_level not in RiskLevel.values:
        errors["risk_level"] = [_("风险等级无效")]
    if worker is not None and worker.role != User.Role.GRID_WORKER:
        errors["worker"] = [_("责任人须为网格员")]
    if errors:
        raise ValidationFailed(_("重点人员信息有误"), errors)
    with transaction.atomic():
        if key_person is None:
            key_person = KeyPerson.objects.filter(resident=resident, category=category, until__isnull=True).first()
        created = key_person is None
        before = None if created else snapshot(key_person)
        key_person = key_person or KeyPerson(resident=resident, category=category)
        key_person.risk_level = risk_level
        key_person.attributes = clean
        key_person.worker = worker or key_person.worker
        key_person.since = since or key_person.since or timezone.localdate()
        key_person.note = note.strip()
        key_person.save()
        record_change(key_person, actor, before, source=source)
    return key_person, created

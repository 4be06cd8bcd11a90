"""A record's change history as the pages show it: who, when, what (field, old, new), labels for choices,
foreign keys and key-person attributes; personal values are stored masked."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.regions.models import Grid
from gridgov.registry.models import Change, House, KeyPerson, Unit

ACTION_LABELS = {"create": "新增", "update": "修改", "move": "迁居", "delete": "删除"}
EXTRA_LABELS = {"id_number": "证件号码", "id_masked": "证件号码", "birth_date": "出生年份",  # history keeps the year only
                "phone": "联系电话", "owner_phone": "产权人电话"}  # sealed phones: stored as <name>_enc/_hash


def _fk_label(field, pk, cache: dict) -> str:
    key = (field.related_model, pk)
    if key not in cache:
        obj = field.related_model._default_manager.filter(pk=pk).first()
        if obj is None:
            cache[key] = f"#{pk}"
        elif isinstance(obj, House):
            cache[key] = obj.address.text
        elif isinstance(obj, Grid):
            cache[key] = obj.name
        elif isinstance(obj, User):
            cache[key] = obj.display_name
        else:
            cache[key] = str(obj)
    return cache[key]


def _attribute_labels(change, cache: dict) -> dict:
    """A key person's category attributes, key -> label: the history stores the keys."""
    key = ("attributes", change.object_id)
    if key not in cache:
        kp = KeyPerson.objects.select_related("category").filter(pk=change.object_id).first()
        specs = kp.category.attributes if kp is not None else []
        cache[key] = {s["key"]: s.get("label") or s["key"] for s in specs if s.get("key")}
    return cache[key]


def _display(model, name: str, value, cache: dict, labels: dict | None = None) -> str:
    if value in (None, "", [], {}):
        return "—"
    try:
        field = model._meta.get_field(name)
    except Exception:  # a renamed key such as id_number
        field = None
    if field is not None and field.is_relation and isinstance(value, int):
        return _fk_label(field, value, cache)
    if field is not None and field.choices:
        return str(dict(field.choices).get(value, value))
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if name == "key_flags" and isinstance(value, list):
        return "、".join(str(Unit.KEY_FLAGS.get(v, v)) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{(labels or {}).get(k, k)}：{v}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _label(model, name: str) -> str:
    if name in EXTRA_LABELS:
        return _(EXTRA_LABELS[name])
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:
        return name


def history_rows(changes) -> list[dict]:
    """Change rows for display: who, when, what (field, old, new); personal values are stored masked."""
    cache: dict = {}
    rows = []
    for ch in changes:
        try:
            model = apps.get_model("registry", ch.model)
        except LookupError:
            continue
        items = []
        # in the model's field order: PostgreSQL's jsonb does not keep the order the keys were written in
        order = {f.name: i for i, f in enumerate(model._meta.fields)}
        for name, pair in sorted((ch.changes or {}).items(),
                                 key=lambda kv: (order.get(kv[0], order.get(f"{kv[0]}_enc", len(order))), kv[0])):
            if name in ("id_number_enc", "id_hash", "key"):
                continue
            old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            labels = _attribute_labels(ch, cache) if model is KeyPerson and name == "attributes" else None
            items.append({"label": _label(model, name), "old": _display(model, name, old, cache, labels),
                          "new": _display(model, name, new, cache, labels)})
        rows.append({"change": ch, "what": str(model._meta.verbose_name),
                     "action": _(ACTION_LABELS.get(ch.action, ch.action)), "items": items,
                     "actor": ch.actor.display_name if ch.actor_id else _("系统"),
                     "source": _source_label(ch.source)})
    return rows


def _source_label(source: str) -> str:
    if source.startswith("import:"):
        return _("Excel导入：%(f)s") % {"f": source[7:]}
    if source.startswith("transfer:"):
        return _("人口迁移申请确认（第%(n)s号）") % {"n": source[9:]}
    return {"web": _("网页"), "api": _("接口")}.get(source, source)


def house_history(house: House) -> list[Change]:
    q = Q(model="house", object_id=house.pk) | Q(model="address", object_id=house.address_id)
    tenancy_ids = list(house.tenancies.values_list("pk", flat=True))
    if tenancy_ids:
        q |= Q(model="tenancy", object_id__in=tenancy_ids)
    return list(Change.objects.filter(q).select_related("actor")[:200])

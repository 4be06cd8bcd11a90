"""Reading and acting on warnings for people (pages and API): scope, filters, the cases behind a warning
as links, the actions' parameters."""

from __future__ import annotations

from datetime import date

from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.cases import warnrules
from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.warnings import workflow
from gridgov.warnings.models import OPEN_STATUSES, Status, Warning

LEVEL_RANK = Case(*[When(level=k, then=Value(i)) for i, k in enumerate(warnrules.LEVELS)], output_field=IntegerField())


def get_visible(user, number: str) -> Warning:
    w = Warning.objects.visible_to(user).select_related("region", "center").filter(number=number).first()
    if w is None:
        raise NotFound(_("未找到该预警，或不在您的管辖范围内"))
    return w


def filtered(user, *, level: str = "", rule: str = "", region: str = "", status: str = "", q: str = ""):
    """The warnings ``user`` sees, by the filters (each optional); open first, then the highest level, the
    latest. An unknown filter value is a 422 field error."""
    errors = {}
    qs = Warning.objects.visible_to(user)
    if level:
        if level not in warnrules.LEVELS:
            errors["level"] = [_("请选择 blue / yellow / orange / red")]
        qs = qs.filter(level=level)
    if rule:
        if rule not in {s.key for s in warnrules.rules()} and not Warning.objects.filter(rule=rule).exists():
            errors["rule"] = [_("未知的预警规则")]
        qs = qs.filter(rule=rule)
    if region:
        if not region.isdigit() or len(region) > 15:
            errors["region"] = [_("区划代码无效")]
        qs = qs.filter(Q(code__startswith=region) | Q(region__code__startswith=region))
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        if status not in Status.values:
            errors["status"] = [_("请从可选状态中选择")]
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q))
    if errors:
        raise ValidationFailed(_("筛选条件有误"), errors)
    is_open = Case(When(status__in=OPEN_STATUSES, then=Value(1)), default=Value(0), output_field=IntegerField())
    return qs.annotate(_open=is_open, _rank=LEVEL_RANK).order_by("-_open", "-_rank", "-last_seen", "-id")


CASE_LABELS = {"event": _("事件"), "dispute": _("纠纷"), "petition": _("信访"), "keyperson": _("重点人员")}


def cases_behind(w: Warning, user) -> list[dict]:
    """The cases behind ``w`` as rows ``{kind, kind_label, id, number, label, url}``; a case the viewer may not
    see is listed without its link (the warning says it exists)."""
    from gridgov.disputes.models import Dispute
    from gridgov.events.models import Event
    from gridgov.petitions.models import Petition
    from gridgov.registry.models import KeyPerson

    ids: dict[str, list[int]] = {}
    for kind, cid in w.cases.values_list("kind", "case_id"):
        ids.setdefault(kind, []).append(cid)
    rows = []
    for kind, model, url_name, label_of in (
        ("event", Event, "events:detail", lambda c: c.title or c.category.name),
        ("dispute", Dispute, "disputes:detail", lambda c: c.get_dispute_type_display()),
        ("petition", Petition, "petitions:detail", lambda c: c.subject),
    ):
        if kind not in ids:
            continue
        seen = set(model.objects.visible_to(user).filter(pk__in=ids[kind]).values_list("pk", flat=True))
        qs = model.objects.filter(pk__in=ids[kind]).order_by("pk")
        if kind == "event":
            qs = qs.select_related("category")
        for c in qs:
            rows.append({"kind": kind, "kind_label": CASE_LABELS[kind], "id": c.pk, "number": c.number,
                         "label": label_of(c) if c.pk in seen else "", "status": c.get_status_display(),
                         "url": reverse(url_name, args=[c.number]) if c.pk in seen else ""})
    if "keyperson" in ids:
        seen = set(KeyPerson.objects.visible_to(user).filter(pk__in=ids["keyperson"]).values_list("pk", flat=True))
        for kp in KeyPerson.objects.filter(pk__in=ids["keyperson"]).select_related("resident", "category"):
            rows.append({"kind": "keyperson", "kind_label": CASE_LABELS["keyperson"], "id": kp.pk,
                         "number": f"{kp.resident.name}（{kp.category.name}）" if kp.pk in seen else _("重点人员"),
                         "label": kp.get_risk_level_display(), "status": "",
                         "url": reverse("registry:kp_detail", args=[kp.pk]) if kp.pk in seen else ""})
    for kind in sorted(set(ids) - {"event", "dispute", "petition", "keyperson"}):  # another app's (稳评 …)
        rows += [{"kind": kind, "kind_label": kind, "id": cid, "number": f"#{cid}", "label": "", "status": "",
                  "url": ""} for cid in sorted(ids[kind])]
    return rows


ACTION_FIELDS = ("note", "event", "level", "key_person", "method", "unit", "due_on")


NOTE_MAX = 5000


def perform_action(user, w: Warning, action: str, raw: dict | None = None, now=None):
    """Check the state and the actor (409/403), then perform with the action's own fields."""
    raw = dict(raw or {})
    w = Warning.objects.select_related("region", "center").get(pk=w.pk)
    workflow.check(w, action, user, now)
    params = {k: raw.get(k) for k in ACTION_FIELDS if raw.get(k) not in (None, "")}
    params["note"] = str(raw.get("note") or "")
    if len(params["note"]) > NOTE_MAX:  # the API's limit, for the pages too
        raise ValidationFailed(_("说明过长"), {"note": [_("最多 %(n)d 字") % {"n": NOTE_MAX}]})
    if isinstance(params.get("due_on"), date):
        params["due_on"] = params["due_on"].isoformat()
    if action == "link_supervision" and "level" in params and params["level"] not in ("yellow", "red"):
        raise ValidationFailed(_("督办级别无效"), {"level": [_("请选择黄牌或红牌")]})
    return workflow.perform(w, action, user, params, now=now)


def events_behind(w: Warning, user) -> list:
    """The open events behind ``w`` the viewer may see (what a supervision can be linked to)."""
    from gridgov.events.models import OPEN_STATUSES as EVENT_OPEN
    from gridgov.events.models import Event

    ids = list(w.cases.filter(kind="event").values_list("case_id", flat=True))
    return list(Event.objects.visible_to(user).filter(pk__in=ids, status__in=EVENT_OPEN).order_by("number"))


def key_people_behind(w: Warning, user) -> list:
    from gridgov.registry.models import KeyPerson

    ids = list(w.cases.filter(kind="keyperson").values_list("case_id", flat=True))
    return list(KeyPerson.objects.visible_to(user).filter(pk__in=ids).select_related("resident", "category"))

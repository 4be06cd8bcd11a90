"""The warning lifecycle, declared on the case kernel (:mod:`gridgov.cases.engine`).

    new --assess (note)--> assessed --link_supervision / link_visit / rectify--> handling
    assessed / handling --resolve (reason)--> resolved
    new / assessed / handling --false_alarm (reason)--> false_alarm
    stays: raise_level (the engine: a rule that keeps firing found a higher level; logged and notified)

Who may: operators and leaders of the owning center's region or one above it, administrators. Linking a
supervision performs the events workflow's own 督办 ("supervise") on an event behind the warning.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import User
from gridgov.cases import warnrules
from gridgov.cases.engine import SYSTEM, Lifecycle, Transition, register, system
from gridgov.cases.notify import Message
from gridgov.core.errors import ValidationFailed
from gridgov.warnings.models import OPEN_STATUSES, Status, Warning, WarningAction, WarningLog

S = Status


def handler(user, w: Warning) -> bool:
    """An administrator, or an operator or leader whose region contains the owning center's."""
    if not isinstance(user, User) or not user.is_active:
        return False
    if user.is_superuser or user.role == User.Role.ADMIN:
        return True
    return (user.role in (User.Role.OPERATOR, User.Role.LEADER) and user.region_id is not None
            and w.center.code.startswith(user.region.code))


def visitor(user, w: Warning) -> bool:
    """走访 is recorded in the registry, which takes it from operators and administrators (not from leaders)."""
    return handler(user, w) and (user.is_superuser or user.role in (User.Role.ADMIN, User.Role.OPERATOR))


def _assess(w, actor, params, now):
    w.assessment = params["note"]
    return {}


def _link_supervision(w, actor, params, now):
    """督办 of an event behind the warning, through the events workflow (its checks, log and notices)."""
    from gridgov.events import services as events

    number = str(params.get("event") or "").strip()
    ids = list(w.cases.filter(kind="event").values_list("case_id", flat=True))
    event = events.Event.objects.visible_to(actor).filter(pk__in=ids, number=number).first() if number else None
    if event is None:
        raise ValidationFailed(_("请选择预警涉及的事件"), {"event": [_("请选择预警涉及的事件")]})
    level = params.get("level") or "yellow"
    events.perform_action(actor, event, "supervise", {"level": level, "note": params["note"]}, now=now)
    WarningAction.objects.create(warning=w, kind=WarningAction.Kind.SUPERVISION, event=event, actor=actor,
                                 summary=params["note"], created_at=now)
    return {"event": event.number, "level": level}


def _link_visit(w, actor, params, now):
    """走访 of a key person behind the warning, recorded in the registry (its checks)."""
    from gridgov.registry.models import KeyPerson
    from gridgov.registry.services.visits import record_visit

    ids = list(w.cases.filter(kind="keyperson").values_list("case_id", flat=True))
    try:
        kp_id = int(params.get("key_person") or 0)
    except (TypeError, ValueError):
        kp_id = 0
    kp = KeyPerson.objects.filter(pk=kp_id, pk__in=ids).select_related("resident").first()
    if kp is None:
        raise ValidationFailed(_("请选择预警涉及的重点人员"), {"key_person": [_("请选择预警涉及的重点人员")]})
    try:
        visit = record_visit(actor, kp, method=params.get("method") or "in_person", findings=params["note"])
    except ValidationFailed as exc:  # the registry names its own fields: the form's is the note
        fields = {("note" if k == "findings" else k): v for k, v in exc.fields.items()}
        raise ValidationFailed(exc.message, fields) from exc
    WarningAction.objects.create(warning=w, kind=WarningAction.Kind.VISIT, visit=visit, actor=actor,
                                 summary=params["note"], created_at=now)
    return {"key_person": kp.pk, "visit": visit.pk}


def _rectify(w, actor, params, now):
    """专项整治: what is done, by which unit, by when."""
    errors = {}
    unit = str(params.get("unit") or "").strip()
    due = params.get("due_on")
    if not unit:
        errors["unit"] = [_("请填写责任单位")]
    elif len(unit) > 100:
        errors["unit"] = [_("不能超过 100 个字符")]
    if isinstance(due, str):
        try:
            due = date.fromisoformat(due.strip()) if due.strip() else None
        except ValueError:
            errors["due_on"] = [_("日期格式无效，例如 2026-12-01")]
    if not errors and not isinstance(due, date):
        errors["due_on"] = [_("请填写完成时限")]
    if errors:
        raise ValidationFailed(_("专项整治信息有误"), errors)
    WarningAction.objects.create(warning=w, kind=WarningAction.Kind.RECTIFICATION, unit=unit, due_on=due,
                                 actor=actor, summary=params["note"], created_at=now)
    return {"unit": unit, "due_on": due.isoformat()}


def _close(w, actor, params, now):
    w.resolution = params["note"]
    w.closed_at = now
    return {}


def _raise_level(w, actor, params, now):
    old, new = w.level, params["level"]
    w.level = new
    return {"from": old, "to": new}


OPEN = tuple(OPEN_STATUSES)
LINKABLE = (S.ASSESSED, S.HANDLING)

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("assess", gettext_lazy("研判"), (S.NEW,), S.ASSESSED, handler, needs_note=True, effect=_assess),
        Transition("link_supervision", gettext_lazy("督办事件"), LINKABLE, S.HANDLING, handler, needs_note=True,
                   effect=_link_supervision),
        Transition("link_visit", gettext_lazy("走访重点人员"), LINKABLE, S.HANDLING, visitor, needs_note=True,
                   effect=_link_visit),
        Transition("rectify", gettext_lazy("专项整治"), LINKABLE, S.HANDLING, handler, needs_note=True,
                   effect=_rectify),
        Transition("resolve", gettext_lazy("解除"), LINKABLE, S.RESOLVED, handler, needs_note=True, effect=_close),
        Transition("false_alarm", gettext_lazy("误报"), OPEN, S.FALSE_ALARM, handler, needs_note=True,
                   effect=_close),
        Transition("raise_level", gettext_lazy("预警升级"), OPEN, None, system, effect=_raise_level,
                   writes=("level",)),
    ]
}


def messages(w: Warning, entry) -> list[Message]:
    """A new warning and a raised level go to the owning center's operators and the leaders over it."""
    if entry.action not in ("raise", "raise_level"):
        return []
    from django.urls import reverse

    label = warnrules.LEVEL_LABELS[w.level]
    subject = (_("%(level)s预警：%(title)s") if entry.action == "raise" else _("预警升级为%(level)s：%(title)s")) % {
        "level": label, "title": w.title}
    return [Message("warning", subject[:200], body=w.explanation[:500], link=reverse("warnings:detail", args=[w.number]),
                    operators_of=(w.center_id,), leaders_over=tuple(_ancestors(w.center.code)))]


def _ancestors(code: str) -> list[str]:
    return [code[:n] for n in (2, 4, 6, 9, 12) if n <= len(code)]


class WarningLifecycle(Lifecycle):
    kind = "warning"
    noun = gettext_lazy("预警")
    model = Warning
    log_model = WarningLog
    case_field = "warning"
    messages_of = staticmethod(messages)
    transitions = TRANSITIONS
    open_statuses = ()  # no stage deadline runs on a warning
    live_statuses = OPEN
    closed_statuses = CLOSED = (S.RESOLVED, S.FALSE_ALARM)
    reported_at_field = "first_seen"
    category_path = source_path = "rule"

    def category_of(self, w: Warning) -> str:
        return w.rule

    def source_of(self, w: Warning) -> str:
        return w.rule


LIFECYCLE = register(WarningLifecycle())
check, allowed_actions, perform, transition = LIFECYCLE.operations()
HUMAN_ACTIONS = LIFECYCLE.human_actions


def open_warning(w: Warning, now: datetime):
    """Write a new warning in its first state and its "raise" entry (the system raised it)."""
    w.status = S.NEW
    return LIFECYCLE.open(w, SYSTEM, now, action="raise", data={"level": w.level, "numbers": w.numbers})


__all__ = ["SYSTEM", "perform", "check", "allowed_actions", "open_warning", "TRANSITIONS", "HUMAN_ACTIONS"]

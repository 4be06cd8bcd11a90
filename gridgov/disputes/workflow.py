"""The dispute lifecycle: one transition table, the only writer of ``Dispute.status``.

    registered --accept--> accepted --assign--> assigned --start--> mediating --succeed--> succeeded
    registered --reject--> rejected                                  mediating --fail-----> failed (+ referral)
    accepted/assigned --assign--> assigned (re-assign)              succeeded/failed --follow_up--> followed_up
    followed_up --close--> closed                                    closed/failed/rejected --reopen--> accepted
    stays: change_channel (三调联动, deadline recomputed), regrade (risk override), session (调解记录),
           performance (协议履行), supplement, cite_law (法律咨询 → 引用法条), sla_remind, sla_overdue, confirm_remind (the sweep)

``perform`` locks the row, checks state (409), actor (403) and guard (409), applies the effect,
writes the status and appends one :class:`DisputeLog` row, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import User
from gridgov.core import workflow as core_workflow
from gridgov.core.errors import ValidationFailed
from gridgov.cases.sla import warn_moment
from gridgov.disputes import risk
from gridgov.disputes.models import (
    OPEN_STATUSES,
    RUNNING_STATUSES,
    Agreement,
    Channel,
    Dispute,
    DisputeArticle,
    DisputeLog,
    RiskGrade,
    Session,
    Status,
)
from gridgov.events.workflow import Citizen
from gridgov.worktime import calendar as workcal

S = Status
SYSTEM = None


# --- who may ----------------------------------------------------------------------------------

def at_center(user, d: Dispute) -> bool:
    """An operator of the dispute's center or of a center above it."""
    return (isinstance(user, User) and user.role == User.Role.OPERATOR and user.region_id is not None
            and d.center.code.startswith(user.region.code))


def the_mediator(user, d: Dispute) -> bool:
    return (isinstance(user, User) and user.role == User.Role.MEDIATOR and d.mediator_id is not None
            and d.mediator.user_id == user.pk)


def mediator_or_center(user, d: Dispute) -> bool:
    """The assigned mediator; a center operator records for a mediator who has no account."""
    if the_mediator(user, d):
        return True
    return at_center(user, d) and d.mediator_id is not None and d.mediator.user_id is None


def mediator_or_operator(user, d: Dispute) -> bool:
    return the_mediator(user, d) or at_center(user, d)


def can_supplement(user, d: Dispute) -> bool:
    if at_center(user, d) or the_mediator(user, d):
        return True
    return isinstance(user, User) and d.reporter_id is not None and d.reporter_id == user.pk


def system(user, d: Dispute) -> bool:
    return user is SYSTEM


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str | None
    who: Callable[[object, Dispute], bool]
    needs_note: bool = False
    effect: str = ""
    guard: Callable[[Dispute], str | None] | None = None


def _has_agreement_guard(d: Dispute) -> str | None:
    if not Agreement.objects.filter(dispute=d).exists():
        return _("该纠纷没有调解协议")
    return None


OPEN = tuple(OPEN_STATUSES)
OUTCOME_ACTIONS = ("succeed", "fail")  # their log rows name the mediator (success rates)

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("accept", gettext_lazy("受理"), (S.REGISTERED,), S.ACCEPTED, at_center, effect="accept"),
        Transition("reject", gettext_lazy("不予受理"), (S.REGISTERED,), S.REJECTED, at_center, needs_note=True,
                   effect="finish"),
        Transition("assign", gettext_lazy("分派调解"), (S.ACCEPTED, S.ASSIGNED), S.ASSIGNED, at_center,
                   effect="assign"),
        Transition("start", gettext_lazy("开始调解"), (S.ASSIGNED,), S.MEDIATING, mediator_or_center),
        Transition("session", gettext_lazy("记录调解"), (S.ASSIGNED, S.MEDIATING), None, mediator_or_center,
                   effect="session"),
        Transition("succeed", gettext_lazy("调解成功"), (S.MEDIATING,), S.SUCCEEDED, mediator_or_center,
                   effect="succeed"),
        Transition("fail", gettext_lazy("调解不成"), (S.MEDIATING,), S.FAILED, mediator_or_center, needs_note=True,
                   effect="fail"),
        Transition("follow_up", gettext_lazy("回访"), (S.SUCCEEDED, S.FAILED), S.FOLLOWED_UP, mediator_or_operator,
                   needs_note=True, effect="follow_up"),
        Transition("close", gettext_lazy("结案"), (S.FOLLOWED_UP,), S.CLOSED, at_center, effect="close"),
        Transition("reopen", gettext_lazy("重启"), (S.CLOSED, S.FAILED, S.REJECTED), S.ACCEPTED, at_center,
                   needs_note=True, effect="reopen"),
        Transition("change_channel", gettext_lazy("转换调解渠道"), RUNNING_STATUSES, None, at_center,
                   needs_note=True, effect="change_channel"),
        Transition("regrade", gettext_lazy("调整风险等级"), OPEN, None, at_center, needs_note=True,
                   effect="regrade"),
        Transition("performance", gettext_lazy("登记履行情况"), (S.SUCCEEDED, S.FOLLOWED_UP, S.CLOSED), None,
                   mediator_or_operator, effect="performance", guard=_has_agreement_guard),
        Transition("supplement", gettext_lazy("补充情况"), OPEN, None, can_supplement, needs_note=True),
        Transition("cite_law", gettext_lazy("引用法条"), OPEN, None, mediator_or_operator, effect="cite_law"),
        Transition("sla_remind", gettext_lazy("即将超期提醒"), RUNNING_STATUSES, None, system),
        Transition("sla_overdue", gettext_lazy("超期通报"), RUNNING_STATUSES, None, system),
        Transition("confirm_remind", gettext_lazy("司法确认期限提醒"), (S.SUCCEEDED, S.FOLLOWED_UP, S.CLOSED), None,
                   system),
    ]
}

HUMAN_ACTIONS = [a for a, t in TRANSITIONS.items() if t.who is not system]
LABELS = {"register": gettext_lazy("登记"), **{a: t.label for a, t in TRANSITIONS.items()}}


def transition(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except KeyError:
        raise ValidationFailed(_("未知操作：%(action)s") % {"action": action}, {"action": [_("未知操作")]}) from None


def check(d: Dispute, action: str, actor) -> Transition:
    return core_workflow.check(d, transition(action), actor, _("纠纷"))


def allowed_actions(d: Dispute, actor) -> list[str]:
    return core_workflow.allowed(d, TRANSITIONS, HUMAN_ACTIONS, actor)


# --- deadlines --------------------------------------------------------------------------------

def channel_limit(channel: str) -> tuple[int, str]:
    """The mediation limit of a channel: ``"30 days"`` (natural days) or a working-time limit."""
    text = str(settings.GRIDGOV["DISPUTE_LIMITS"].get(channel) or "30 days").strip()
    parts = text.split()
    if len(parts) == 2 and parts[1] in ("day", "days") and parts[0].isdigit():
        return int(parts[0]) * 24, workcal.NATURAL_HOURS
    return workcal.parse_limit(text)


def start_deadline(d: Dispute, now: datetime) -> None:
    amount, unit = channel_limit(d.channel)
    if unit == workcal.NATURAL_HOURS:
        at, provisional = now + timedelta(hours=amount), False
    else:
        r = workcal.add_time(now, amount, unit)
        at, provisional = r.at, r.provisional
    d.stage_started_at, d.deadline, d.deadline_unit, d.deadline_provisional = now, at, unit, provisional
    d.warn_at = warn_moment(now, at, unit)


def clear_deadline(d: Dispute) -> None:
    d.stage_started_at = d.deadline = d.warn_at = None
    d.deadline_unit = ""
    d.deadline_provisional = False


# --- effects ----------------------------------------------------------------------------------

def _accept(d, actor, params, now):
    start_deadline(d, now)
    return {"deadline": d.deadline.isoformat()}


def _finish(d, actor, params, now):
    clear_deadline(d)


def _assign(d, actor, params, now):
    m = params["mediator"]
    previous = d.mediator.name if d.mediator_id else ""
    d.mediator = m
    d.chosen_by_party = bool(params.get("chosen_by_party"))
    if d.deadline is None:
        start_deadline(d, now)
    out = {"mediator": m.name, "chosen_by_party": d.chosen_by_party}
    if previous:
        out["previous_mediator"] = previous
    return out


def _session(d, actor, params, now):
    s = Session.objects.create(dispute=d, recorded_by=actor if isinstance(actor, User) else None, created_at=now,
                               **params["session"])
    d._new_session = s
    return {"session": s.pk, "held_at": s.held_at.isoformat(), "mode": s.mode}


def _succeed(d, actor, params, now):
    a = params["agreement"]
    Agreement.objects.update_or_create(dispute=d, defaults={**a, "created_by": actor if isinstance(actor, User)
                                                             else None, "created_at": now})
    d.result = params["note"] or a["terms"]
    clear_deadline(d)
    return {"performance_deadline": a["performance_deadline"].isoformat() if a.get("performance_deadline") else None}


def _fail(d, actor, params, now):
    d.referral = params.get("referral") or ""
    d.result = params["note"]
    clear_deadline(d)
    return {"referral": d.referral}


def _follow_up(d, actor, params, now):
    d.satisfaction = params.get("satisfaction") or ""
    out = {"satisfaction": d.satisfaction}
    if params.get("performance"):
        out.update(_performance(d, actor, params, now) or {})
    return out


def _performance(d, actor, params, now):
    ag = Agreement.objects.filter(dispute=d).first()
    if ag is None:
        return {}
    ag.performance = params["performance"]
    ag.performed_on = params.get("performed_on")
    ag.save(update_fields=["performance", "performed_on"])
    return {"performance": ag.performance, "performed_on": ag.performed_on.isoformat() if ag.performed_on else None}


def _close(d, actor, params, now):
    d.closed_at = now
    clear_deadline(d)


def _reopen(d, actor, params, now):
    d.reopen_count += 1
    d.closed_at = None
    d.referral = ""
    d.result = ""
    start_deadline(d, now)
    before, after = risk.apply(d, now)
    return {"risk_before": before, "risk_after": after}


def _change_channel(d, actor, params, now):
    old = d.channel
    if params["channel"] == old:
        raise ValidationFailed(_("新渠道与当前渠道相同"), {"channel": [_("请选择不同的调解渠道")]})
    d.channel = params["channel"]
    start_deadline(d, now)
    return {"from_channel": old, "to_channel": d.channel, "deadline": d.deadline.isoformat()}


def _regrade(d, actor, params, now):
    before = d.risk_grade
    d.risk_override = params["grade"]
    d.risk_override_reason = params["note"][:500]
    return {"risk_before": before, "risk_after": d.risk_grade, "computed": d.risk_computed}


def _cite_law(d, actor, params, now):
    article = params["article"]
    DisputeArticle.objects.get_or_create(dispute=d, article=article, defaults={
        "score": params.get("score"), "cited_by": actor if isinstance(actor, User) else None, "created_at": now})
    return {"law": article.law.title, "article": article.label}


EFFECTS = {
    "cite_law": _cite_law,
    "accept": _accept, "finish": _finish, "assign": _assign, "session": _session, "succeed": _succeed,
    "fail": _fail, "follow_up": _follow_up, "performance": _performance, "close": _close, "reopen": _reopen,
    "change_channel": _change_channel, "regrade": _regrade,
}


def actor_label(actor) -> str:
    if actor is SYSTEM:
        return _("系统")
    if isinstance(actor, Citizen):
        return actor.label
    return str(actor)


def perform(d: Dispute, action: str, actor, params: dict | None = None, now: datetime | None = None) -> DisputeLog:
    params = dict(params or {})
    now = now or timezone.now()
    with transaction.atomic():
        d = Dispute.objects.select_for_update(of=("self",)).select_related("center", "region", "mediator").get(pk=d.pk)
        t = check(d, action, actor)
        note = (params.get("note") or "").strip()
        params["note"] = note
        if t.needs_note and not note:
            raise ValidationFailed(_("请填写说明"), {"note": [_("此操作需要填写说明")]})
        before = d.status
        grade_before = d.risk_grade
        data = EFFECTS[t.effect](d, actor, params, now) if t.effect else {}
        if t.target is not None:
            d.status = t.target
        d.save()
        entry = DisputeLog.objects.create(
            dispute=d, actor=actor if isinstance(actor, User) else None, actor_label=actor_label(actor),
            action=action, from_status=before, to_status=d.status, note=note, data=data or {}, created_at=now,
            mediator_id=d.mediator_id if action in OUTCOME_ACTIONS else None,
        )
        entry._session = getattr(d, "_new_session", None)
        from gridgov.disputes import notifications

        notifications.after_transition(d, entry, grade_before)
    return entry


def log_register(d: Dispute, actor, now: datetime) -> DisputeLog:
    entry = DisputeLog.objects.create(
        dispute=d, actor=actor if isinstance(actor, User) else None, actor_label=actor_label(actor),
        action="register", from_status="", to_status=S.REGISTERED, note="",
        data={"risk": d.risk_grade, "event": d.event.number if d.event_id else None}, created_at=now,
    )
    from gridgov.disputes import notifications

    notifications.after_transition(d, entry, RiskGrade.GENERAL)
    return entry


__all__ = ["perform", "allowed_actions", "TRANSITIONS", "Channel"]

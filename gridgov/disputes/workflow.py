"""The dispute lifecycle, declared on the case kernel (:mod:`gridgov.cases.engine`).

    registered --accept--> accepted --assign--> assigned --start--> mediating --succeed--> succeeded
    registered --reject--> rejected                                  mediating --fail-----> failed (+ referral)
    accepted/assigned --assign--> assigned (re-assign)              succeeded/failed --follow_up--> followed_up
    followed_up --close--> closed                                    closed/failed/rejected --reopen--> accepted
    stays: change_channel (三调联动, deadline recomputed), regrade (risk override), session (调解记录),
           performance (协议履行), supplement, cite_law (法律咨询 → 引用法条), sla_remind, sla_overdue, confirm_remind (the sweep)

The kernel's engine performs a row (lock, 409/403/409 checks, effect, status, the :class:`DisputeLog`
row, the statistics record, notifications — one transaction); what is the dispute's own is here: who
may, the guard, the effects, the mediation deadline of the channel, and the sweep's plans.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import User
from gridgov.cases.engine import SYSTEM, Citizen, Lifecycle, Transition, register, system
from gridgov.cases.sla import NEAR_DUE, OVERDUE, warn_moment
from gridgov.cases.sweep import SweepPlan
from gridgov.core.errors import ValidationFailed
from gridgov.disputes import notifications, risk
from gridgov.disputes.models import (
    OPEN_STATUSES,
    RUNNING_STATUSES,
    Agreement,
    Channel,
    Dispute,
    DisputeArticle,
    DisputeLog,
    DisputeNotice,
    RiskGrade,
    Session,
    Status,
)
from gridgov.regions.models import Region
from gridgov.worktime import calendar as workcal

S = Status


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

LABELS = {"register": gettext_lazy("登记"), **{a: t.label for a, t in TRANSITIONS.items()}}


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
    d.due_at = at  # the 办结时限 of the mediation: the channel's limit from when it (re)started


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
    # "_session": private, handed to the hook (the caller stores the session's files on it)
    return {"session": s.pk, "held_at": s.held_at.isoformat(), "mode": s.mode, "_session": s}


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
        "relevance": params.get("relevance"), "cited_by": actor if isinstance(actor, User) else None, "created_at": now})
    return {"law": article.law.title, "article": article.label}


EFFECTS = {
    "cite_law": _cite_law,
    "accept": _accept, "finish": _finish, "assign": _assign, "session": _session, "succeed": _succeed,
    "fail": _fail, "follow_up": _follow_up, "performance": _performance, "close": _close, "reopen": _reopen,
    "change_channel": _change_channel, "regrade": _regrade,
}


def confirm_note(agreement: Agreement) -> str:
    """The note of the 司法确认 reminder: the last day to apply."""
    return _("申请司法确认的最后一日：%(date)s") % {"date": f"{agreement.confirmation_last_day:%Y-%m-%d}"}


# --- the 司法确认 window: a clock of the agreement, not of the case ---------------------------------

def confirm_deadline(last_day) -> datetime:
    """The end of the last day to apply: the notice's deadline."""
    return timezone.make_aware(datetime.combine(last_day, datetime.max.time().replace(microsecond=0)))


def confirm_due(now: datetime):
    """人民调解 cases with an agreement whose confirmation window ends within DISPUTE_CONFIRM_REMIND_DAYS
    and has not passed, never reminded of it."""
    days = settings.GRIDGOV["DISPUTE_CONFIRM_DAYS"]
    remind = settings.GRIDGOV["DISPUTE_CONFIRM_REMIND_DAYS"]
    today = timezone.localdate(now)
    return Dispute.objects.filter(
        channel=Channel.PEOPLE, status__in=TRANSITIONS["confirm_remind"].sources,
        agreement__signed_on__gt=today - timedelta(days=days + 1),
        agreement__signed_on__lte=today - timedelta(days=days - remind),
    ).exclude(notices__kind=DisputeNotice.Kind.CONFIRM)


CONFIRM_PLAN = SweepPlan(
    DisputeNotice.Kind.CONFIRM, "confirm_remind", OVERDUE, "confirm",
    candidates=confirm_due, order_by=("agreement__signed_on", "pk"), related=("agreement",),
    still_due=lambda d, now: d.agreement.confirmation_last_day >= timezone.localdate(now),
    deadline_of=lambda d: confirm_deadline(d.agreement.confirmation_last_day),
    params=lambda d: {"note": confirm_note(d.agreement)},
    digest=gettext_lazy("调解协议司法确认申请期限将至的纠纷%(count)d件"),
)


def _has_agreement(d: Dispute) -> bool:
    try:
        return d.agreement is not None
    except Agreement.DoesNotExist:
        return False


class DisputeLifecycle(Lifecycle):
    kind = "dispute"
    noun = gettext_lazy("纠纷")
    model = Dispute
    log_model = DisputeLog
    case_field = "dispute"
    notice_model = DisputeNotice
    transitions = TRANSITIONS
    effects = EFFECTS
    open_statuses = RUNNING_STATUSES  # the mediation deadline runs while the case waits for or is in mediation
    live_statuses = OPEN_STATUSES     # "open" for the statistics: not yet closed or rejected
    closed_statuses = (S.CLOSED,)
    select_related = ("center", "region", "mediator", "grid", "agreement")
    tally_related = ("center", "region", "grid", "agreement")
    category_path = "dispute_type"
    # in this order: an overdue case is reported before near-due ones are reminded, then the 司法确认 window
    sweeps = (
        SweepPlan(DisputeNotice.Kind.OVERDUE, "sla_overdue", OVERDUE, "overdue",
                  digest=gettext_lazy("调解已超期纠纷%(count)d件")),
        SweepPlan(DisputeNotice.Kind.REMIND, "sla_remind", NEAR_DUE, "reminded",
                  digest=gettext_lazy("调解即将超期纠纷%(count)d件")),
        CONFIRM_PLAN,
    )
    worklist_url = "disputes:list"

    def category_of(self, d: Dispute) -> str:
        return d.dispute_type

    def tally_counts(self, d: Dispute) -> dict[str, int]:
        """A dispute counts as 化解 (succeeded) once mediated to an agreement and while it is not reopened."""
        agreed = d.status in (S.SUCCEEDED, S.FOLLOWED_UP, S.CLOSED) and _has_agreement(d)
        level, L = d.center.level, Region.Level
        return {
            "reported": 1,
            "valid": d.status not in (S.REGISTERED, S.REJECTED),
            "closed": d.status == S.CLOSED,
            "closed_on_time": d.status == S.CLOSED and d.closed_on_time is True,
            "succeeded": agreed,
            "resolved_grid": False,
            "resolved_township": agreed and level == L.TOWNSHIP,
            "resolved_county": agreed and level == L.COUNTY,
            "resolved_city": agreed and level <= L.CITY,
        }

    def snapshot(self, d: Dispute) -> dict:
        return {"grade_before": d.risk_grade}

    def log_fields(self, d: Dispute, action: str) -> dict:
        return {"mediator_id": d.mediator_id if action in OUTCOME_ACTIONS else None}

    def messages(self, d: Dispute, entry: DisputeLog, before: dict) -> list:
        return notifications.messages(d, entry, before.get("grade_before", d.risk_grade))

    def batch_messages(self, disputes: list, entries: list) -> list[list]:
        return notifications.batch_messages(disputes, entries)

    def after_transition(self, d: Dispute, entry: DisputeLog, private: dict, before: dict) -> None:
        entry._session = private.get("_session")  # the caller of a "session" row gets its Session
        super().after_transition(d, entry, private, before)


LIFECYCLE = register(DisputeLifecycle())
# the engine's operations, under the names the pages, the API and the tests use
check, allowed_actions, perform, transition = LIFECYCLE.operations()
HUMAN_ACTIONS = LIFECYCLE.human_actions


def open_dispute(d: Dispute, actor, now: datetime) -> DisputeLog:
    """Save a new dispute (registered, its risk graded) and write its "register" entry; a 重大 grade
    notifies the center at once."""
    d.status = S.REGISTERED
    return LIFECYCLE.open(d, actor, now, action="register",
                          data={"risk": d.risk_grade, "event": d.event.number if d.event_id else None},
                          before={"grade_before": RiskGrade.GENERAL})


__all__ = ["SYSTEM", "Citizen", "perform", "allowed_actions", "open_dispute", "TRANSITIONS", "check", "Channel"]

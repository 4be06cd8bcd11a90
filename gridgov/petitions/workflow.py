"""The petition lifecycle, declared on the case kernel (:mod:`gridgov.cases.engine`).

    registered --accept------> handling --reply--> replied --close--> closed
    registered --not_accept--> not_accepted (reason, written notice)
    registered --transfer----> transferred (to a department: it decides within 15 days: accept / not_accept;
                                            to an outside agency: finished here)
    replied / closed         --request_review-->  reviewing  --reply_review-->  review_replied --close--> closed
    review_replied / closed  --request_recheck--> rechecking --reply_recheck--> recheck_replied --close--> closed
    stays: acknowledge (程序性回复), request/approve/deny_extension, take (领导包案),
           record_delivery (送达 of the written reply / review opinion: starts the 30-day window),
           sla_remind, sla_escalate, ack_remind, ack_overdue (the sweep)

The kernel's engine performs a row of the table (lock, 409/403/guard checks, effect, status, the
:class:`PetitionLog` row, the statistics record, notifications — one transaction); what is the
petition's own is here: who may, the guards (they read the clock), the effects, the stage deadlines and
the two clocks the sweep watches (the stage deadline, and a letter's 7-day procedural reply).
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import User
from gridgov.cases.engine import SYSTEM, Lifecycle, Transition, register, system
from gridgov.cases.setwise import IsoFormat, SetEffect
from gridgov.cases.sla import NEAR_DUE, OVERDUE, warn_moment
from gridgov.cases.sweep import SweepPlan
from gridgov.core.errors import ValidationFailed
from gridgov.petitions import limits, notifications
from gridgov.petitions.models import OPEN_STATUSES, Extension, Petition, PetitionLog, PetitionNotice, Status, open_q
from gridgov.regions.models import Region
from gridgov.worktime import calendar as workcal

S = Status


# --- who may ----------------------------------------------------------------------------------

def office(user, p: Petition) -> bool:
    """An operator of the center that registered the petition, or of a center above it."""
    return (
        isinstance(user, User) and user.role == User.Role.OPERATOR and user.region_id is not None
        and p.center.code.startswith(user.region.code)
    )


def receiving_liaison(user, p: Petition) -> bool:
    return (
        isinstance(user, User) and user.role == User.Role.LIAISON and user.department_id is not None
        and user.department_id == p.transferred_to_department_id
    )


def decider(user, p: Petition) -> bool:
    """Who decides on acceptance: the office for a registered petition, the receiving department
    for one transferred to it."""
    if p.status == S.TRANSFERRED:
        return receiving_liaison(user, p)
    return office(user, p)


def handling_liaison(user, p: Petition) -> bool:
    return (
        isinstance(user, User) and user.role == User.Role.LIAISON and user.department_id is not None
        and user.department_id == p.handling_department_id
    )


def handler(user, p: Petition) -> bool:
    return office(user, p) or handling_liaison(user, p)


def region_leader(user, p: Petition) -> bool:
    return (
        isinstance(user, User) and user.role == User.Role.LEADER and user.region_id is not None
        and p.region.code.startswith(user.region.code)
    )


# --- guards (return a reason when not allowed now) ----------------------------------------------

def window_end(delivered_on: date) -> date:
    """The last day a 复查/复核 request is accepted: 30 days from the day the petitioner received the
    written reply (that day not counted, 民法典 §201), moved off a holiday or rest day (§203)."""
    return limits.last_day(delivered_on, limits.get("PETITION_REVIEW_WINDOW_DAYS"))


WINDOW_PENDING, WINDOW_OPEN, WINDOW_CLOSED = "pending_delivery", "open", "closed"
WINDOW_LABELS = {WINDOW_PENDING: gettext_lazy("待送达"), WINDOW_OPEN: gettext_lazy("可申请"),
                 WINDOW_CLOSED: gettext_lazy("已届满")}


def review_window(p: Petition, now: datetime | None = None) -> dict | None:
    """The 复查 (after the written reply) or 复核 (after the review opinion) window that applies now:
    ``{"kind", "state", "label", "until"}``; ``until`` is None while the document is not yet delivered
    (the window has not started). None when no window applies (no reply yet, already requested,
    or after the recheck)."""
    now = now or timezone.now()
    if p.review_replied_on is not None and p.recheck_requested_at is None:
        kind, delivered = "recheck", p.review_delivered_on
    elif p.replied_on is not None and p.review_requested_at is None:
        kind, delivered = "review", p.reply_delivered_on
    else:
        return None
    if delivered is None:
        state, until = WINDOW_PENDING, None
    else:
        until = window_end(delivered)
        state = WINDOW_OPEN if _local_day(now) <= until else WINDOW_CLOSED
    return {"kind": kind, "state": state, "label": str(WINDOW_LABELS[state]), "until": until}


def _local_day(now: datetime) -> date:
    return timezone.localtime(now).date()


def _review_guard(p: Petition, now: datetime) -> str | None:
    if p.review_requested_at is not None:
        return _("该信访事项已申请过复查")
    if p.replied_on is None:
        return _("尚无书面答复，不能申请复查")
    # not yet delivered: the window has not started, so it cannot have run out
    if p.reply_delivered_on is not None and _local_day(now) > window_end(p.reply_delivered_on):
        return _("已超过复查申请期限：应自收到书面答复意见之日起%(n)d日内提出（截至%(day)s）") % {
            "n": limits.get("PETITION_REVIEW_WINDOW_DAYS"), "day": window_end(p.reply_delivered_on).isoformat()}
    return None


def _recheck_guard(p: Petition, now: datetime) -> str | None:
    if p.recheck_requested_at is not None:
        return _("该信访事项已申请过复核")
    if p.review_replied_on is None:
        return _("尚无复查意见，不能申请复核")
    if p.review_delivered_on is not None and _local_day(now) > window_end(p.review_delivered_on):
        return _("已超过复核申请期限：应自收到复查意见之日起%(n)d日内提出（截至%(day)s）") % {
            "n": limits.get("PETITION_REVIEW_WINDOW_DAYS"), "day": window_end(p.review_delivered_on).isoformat()}
    return None


def delivery_target(p: Petition) -> str | None:
    """Which written document's delivery can be recorded now: the review opinion once there is one,
    else the written reply; None when it is already recorded (or nothing was sent)."""
    if p.review_replied_on is not None:
        return "review" if p.review_delivered_on is None else None
    if p.replied_on is not None:
        return "reply" if p.reply_delivered_on is None else None
    return None


def _delivery_guard(p: Petition, now: datetime) -> str | None:
    if p.replied_on is None:
        return _("尚无书面答复，无需登记送达")
    if delivery_target(p) is None:
        return _("送达日期已登记")
    return None


def _request_extension_guard(p: Petition, now: datetime) -> str | None:
    if p.extensions.filter(state=Extension.State.PENDING).exists():
        return _("已有待审批的延期申请")
    if p.extension_days or p.extensions.filter(state=Extension.State.APPROVED).exists():
        return _("办理期限只能延长一次，本件已延期")
    return None


def _pending_extension_guard(p: Petition, now: datetime) -> str | None:
    if not p.extensions.filter(state=Extension.State.PENDING).exists():
        return _("没有待审批的延期申请")
    return None


def _ack_guard(p: Petition, now: datetime) -> str | None:
    if p.ack_due_at is None:
        return _("该渠道的信访件无需程序性回复")
    if p.acked_at is not None:
        return _("已作程序性回复")
    return None


def _take_guard(p: Petition, now: datetime) -> str | None:
    if p.leader_id is not None:
        return _("该信访件已由%(name)s包案") % {"name": p.leader}
    return None


# --- the table --------------------------------------------------------------------------------

OPEN = tuple(OPEN_STATUSES) + (S.TRANSFERRED,)
REPLIED_STATES = (S.REPLIED, S.REVIEW_REPLIED, S.RECHECK_REPLIED)
ALL = tuple(S.values)

def _notice(clock: str) -> SetEffect:
    """The sweep's log data: the deadline (of ``clock``) the reminder or escalation was for (gridgov.cases.setwise:
    perform() and the sweep's set-based batch evaluate the same expression)."""
    return SetEffect(data={"deadline": IsoFormat(clock)})


REMIND_BY = ("center_id", "handling_department_id")
ESCALATE_BY = ("center_id", "handling_department_id", "region_id", "leader_id")

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("accept", gettext_lazy("受理"), (S.REGISTERED, S.TRANSFERRED), S.HANDLING, decider,
                   effect="accept"),
        Transition("not_accept", gettext_lazy("不予受理"), (S.REGISTERED, S.TRANSFERRED), S.NOT_ACCEPTED, decider,
                   needs_note=True, effect="not_accept"),
        Transition("transfer", gettext_lazy("转送"), (S.REGISTERED,), S.TRANSFERRED, office, needs_note=True,
                   effect="transfer"),
        Transition("acknowledge", gettext_lazy("程序性回复"), OPEN + (S.NOT_ACCEPTED,), None, office,
                   effect="acknowledge", guard=_ack_guard, clock="ack_due_at"),
        Transition("request_extension", gettext_lazy("申请延期"), (S.HANDLING,), None, handler, needs_note=True,
                   effect="request_extension", guard=_request_extension_guard),
        Transition("approve_extension", gettext_lazy("批准延期"), (S.HANDLING,), None, office,
                   effect="approve_extension", guard=_pending_extension_guard),
        Transition("deny_extension", gettext_lazy("不批准延期"), (S.HANDLING,), None, office, needs_note=True,
                   effect="deny_extension", guard=_pending_extension_guard),
        Transition("reply", gettext_lazy("书面答复"), (S.HANDLING,), S.REPLIED, handler, needs_note=True,
                   effect="reply"),
        Transition("record_delivery", gettext_lazy("登记送达"),
                   REPLIED_STATES + (S.CLOSED, S.REVIEWING, S.RECHECKING), None, office,
                   effect="record_delivery", guard=_delivery_guard),
        Transition("request_review", gettext_lazy("申请复查"), (S.REPLIED, S.CLOSED), S.REVIEWING, office,
                   needs_note=True, effect="request_review", guard=_review_guard),
        Transition("reply_review", gettext_lazy("复查答复"), (S.REVIEWING,), S.REVIEW_REPLIED, office,
                   needs_note=True, effect="reply_review"),
        Transition("request_recheck", gettext_lazy("申请复核"), (S.REVIEW_REPLIED, S.CLOSED), S.RECHECKING, office,
                   needs_note=True, effect="request_recheck", guard=_recheck_guard),
        Transition("reply_recheck", gettext_lazy("复核答复"), (S.RECHECKING,), S.RECHECK_REPLIED, office,
                   needs_note=True, effect="reply_recheck"),
        Transition("close", gettext_lazy("办结"), REPLIED_STATES, S.CLOSED, office, effect="close"),
        Transition("take", gettext_lazy("领导包案"), OPEN, None, region_leader, effect="take", guard=_take_guard),
        # the sweep's actions: a log row with the deadline they were taken for, nothing else changes
        # (recount=False); who they tell (notifications.messages) is decided by the center (and its parent), the
        # handling department, the region (its leaders) and the 包案 leader alone: digest_by — set-based
        Transition("sla_remind", gettext_lazy("即将超期提醒"), OPEN, None, system, effect=_notice("deadline"),
                   recount=False, digest_by=REMIND_BY),
        Transition("sla_escalate", gettext_lazy("超期升级"), OPEN, None, system, effect=_notice("deadline"),
                   recount=False, digest_by=ESCALATE_BY),
        Transition("ack_remind", gettext_lazy("来信回复即将超期"), ALL, None, system, effect=_notice("ack_due_at"),
                   clock="ack_due_at", recount=False, digest_by=REMIND_BY),
        Transition("ack_overdue", gettext_lazy("来信未按期回复"), ALL, None, system, effect=_notice("ack_due_at"),
                   clock="ack_due_at", recount=False, digest_by=ESCALATE_BY),
    ]
}

# --- stages -----------------------------------------------------------------------------------

# The periods are calendar days (limits.days_after: 24:00 of the last day, moved off a holiday), so a
# stage runs in natural time: its unit, and the unit its warning moment is computed in.
UNIT = workcal.NATURAL_HOURS


def _set_stage(p: Petition, start: datetime, days: int) -> None:
    p.stage_started_at = start
    p.deadline = limits.days_after(start, days)
    p.deadline_unit = UNIT
    p.warn_at = warn_moment(start, p.deadline, UNIT)


def _clear_stage(p: Petition) -> None:
    p.stage_started_at = p.deadline = p.warn_at = None
    p.deadline_unit = ""


def _acknowledged(p: Petition, now: datetime) -> None:
    """A written decision (受理/不予受理/转送 告知) is also the reply a letter is owed."""
    if p.ack_due_at is not None and p.acked_at is None:
        p.acked_at = now


# --- effects (petition, actor, params, now) → extra log data ------------------------------------

def _accept(p, actor, params, now):
    data = {}
    if p.status == S.TRANSFERRED:
        p.handling_department = p.transferred_to_department
    elif params.get("department") is not None:
        p.handling_department = params["department"]
    if p.handling_department_id:
        data["department"] = p.handling_department.name
    p.accepted_at = now
    _set_stage(p, now, limits.get("PETITION_HANDLE_DAYS"))
    p.due_at = p.deadline  # the 办结时限: the handling limit from acceptance (an approved extension moves it)
    _acknowledged(p, now)
    return data


def _not_accept(p, actor, params, now):
    p.decision_reason = params["note"]
    _clear_stage(p)
    _acknowledged(p, now)
    return {"written_notice": True}


def _transfer(p, actor, params, now):
    dept = params.get("department")
    agency = (params.get("agency") or "").strip()
    p.transferred_to_department = dept
    p.transferred_to_agency = "" if dept else agency
    if dept is not None:  # the department decides on acceptance within its own 15 days
        _set_stage(p, now, limits.get("PETITION_ACCEPT_DAYS"))
    else:
        _clear_stage(p)
    _acknowledged(p, now)
    return {"to": dept.name if dept else agency}


def _acknowledge(p, actor, params, now):
    p.acked_at = now
    return {"in_time": now <= p.ack_due_at}


def _request_extension(p, actor, params, now):
    Extension.objects.create(petition=p, days=params["days"], reason=params["note"], requested_by=actor,
                             created_at=now)
    return {"days": params["days"]}


def _approve_extension(p, actor, params, now):
    ext = p.extensions.get(state=Extension.State.PENDING)
    ext.state, ext.decided_by, ext.decided_at = Extension.State.APPROVED, actor, now
    ext.save(update_fields=["state", "decided_by", "decided_at"])
    old = p.deadline
    p.extension_days = ext.days
    p.deadline = limits.extended(old, ext.days)  # N more days after the old last day, off holidays again
    p.due_at = p.deadline
    p.warn_at = warn_moment(p.stage_started_at or now, p.deadline, UNIT)
    return {"days": ext.days, "old_deadline": old.isoformat(), "new_deadline": p.deadline.isoformat()}


def _deny_extension(p, actor, params, now):
    ext = p.extensions.get(state=Extension.State.PENDING)
    ext.state, ext.decided_by, ext.decided_at = Extension.State.DENIED, actor, now
    ext.save(update_fields=["state", "decided_by", "decided_at"])
    return {"days": ext.days}


def _check_reply_date(p, params, now, since: datetime | None) -> date:
    day = params.get("reply_date") or _local_day(now)
    if day > _local_day(now):
        raise ValidationFailed(_("答复日期不能晚于今天"), {"reply_date": [_("答复日期不能晚于今天")]})
    if since is not None and day < _local_day(since):
        raise ValidationFailed(_("答复日期不能早于受理（申请）日期"), {"reply_date": [_("答复日期不能早于受理（申请）日期")]})
    return day


def _reply(p, actor, params, now):
    p.replied_on = _check_reply_date(p, params, now, p.accepted_at)
    p.reply_text = params["note"]
    _clear_stage(p)
    return {"reply_date": p.replied_on.isoformat()}


def _record_delivery(p, actor, params, now):
    """送达: the day the petitioner received the written reply (or the review opinion); the 30-day
    window for 复查 (复核) runs from it."""
    target = delivery_target(p)
    day = params.get("delivery_date") or _local_day(now)
    sent_on = p.review_replied_on if target == "review" else p.replied_on
    if day > _local_day(now):
        raise ValidationFailed(_("送达日期不能晚于今天"), {"delivery_date": [_("送达日期不能晚于今天")]})
    if day < sent_on:
        msg = _("送达日期不能早于答复日期（%(day)s）") % {"day": sent_on.isoformat()}
        raise ValidationFailed(msg, {"delivery_date": [msg]})
    if target == "review":
        p.review_delivered_on = day
    else:
        p.reply_delivered_on = day
    return {"document": target, "delivery_date": day.isoformat(), "window_until": window_end(day).isoformat()}


def _requested(stage: str):
    """The effect of requesting a 复查 (``review``) or 复核 (``recheck``): its 30-day stage starts."""

    def effect(p, actor, params, now):
        setattr(p, f"{stage}_requested_at", now)
        p.closed_at = None
        _set_stage(p, now, limits.get("PETITION_REVIEW_DAYS"))
        return {}

    return effect


def _replied(stage: str):
    """The effect of the 复查/复核 opinion: its date checked against the request, the stage finished."""

    def effect(p, actor, params, now):
        day = _check_reply_date(p, params, now, getattr(p, f"{stage}_requested_at"))
        setattr(p, f"{stage}_replied_on", day)
        _clear_stage(p)
        return {"reply_date": day.isoformat()}

    return effect


_request_review, _reply_review = _requested("review"), _replied("review")
_request_recheck, _reply_recheck = _requested("recheck"), _replied("recheck")


def _close(p, actor, params, now):
    p.closed_at = now
    _clear_stage(p)
    return {}


def _take(p, actor, params, now):
    p.leader = actor
    return {"leader": str(actor)}


EFFECTS = {
    "accept": _accept, "not_accept": _not_accept, "transfer": _transfer, "acknowledge": _acknowledge,
    "request_extension": _request_extension, "approve_extension": _approve_extension,
    "deny_extension": _deny_extension, "reply": _reply, "request_review": _request_review,
    "reply_review": _reply_review, "request_recheck": _request_recheck, "reply_recheck": _reply_recheck,
    "close": _close, "take": _take, "record_delivery": _record_delivery,
}


# --- the lifecycle ------------------------------------------------------------------------------

K = PetitionNotice.Kind
# the second clock: a letter's procedural reply, owed until it is made
ACK = {"deadline": "ack_due_at", "warn_at": "ack_warn_at",
       "running": lambda: Q(ack_due_at__isnull=False, acked_at__isnull=True),
       "is_running": lambda p: p.acked_at is None}


class PetitionLifecycle(Lifecycle):
    kind = "petition"
    noun = gettext_lazy("信访件")
    model = Petition
    log_model = PetitionLog
    case_field = "petition"
    notice_model = PetitionNotice
    messages_of = staticmethod(notifications.messages)
    transitions = TRANSITIONS
    effects = EFFECTS
    open_statuses = OPEN  # the stage deadline runs while open: running_q / is_running say exactly (open_q)
    select_related = ("center", "region", "leader")  # the escalation tells the 包案 leader
    closed_statuses = (S.CLOSED,)
    tally_related = ("center", "region")
    reported_at_field = "registered_at"
    category_path = source_path = "channel"
    guard_with_now = True
    # in the order the sweep has always run them: the stage deadline, then a letter's 7-day reply
    sweeps = (
        SweepPlan(K.ESCALATE, "sla_escalate", OVERDUE, "escalated", digest=gettext_lazy("已超期信访件%(count)d件，已升级")),
        SweepPlan(K.REMIND, "sla_remind", NEAR_DUE, "reminded", digest=gettext_lazy("即将超期信访件%(count)d件")),
        SweepPlan(K.ACK_OVERDUE, "ack_overdue", OVERDUE, "ack_overdue", **ACK,
                  digest=gettext_lazy("未在七日内回复的来信%(count)d件")),
        SweepPlan(K.ACK_REMIND, "ack_remind", NEAR_DUE, "ack_reminded", **ACK,
                  digest=gettext_lazy("即将超过七日未回复的来信%(count)d件")),
    )
    worklist_url = "petitions:list"

    def running_q(self) -> Q:
        return open_q()

    def is_running(self, p: Petition) -> bool:
        return p.is_open

    def category_of(self, p: Petition) -> str:
        return p.channel

    def source_of(self, p: Petition) -> str:
        return p.channel

    def is_live(self, p: Petition) -> bool:
        """A petition transferred to an outside agency is finished here: no open case (nor, later, 积案)."""
        return p.is_open

    def tally_counts(self, p: Petition) -> dict[str, int]:
        closed = p.status == S.CLOSED
        level, L = p.center.level, Region.Level
        return {
            "reported": 1,
            "valid": p.status not in (S.REGISTERED, S.TRANSFERRED, S.NOT_ACCEPTED),
            "closed": closed,
            "closed_on_time": closed and p.closed_on_time is True,
            "reply_due": p.ack_due_at is not None,
            "replied_on_time": p.ack_due_at is not None and p.acked_at is not None and p.acked_at <= p.ack_due_at,
            "resolved_township": closed and level == L.TOWNSHIP,
            "resolved_county": closed and level == L.COUNTY,
            "resolved_city": closed and level <= L.CITY,
        }


LIFECYCLE = register(PetitionLifecycle())
# the engine's operations, under the names the pages, the API and the tests use
check, allowed_actions, perform, transition = LIFECYCLE.operations()
HUMAN_ACTIONS = LIFECYCLE.human_actions


def open_petition(p: Petition, actor, now: datetime) -> PetitionLog:
    """Write a new petition in its first state with its deadlines and the "register" entry."""
    p.status = S.REGISTERED
    _set_stage(p, now, limits.get("PETITION_ACCEPT_DAYS"))
    if p.channel in limits.ack_channels():
        p.ack_due_at = limits.days_after(now, limits.get("PETITION_ACK_DAYS"))
        p.ack_warn_at = warn_moment(now, p.ack_due_at, UNIT)
    return LIFECYCLE.open(p, actor, now, action="register")


__all__ = ["SYSTEM", "perform", "check", "allowed_actions", "open_petition", "TRANSITIONS", "HUMAN_ACTIONS"]

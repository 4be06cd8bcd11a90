"""The event lifecycle, declared on the case kernel (:mod:`gridgov.cases.engine`).

Each row of the table says, for an action, from which states it may start, where it leads
(``None``: the state stays), who may perform it, what it needs and its effect. The kernel's engine
performs it (lock, 409/403 checks, effect, status, the :class:`EventLog` row, the statistics record,
notifications — one transaction); what is the event's own is here: the rules of who may, the
guards, the effects and the three stage deadlines (accept-and-dispatch, handling, verification).

    reported  --accept-->   accepted   --dispatch--> dispatched --sign--> handling --feedback--> handled
    reported  --reject-->   rejected                                                     |
    reported/accepted --merge--> merged                          handled --verify_pass--> closed
    accepted  <--return--   dispatched/handling                  handled --verify_fail--> dispatched (返工)
    reported/accepted --escalate--> accepted (at the next-level center)
    reported/accepted --hand_down--> the same state (at a lower center of its subtree; routing.py)
    reported  --resolve_on_spot--> handled (grid worker, on the spot, with evidence)
    handled   --dispatch-->  dispatched (only an on-the-spot case that failed verification)
    closed    --reopen-->   accepted (once, after an unsatisfactory rating)
    stays:    relocate (更正位置, routing.py), rate, supervise, request/approve/deny_extension, sla_remind,
              sla_escalate, report_in / assist_feedback / assist_remind (吹哨报到: gridgov.events.assists),
              follow_up (回访) and explain_dissatisfaction on a closed case (gridgov/events/followup.py)
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Case, F, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import User
from gridgov.cases.engine import SYSTEM, Citizen, Lifecycle, Transition, register, system
from gridgov.cases.setwise import IsoFormat, SetEffect
from gridgov.cases.sla import NEAR_DUE, OVERDUE, warn_moment
from gridgov.cases.sweep import SweepPlan
from gridgov.core import crypto
from gridgov.core.crypto import mask_phone  # noqa: F401  (pages use workflow.mask_phone)
from gridgov.core.errors import Conflict, ValidationFailed
from gridgov.events import assists, followup, notifications, routing
from gridgov.events.models import (
    OPEN_STATUSES,
    Event,
    EventLog,
    ExtensionRequest,
    Rating,
    SlaNotice,
    Status,
    Supervision,
    TimeUnit,
)
from gridgov.regions.models import Region
from gridgov.worktime import calendar as workcal

S = Status


# --- who may ----------------------------------------------------------------------------------

def at_center(user, event: Event) -> bool:
    """An operator of the center that currently owns the case."""
    return isinstance(user, User) and user.role == User.Role.OPERATOR and user.region_id == event.center_id


def lead_liaison(user, event: Event) -> bool:
    return (
        isinstance(user, User)
        and user.role == User.Role.LIAISON
        and user.department_id is not None
        and user.department_id == event.lead_department_id
    )


def assisting_liaison(user, event: Event) -> bool:
    return (
        isinstance(user, User)
        and user.role == User.Role.LIAISON
        and user.department_id is not None
        and event.assisting_departments.filter(pk=user.department_id).exists()
    )


def the_reporter(user, event: Event) -> bool:
    if isinstance(user, Citizen):
        return (bool(event.reporter_phone_hash) and event.reporter_id is None
                and crypto.phone_hash(user.phone) == event.reporter_phone_hash)
    return isinstance(user, User) and event.reporter_id is not None and user.pk == event.reporter_id


def reporting_grid_worker(user, event: Event) -> bool:
    return isinstance(user, User) and user.role == User.Role.GRID_WORKER and the_reporter(user, event)


def can_attach(user, event: Event) -> bool:
    """Who may attach files to an open case: whoever may add to it, and the departments working on it
    (photos of the result before the feedback)."""
    return can_supplement(user, event) or lead_liaison(user, event) or assisting_liaison(user, event)


def supervisor(user, event: Event) -> bool:
    """Leaders and center operators whose region contains the case's region."""
    return (
        isinstance(user, User)
        and user.role in (User.Role.LEADER, User.Role.OPERATOR)
        and user.region_id is not None
        and event.region.code.startswith(user.region.code)
    )


def can_supplement(user, event: Event) -> bool:
    """Who may add to an open case: the citizen or user who reported it, a grid worker of its
    grid (adding to an existing case instead of reporting it again), or its center's operator."""
    if isinstance(user, Citizen):
        return the_reporter(user, event)
    if not isinstance(user, User):
        return False
    if the_reporter(user, event) or at_center(user, event):
        return True
    return (
        user.role == User.Role.GRID_WORKER
        and event.grid_id is not None
        and event.grid.staff.filter(user=user).exists()
    )


# --- the table --------------------------------------------------------------------------------

def _escalate_guard(event: Event) -> str | None:
    if event.center.level <= event.center.Level.CITY:
        return _("市级中心没有上级中心可上报")
    return None


def _reopen_guard(event: Event) -> str | None:
    # a case on the 不满意待处理 list, or one that counts a 不满意 (gridgov/events/followup.py) — once
    if not event.dissatisfaction_pending and followup.effective_rating(event) != Rating.UNSATISFIED:
        return _("只有评价为不满意的案件可以重启")
    if event.reopen_count >= 1:
        return _("该案件已重启过一次")
    return None


def _rate_guard(event: Event) -> str | None:
    if event.rating:
        return _("该案件已评价")
    return None


def _extension_pending_guard(event: Event) -> str | None:
    if not event.extension_requests.filter(state=ExtensionRequest.State.PENDING).exists():
        return _("没有待审批的延期申请")
    return None


def _no_pending_extension_guard(event: Event) -> str | None:
    if event.extension_requests.filter(state=ExtensionRequest.State.PENDING).exists():
        return _("已有待审批的延期申请")
    return None


def _rework_guard(event: Event) -> str | None:
    if event.lead_department_id is None:
        return _("就地解决的事件没有处置部门，核查不通过时请直接派遣部门处置")
    return None


def _dispatch_guard(event: Event) -> str | None:
    # from handled only for an on-the-spot case that failed verification (it has no department yet)
    if event.status == S.HANDLED and event.lead_department_id is not None:
        return _("已有处置部门的事件核查不通过时请选择“核查不通过(返工)”")
    return None


def _on_spot_guard(event: Event) -> str | None:
    if getattr(event, "opening_log", None) is not None:
        return None  # created by this request (services.create_event): its log is the one "report" row
    if event.log.exclude(action="report").exists():
        return _("只有刚上报的事件可以就地解决")
    return None


OPEN = tuple(OPEN_STATUSES)
WORKING = (S.DISPATCHED, S.HANDLING)

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("accept", gettext_lazy("受理"), (S.REPORTED,), S.ACCEPTED, at_center),
        Transition("reject", gettext_lazy("不予受理"), (S.REPORTED,), S.REJECTED, at_center, needs_note=True,
                   effect="finish"),
        Transition("merge", gettext_lazy("合并"), (S.REPORTED, S.ACCEPTED), S.MERGED, at_center, effect="merge"),
        Transition("escalate", gettext_lazy("上报上级"), (S.REPORTED, S.ACCEPTED), S.ACCEPTED, at_center,
                   needs_note=True, effect="escalate", guard=_escalate_guard),
        Transition("hand_down", gettext_lazy("下派"), routing.BEFORE_DISPATCH, None, at_center, needs_note=True,
                   effect=routing.hand_down, guard=routing.hand_down_guard),
        Transition("relocate", gettext_lazy("更正位置"), OPEN, None, at_center, needs_note=True,
                   effect=routing.relocate),
        Transition("dispatch", gettext_lazy("派遣"), (S.ACCEPTED, S.HANDLED), S.DISPATCHED, at_center,
                   effect="dispatch", guard=_dispatch_guard),
        Transition("sign", gettext_lazy("签收"), (S.DISPATCHED,), S.HANDLING, lead_liaison),
        Transition("return", gettext_lazy("退回"), WORKING, S.ACCEPTED, lead_liaison, needs_note=True,
                   effect="return_"),
        Transition("request_extension", gettext_lazy("申请延期"), WORKING, None, lead_liaison, needs_note=True,
                   effect="request_extension", guard=_no_pending_extension_guard),
        Transition("approve_extension", gettext_lazy("批准延期"), WORKING, None, at_center,
                   effect="approve_extension", guard=_extension_pending_guard),
        Transition("deny_extension", gettext_lazy("驳回延期"), WORKING, None, at_center, needs_note=True,
                   effect="deny_extension", guard=_extension_pending_guard),
        Transition("report_in", gettext_lazy("报到(协办)"), assists.STATES, None, assists.called_liaison,
                   effect="assist_report_in", concerns=assists.report_in_concerns),
        Transition("assist_feedback", gettext_lazy("协办反馈"), assists.STATES, None, assists.reported_liaison,
                   needs_note=True, effect="assist_feedback", concerns=assists.feedback_concerns),
        Transition("feedback", gettext_lazy("反馈处置结果"), (S.HANDLING,), S.HANDLED, lead_liaison, needs_note=True,
                   effect="handled"),
        Transition("resolve_on_spot", gettext_lazy("就地解决"), (S.REPORTED,), S.HANDLED, reporting_grid_worker,
                   needs_note=True, effect="on_spot", guard=_on_spot_guard),
        Transition("verify_pass", gettext_lazy("核查通过"), (S.HANDLED,), S.CLOSED, at_center, effect="close"),
        Transition("verify_fail", gettext_lazy("核查不通过(返工)"), (S.HANDLED,), S.DISPATCHED, at_center,
                   needs_note=True, effect="rework", guard=_rework_guard),
        Transition("rate", gettext_lazy("评价"), (S.CLOSED,), None, the_reporter, effect="rate", guard=_rate_guard),
        Transition("reopen", gettext_lazy("重启"), (S.CLOSED,), S.ACCEPTED, at_center, needs_note=True,
                   effect="reopen", guard=_reopen_guard),
        Transition("follow_up", gettext_lazy("回访"), (S.CLOSED,), None, followup.may_follow_up, needs_note=True,
                   effect="follow_up"),
        Transition("explain_dissatisfaction", gettext_lazy("不满意情况说明"), (S.CLOSED,), None, at_center,
                   needs_note=True, effect="explain_dissatisfaction", guard=followup.explain_guard),
        Transition("supervise", gettext_lazy("督办"), OPEN, None, supervisor, effect="supervise"),
        Transition("supplement", gettext_lazy("补充情况"), OPEN, None, can_supplement, needs_note=True),
        # the sweep's actions change nothing an event counts for (tally_counts, its place, clock): recount=False;
        # who they tell (notifications.messages) is decided by the center, the center escalated to, the lead
        # department and the status alone: digest_by — so the reminder and the escalation run set-based
        Transition("sla_remind", gettext_lazy("即将超期提醒"), OPEN, None, system, recount=False,
                   digest_by=("center_id", "lead_department_id", "status")),
        Transition("sla_escalate", gettext_lazy("超期升级"), OPEN, None, system, effect="sla_escalate",
                   recount=False, digest_by=("center_id", "escalated_center_id", "lead_department_id", "status")),
        Transition("assist_remind", gettext_lazy("协办未报到提醒"), assists.STATES, None, system,
                   effect="assist_remind", recount=False),
    ]
}

# --- deadlines --------------------------------------------------------------------------------

def _set_stage(event: Event, start: datetime, amount: int, unit: str, at: datetime | None = None) -> None:
    """Start a stage with a deadline (computed in working time unless ``at`` is given)."""
    if at is None:
        d = workcal.add_time(start, amount, unit)
        at, provisional = d.at, d.provisional
    else:
        provisional = False
    event.stage_started_at = start
    event.deadline = at
    event.deadline_unit = unit
    event.deadline_provisional = provisional
    event.warn_at = warn_moment(start, at, unit)


def _clear_stage(event: Event) -> None:
    event.stage_started_at = event.deadline = event.warn_at = None
    event.deadline_unit = ""
    event.deadline_provisional = False


def start_accept_stage(event: Event, now: datetime) -> None:
    amount, unit = workcal.parse_limit(settings.GRIDGOV["ACCEPT_LIMIT"])
    _set_stage(event, now, amount, unit)


def _start_handling_stage(event: Event, now: datetime, at: datetime | None = None) -> None:
    cat = event.category
    _set_stage(event, now, cat.time_limit, cat.time_unit, at=at)


def _start_verify_stage(event: Event, now: datetime) -> None:
    amount, unit = workcal.parse_limit(settings.GRIDGOV["VERIFY_LIMIT"])
    _set_stage(event, now, amount, unit)


# --- effects ----------------------------------------------------------------------------------
# Each effect gets (event, actor, params, now) and may return extra log data.  Inputs are
# validated by the service layer before perform() is called; effects check only what depends
# on the locked row.

def _finish(event, actor, params, now):
    _clear_stage(event)


def _merge(event, actor, params, now):
    target: Event = params["target"]
    if target.pk == event.pk:
        raise ValidationFailed(_("不能合并到自身"), {"target": [_("不能合并到自身")]})
    if target.status not in OPEN_STATUSES:
        raise Conflict(_("只能合并到办理中的事件"), code="target_not_open")
    event.merged_into = target
    _clear_stage(event)
    return {"target": target.number}


def _escalate(event, actor, params, now):
    parent = event.center.parent
    previous = event.center
    event.center = parent
    event.escalation_count += 1
    start_accept_stage(event, now)
    return {"from_center": previous.code, "to_center": parent.code}


def _dispatch(event, actor, params, now):
    lead = params["lead_department"]
    assisting = [d for d in params.get("assisting_departments", []) if d.pk != lead.pk]
    event.lead_department = lead
    if event.status == S.HANDLED:  # an on-the-spot resolution did not pass verification
        event.result = ""
    _start_handling_stage(event, now, at=params.get("deadline"))
    assists.summon(event, assisting, now)
    return {
        "lead_department": lead.name,
        "assisting_departments": [d.name for d in assisting],
        "_assisting": assisting,
    }


def _return(event, actor, params, now):
    dept = event.lead_department
    event.lead_department = None
    event.return_count += 1
    start_accept_stage(event, now)
    assists.withdraw(event, now)
    return {"department": dept.name if dept else "", "_clear_assisting": True}


def _request_extension(event, actor, params, now):
    requested: datetime = params["requested_deadline"]
    if event.deadline and requested <= event.deadline:
        raise ValidationFailed(
            _("申请的期限必须晚于当前期限"), {"requested_deadline": [_("申请的期限必须晚于当前期限")]}
        )
    ExtensionRequest.objects.create(
        event=event, department=event.lead_department, requested_by=actor, requested_deadline=requested,
        reason=params["note"], created_at=now,
    )
    return {"requested_deadline": requested.isoformat()}


def _approve_extension(event, actor, params, now):
    req = event.extension_requests.get(state=ExtensionRequest.State.PENDING)
    req.state, req.decided_by, req.decided_at = ExtensionRequest.State.APPROVED, actor, now
    req.save(update_fields=["state", "decided_by", "decided_at"])
    old = event.deadline
    start = event.stage_started_at or now
    event.extension_count += 1
    if event.due_at is not None and old is not None:  # the 办结时限 moves by what the extension grants
        event.due_at += req.requested_deadline - old
    event.deadline = req.requested_deadline
    event.warn_at = warn_moment(start, event.deadline, event.deadline_unit or TimeUnit.NATURAL_HOURS)
    return {"old_deadline": old.isoformat() if old else None, "new_deadline": event.deadline.isoformat()}


def _deny_extension(event, actor, params, now):
    req = event.extension_requests.get(state=ExtensionRequest.State.PENDING)
    req.state, req.decided_by, req.decided_at = ExtensionRequest.State.DENIED, actor, now
    req.save(update_fields=["state", "decided_by", "decided_at"])


def _handled(event, actor, params, now):
    event.result = params["note"]
    _start_verify_stage(event, now)


def _on_spot(event, actor, params, now):
    event.resolved_on_spot = True
    event.result = params["note"]
    _start_verify_stage(event, now)


def _close(event, actor, params, now):
    event.closed_at = now
    _clear_stage(event)


def _rework(event, actor, params, now):
    event.rework_count += 1
    event.result = ""
    _start_handling_stage(event, now)


def _reopen(event, actor, params, now):
    # the unsatisfied rating stays in this log row; the redone work gets a rating of its own
    previous = {"previous_rating": followup.effective_rating(event), "previous_rating_comment": event.rating_comment}
    event.rating = event.rating_comment = event.followup_rating = event.followup_respondent = ""
    event.dissatisfaction_pending = False
    event.reopen_count += 1
    event.closed_at = None
    event.lead_department = None
    event.result = ""
    start_accept_stage(event, now)
    assists.withdraw(event, now)
    return {**previous, "_clear_assisting": True}


def _supervise(event, actor, params, now):
    level = params["level"]
    if level not in (Supervision.YELLOW, Supervision.RED):
        raise ValidationFailed(_("督办级别无效"), {"level": [_("请选择黄牌或红牌")]})
    event.supervision = level
    return {"level": level}


def _escalated_to(path: str = "") -> Case:
    """The center an overdue case is escalated to: its center's parent, the city's own center itself."""
    return Case(When(center__level__gt=Region.Level.CITY, then=F(f"center__parent{path}")), default=F(f"center{path}"))


# the escalation as SQL (gridgov.cases.setwise): perform() and the sweep's set-based batch evaluate the same
_sla_escalate = SetEffect(sets={"escalated_center": _escalated_to()},
                          data={"to_center": _escalated_to("__code"), "deadline": IsoFormat("deadline")})


EFFECTS = {
    "finish": _finish, "merge": _merge, "escalate": _escalate, "dispatch": _dispatch, "return_": _return,
    "request_extension": _request_extension, "approve_extension": _approve_extension,
    "deny_extension": _deny_extension, "handled": _handled, "on_spot": _on_spot, "close": _close,
    "rework": _rework, "reopen": _reopen, "supervise": _supervise, "sla_escalate": _sla_escalate,
    **followup.EFFECTS,
    **assists.EFFECTS,
}


class EventLifecycle(Lifecycle):
    kind = "event"
    noun = gettext_lazy("事件")
    model = Event
    log_model = EventLog
    case_field = "event"
    notice_model = SlaNotice
    messages_of = staticmethod(notifications.messages)
    transitions = TRANSITIONS
    effects = EFFECTS
    open_statuses = OPEN
    closed_statuses = (S.CLOSED,)
    select_related = ("center", "center__parent", "region", "category", "grid")
    tally_related = ("region", "grid", "category", "center")
    category_path = "category__code"
    sweeps = (
        SweepPlan(SlaNotice.Kind.ESCALATE, "sla_escalate", OVERDUE, "escalated",
                  digest=gettext_lazy("已超期事件%(count)d件，已升级督办")),
        SweepPlan(SlaNotice.Kind.REMIND, "sla_remind", NEAR_DUE, "reminded", digest=gettext_lazy("即将超期事件%(count)d件")),
        SweepPlan(assists.NOTICE_KIND, "assist_remind", OVERDUE, "assists_reminded", candidates=assists.overdue_candidates,
                  still_due=assists.still_overdue, deadline_of=assists.notice_deadline, order_by=("pk",),
                  digest=gettext_lazy("协办部门未按时报到的事件%(count)d件")),
    )
    worklist_url = "events:list"

    def category_of(self, event: Event) -> str:
        return event.category.code

    def batch_messages(self, events: list, entries: list) -> list[list]:
        return notifications.batch_messages(events, entries)

    def tally_counts(self, event: Event) -> dict[str, int]:
        """What an event counts for (docs/evaluation.md gives each measure's rule)."""
        closed = event.status == S.CLOSED
        level, L = event.center.level, Region.Level
        # closed by the grid: resolved on the spot, and no department took it up after a failed verification
        in_grid = closed and event.resolved_on_spot and event.lead_department_id is None
        return {
            "reported": 1,
            "valid": event.status not in (S.REPORTED, S.REJECTED, S.MERGED),
            # a reopen forgets the department: an on-the-spot case was dispatched if a department was involved
            "dispatched": event.lead_department_id is not None or event.return_count > 0 or event.rework_count > 0
            or (event.reopen_count > 0 and (not event.resolved_on_spot or event.involved_departments.exists())),
            "closed": closed,
            "closed_on_time": closed and event.closed_on_time is True,
            "reworked": event.rework_count > 0,
            "extended": event.extension_count > 0,
            "returned": event.return_count > 0,
            "rated": bool(followup.effective_rating(event)),  # the reporter's, else a 回访's
            "satisfied": followup.effective_rating(event) in followup.SATISFIED,
            "resolved_grid": in_grid,
            "resolved_township": closed and not in_grid and level == L.TOWNSHIP,
            "resolved_county": closed and not in_grid and level == L.COUNTY,
            "resolved_city": closed and not in_grid and level <= L.CITY,
        }

    def backfill_due(self, event: Event) -> bool:
        """The promise made at report (:func:`due_moment`) — approved extensions of old cases are not replayed,
        so an old case that was extended is judged against its original 办结时限."""
        event.due_at = due_moment(event, event.created_at)
        if event.status == S.CLOSED and event.closed_at is not None:
            event.closed_on_time = event.closed_at <= event.due_at
        return True

    def department_id_of(self, event: Event) -> int | None:
        return event.lead_department_id

    def department_flows(self, action, department_id, event, on_time):
        if action == "dispatch":
            return event.lead_department_id, ("received",)
        measures = {
            "sign": ("signed", "signed_on_time") if on_time else ("signed",),
            "feedback": ("handled", "handled_on_time") if on_time else ("handled",),
            "return": ("returned",),
            "verify_fail": ("reworked",),
            "approve_extension": ("extended",),
            "rate": followup.department_rating_flows(action, event),
            "follow_up": followup.department_rating_flows(action, event),
        }.get(action, ()) or assists.flows(action, on_time)
        return (department_id, measures) if department_id and measures else (None, ())

    def after_save(self, event: Event, private: dict) -> None:
        assisting = private.get("_assisting")
        if assisting is not None:
            event.assisting_departments.set(assisting)
            event.involved_departments.add(event.lead_department, *assisting)
        if private.get("_clear_assisting"):
            event.assisting_departments.clear()

    def after_transition(self, event: Event, entry, private: dict, before: dict) -> None:
        assists.after_transition(entry, private)
        super().after_transition(event, entry, private, before)


LIFECYCLE = register(EventLifecycle())
# the engine's operations, under the names the pages, the API and the tests use
check, allowed_actions, perform, transition = LIFECYCLE.operations()
HUMAN_ACTIONS = LIFECYCLE.human_actions


def due_moment(event: Event, now: datetime) -> datetime:
    """The event's 办结时限, promised at report: the acceptance, handling (the category's limit) and
    verification limits one after another in working time (an approved extension moves it later)."""
    at = now
    for amount, unit in (workcal.parse_limit(settings.GRIDGOV["ACCEPT_LIMIT"]),
                         (event.category.time_limit, event.category.time_unit),
                         workcal.parse_limit(settings.GRIDGOV["VERIFY_LIMIT"])):
        at = workcal.add_time(at, amount, unit).at
    return at


def open_event(event: Event, actor, now: datetime, fill=None) -> EventLog:
    """Write a new event in its first state with its acceptance deadline and the "report" entry, and number
    it (SJ…) at the end of the transaction; ``fill()`` writes what else is its own (attachments) before."""
    event.status = S.REPORTED
    start_accept_stage(event, now)
    event.due_at = due_moment(event, now)
    return LIFECYCLE.open(event, actor, now, "report", number_prefix="" if event.number else "SJ", fill=fill)


__all__ = ["SYSTEM", "Citizen", "perform", "allowed_actions", "open_event", "TRANSITIONS", "check"]

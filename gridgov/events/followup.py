"""跟踪回访 (follow-up) and the handling of a 不满意 (unsatisfied) result, declared on the event lifecycle.

After a case is closed, the center's operator — or a grid worker of the case's grid — calls on or visits the
reporter, or another affected person when the reporter is not the one the problem touched (a grid worker's
own report), and records how (电话/上门/短信), whom they asked, what they heard and whether that person is
satisfied: the ``follow_up`` transition (the case stays closed), one :class:`~gridgov.events.models.FollowUp`
row each time.

How a 回访 counts (docs/evaluation.md): the reporter's own rating (``rate``) is the case's rating; while the
reporter has not rated, the satisfaction of the latest 回访 since the close counts instead
(:func:`effective_rating`) — a grid worker's report gets its rating this way. A reopen forgets both.

A 不满意 — rated by the reporter or heard in a 回访 — alerts the center's operators at once
(gridgov/events/notifications.py) and puts the case on the worklist's 不满意待处理 list
(``dissatisfaction_pending``); the operator takes it off by reopening it (``reopen``, once) or by explaining
it (``explain_dissatisfaction``, with a note).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.errors import ValidationFailed
from gridgov.events.models import Event, FollowUp, Rating

SATISFIED = (Rating.SATISFIED, Rating.BASICALLY)


def effective_rating(event: Event) -> str:
    """The rating the case counts with: the reporter's, else the latest 回访's, else ""."""
    return event.rating or event.followup_rating


def center_operator(user, event: Event) -> bool:
    return isinstance(user, User) and user.role == User.Role.OPERATOR and user.region_id == event.center_id


def may_follow_up(user, event: Event) -> bool:
    """The operators of the case's center, and the grid workers of its grid (they live next door)."""
    if center_operator(user, event):
        return True
    return (isinstance(user, User) and user.role == User.Role.GRID_WORKER and event.grid_id is not None
            and event.grid.staff.filter(user=user).exists())


def explain_guard(event: Event) -> str | None:
    if not event.dissatisfaction_pending:
        return _("该案件没有待处理的不满意评价")
    return None


# --- inputs -------------------------------------------------------------------------------------

def parse_params(event: Event, raw: dict) -> dict:
    """The 回访's inputs, checked field by field (Chinese messages next to each field)."""
    errors: dict[str, list[str]] = {}
    method = (raw.get("method") or "").strip()
    respondent = (raw.get("respondent") or "").strip()
    name = (raw.get("respondent_name") or "").strip()
    relationship = (raw.get("relationship") or "").strip()
    satisfaction = (raw.get("satisfaction") or "").strip()
    if method not in FollowUp.Method.values:
        errors["method"] = [_("请选择回访方式")]
    if respondent not in FollowUp.Respondent.values:
        errors["respondent"] = [_("请选择回访对象")]
    elif respondent == FollowUp.Respondent.OTHER:
        if not name:
            errors["respondent_name"] = [_("回访的不是反映人本人时，请填写受访人姓名")]
        if not relationship:
            errors["relationship"] = [_("请填写受访人与事件的关系，如：受影响的住户")]
    if len(name) > 50:
        errors["respondent_name"] = [_("不能超过 %(n)s 个字符") % {"n": 50}]
    if len(relationship) > 50:
        errors["relationship"] = [_("不能超过 %(n)s 个字符") % {"n": 50}]
    if satisfaction not in Rating.values:
        errors["satisfaction"] = [_("请选择 满意 / 基本满意 / 不满意")]
    if errors:
        raise ValidationFailed(_("回访记录有误，请检查"), errors)
    if respondent == FollowUp.Respondent.REPORTER and not name:
        name = event.reporter.display_name if event.reporter_id else event.reporter_name
    return {"method": method, "respondent": respondent, "respondent_name": name[:50],
            "relationship": relationship, "satisfaction": satisfaction}


# --- effects ------------------------------------------------------------------------------------

def follow_up(event: Event, actor, params, now):
    FollowUp.objects.create(
        event=event, method=params["method"], respondent=params["respondent"],
        respondent_name=params["respondent_name"], relationship=params["relationship"], result=params["note"],
        satisfaction=params["satisfaction"], by=actor, created_at=now,
    )
    event.followup_rating = params["satisfaction"]
    if params["satisfaction"] == Rating.UNSATISFIED:
        event.dissatisfaction_pending = True
    return {"method": params["method"], "respondent": params["respondent"],
            "respondent_name": params["respondent_name"], "relationship": params["relationship"],
            "satisfaction": params["satisfaction"]}


def explain_dissatisfaction(event: Event, actor, params, now):
    event.dissatisfaction_pending = False


EFFECTS = {"follow_up": follow_up, "explain_dissatisfaction": explain_dissatisfaction}


# --- what a department's figures count ----------------------------------------------------------

def department_rating_flows(action: str, event: Event) -> tuple[str, ...]:
    """A department's 已评价 / 满意 (DeptTally) count the first rating each closure of a case gets: the
    reporter's ``rate`` when no 回访 rated that closure before it, or the first 回访 when the reporter had not
    rated. ``event`` is the case after the transition."""
    if action == "rate":
        first = not event.followup_rating
        rating = event.rating
    elif action == "follow_up":
        since = event.followups.all() if event.closed_at is None else event.followups.filter(
            created_at__gte=event.closed_at)
        first = not event.rating and since.count() == 1
        rating = event.followup_rating
    else:
        return ()
    if not first:
        return ()
    return ("rated", "satisfied") if rating in SATISFIED else ("rated",)

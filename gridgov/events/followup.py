"""跟踪回访 (follow-up) and the handling of a 不满意 (unsatisfied) result, declared on the event lifecycle.

After a case is closed, the center's operator — or a grid worker of the case's grid — calls on or visits the
reporter, or another affected person when the reporter is not the one the problem touched (a grid worker's
own report), and records how (电话/上门/短信), whom they asked, what they heard and whether that person is
satisfied: the ``follow_up`` transition (the case stays closed), one :class:`~gridgov.events.models.FollowUp`
row each time.

How a 回访 counts (docs/evaluation.md) — one rule, :func:`counts_over`, read by the rollups
(``tally_counts``), the worklist's measures and filters (gridgov/events/counted.py), the API and a department's
figures (:func:`department_rating_flows`): the answers rank — the reporter's own rating (``rate``) first, then
a 回访 that asked the reporter, then a 回访 that asked anyone else. An answer of lower rank never overrides one
of higher rank; among equal rank the latest counts; and while the case is on the 不满意待处理 list no 回访
changes what it counts (only the reporter's own rating may). ``followup_rating`` / ``followup_respondent``
hold the 回访 that counts; :func:`effective_rating` is the case's rating. A reopen forgets them all.

A 不满意 that the case comes to count — rated by the reporter or heard in a 回访 that counts — alerts the
center's operators at once (gridgov/events/notifications.py) and puts the case on the worklist's 不满意待处理
list (``dissatisfaction_pending``); a 回访 that does not count (say the reporter already rated 满意) is kept
in the record but neither alerts nor lists. The operator takes the case off by reopening it (``reopen``, once
per case) or by explaining it (``explain_dissatisfaction``, with a note); the reporter rating 满意 / 基本满意
takes it off too, since the case no longer counts a 不满意.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.errors import ValidationFailed
from gridgov.events.models import Event, FollowUp, Rating

SATISFIED = (Rating.SATISFIED, Rating.BASICALLY)


# the rank of an answer: the reporter's own rating, a 回访 that asked the reporter, a 回访 that asked someone else
RATE_RANK = 3
RESPONDENT_RANK = {FollowUp.Respondent.REPORTER: 2, FollowUp.Respondent.OTHER: 1}


def effective_rating(event: Event) -> str:
    """The rating the case counts with: the reporter's, else the counted 回访's (:func:`counts_over`), else ""."""
    return event.rating or event.followup_rating


def counted_rank(event: Event) -> int:
    """The rank of the answer the case counts with now (0: none)."""
    if event.rating:
        return RATE_RANK
    if event.followup_rating:
        return RESPONDENT_RANK.get(event.followup_respondent, 1)  # an unknown respondent ranks lowest
    return 0


def counts_over(event: Event, rank: int) -> bool:
    """Whether a new answer of ``rank`` becomes what the case counts: not of lower rank than the counted one
    (equal rank: the later wins), and no 回访 while a 不满意 waits on the 不满意待处理 list."""
    if rank < RATE_RANK and event.dissatisfaction_pending:
        return False
    return rank >= counted_rank(event)


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
    event._rating_before = effective_rating(event)  # for department_rating_flows
    counted = counts_over(event, RESPONDENT_RANK[params["respondent"]])
    if counted:
        event.followup_rating = params["satisfaction"]
        event.followup_respondent = params["respondent"]
        if params["satisfaction"] == Rating.UNSATISFIED:
            event.dissatisfaction_pending = True
    return {"method": params["method"], "respondent": params["respondent"],
            "respondent_name": params["respondent_name"], "relationship": params["relationship"],
            "satisfaction": params["satisfaction"], "counted": counted}


def rate(event: Event, actor, params, now):
    """The reporter's own rating: it ranks first, so it always becomes what the case counts."""
    event._rating_before = effective_rating(event)
    event.rating = params["rating"]
    event.rating_comment = params.get("note", "")
    # a 不满意 goes on the list; the reporter's 满意 takes off one a 回访 put there
    event.dissatisfaction_pending = event.rating == Rating.UNSATISFIED
    return {"rating": event.rating}


def explain_dissatisfaction(event: Event, actor, params, now):
    event.dissatisfaction_pending = False


EFFECTS = {"follow_up": follow_up, "rate": rate, "explain_dissatisfaction": explain_dissatisfaction}


# --- what a department's figures count ----------------------------------------------------------

def department_rating_flows(action: str, event: Event) -> tuple[str, ...]:
    """A department's 已评价 / 满意 (DeptTally) follow what each closure of a case counts (:func:`counts_over`):
    the transition that first gives a closure a rating counts ``rated`` (and ``satisfied`` if it is), and one
    that changes the counted rating between 满意/基本满意 and 不满意 — a higher-ranked answer arriving — records
    the correcting flow (``satisfied`` or ``-satisfied``, gridgov/cases/tally.py). ``event`` is the case after
    the transition; the effect noted the rating before it."""
    if action not in ("rate", "follow_up"):
        return ()
    before, after = getattr(event, "_rating_before", ""), effective_rating(event)
    flows: list[str] = []
    if after and not before:
        flows.append("rated")
    was, now = before in SATISFIED, after in SATISFIED
    if now and not was:
        flows.append("satisfied")
    elif was and not now:
        flows.append("-satisfied")
    return tuple(flows)

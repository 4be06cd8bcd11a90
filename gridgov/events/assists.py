"""吹哨报到 (the center blows the whistle, the departments report in): the assisting departments of an event.

When the center dispatches a case and names assisting departments (吹哨), each gets an :class:`Assist` row:
called at the dispatch, with its own 报到 deadline (``GRIDGOV["ASSIST_REPORT_LIMIT"]`` from the call, never
later than the handling deadline) and the handling deadline for its part. The department's liaison finds the
case in the inbox, reports in (``report_in``, 报到) and records the department's part (``assist_feedback``,
协办反馈: a note and photos, stored by the kernel's upload store on the log row). A return or a reopen
withdraws the calls still open; a new dispatch calls afresh.

Both actions are rows of the event lifecycle's table (:mod:`gridgov.events.workflow`); what is theirs is
here: who may (the liaison of a department with an open call), the effects, the department and deadline each
is judged against (``Transition.concerns``: the statistics count an assisting department's 报到 as its
signed / signed_on_time and its 协办反馈 as handled / handled_on_time, like the lead's 签收 and 反馈), the
messages, the reminder sweep for a department that has not reported in by its deadline, and what the pages
and the API show.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Exists, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import User
from gridgov.cases.notify import Message
from gridgov.cases.scope import in_ids
from gridgov.events.models import Assist, Event, EventLog, SlaNotice, Status
from gridgov.worktime import calendar as workcal

# the states in which an assisting department reports in and feeds back: while the lead works on the case and
# until the center has verified it (an assisting part may come after the lead's feedback)
STATES = (Status.DISPATCHED, Status.HANDLING, Status.HANDLED)
NOTICE_KIND = SlaNotice.Kind.ASSIST_OVERDUE


def _open() -> Q:
    return Q(withdrawn_at__isnull=True, feedback_at__isnull=True)


def own_call(user, event: Event) -> Assist | None:
    """The open call of the user's department on ``event`` (a liaison's), if any."""
    if not (isinstance(user, User) and user.role == User.Role.LIAISON and user.department_id is not None):
        return None
    return event.assists.filter(_open(), department_id=user.department_id).select_related("department").first()


# --- who may ----------------------------------------------------------------------------------

def called_liaison(user, event: Event) -> bool:
    """A liaison of a department called to the case that has not reported in yet."""
    call = own_call(user, event)
    return call is not None and call.reported_in_at is None


def reported_liaison(user, event: Event) -> bool:
    """A liaison of a department that has reported in and not yet recorded its part."""
    call = own_call(user, event)
    return call is not None and call.reported_in_at is not None


# --- what the statistics judge (Transition.concerns) ------------------------------------------

def report_in_concerns(event: Event, actor) -> tuple[int | None, datetime | None]:
    call = own_call(actor, event)
    return (call.department_id, call.report_deadline) if call else (None, None)


def feedback_concerns(event: Event, actor) -> tuple[int | None, datetime | None]:
    call = own_call(actor, event)
    return (call.department_id, call.feedback_deadline) if call else (None, None)


def flows(action: str, on_time: bool | None) -> tuple[str, ...]:
    """The department measures of an assisting department's action (gridgov.cases.models.DEPT_MEASURES)."""
    if action == "report_in":
        return ("signed", "signed_on_time") if on_time else ("signed",)
    if action == "assist_feedback":
        return ("handled", "handled_on_time") if on_time else ("handled",)
    return ()


# --- calls: made at dispatch, withdrawn at return and reopen ---------------------------------

def report_deadline(now: datetime, handling_deadline: datetime | None) -> datetime:
    amount, unit = workcal.parse_limit(settings.GRIDGOV["ASSIST_REPORT_LIMIT"])
    at = workcal.add_time(now, amount, unit).at
    return min(at, handling_deadline) if handling_deadline is not None else at


def summon(event: Event, departments, now: datetime) -> None:
    """吹哨: call each assisting department (called by the dispatch effect, once the handling stage is set)."""
    withdraw(event, now)
    due = report_deadline(now, event.deadline)
    Assist.objects.bulk_create([
        Assist(event=event, department=d, called_at=now, report_deadline=due, feedback_deadline=event.deadline)
        for d in departments
    ])


def withdraw(event: Event, now: datetime) -> None:
    """The calls still open end when the case leaves the departments (return, reopen)."""
    Assist.objects.filter(_open(), event=event).update(withdrawn_at=now)


# --- effects ----------------------------------------------------------------------------------

def _report_in(event, actor, params, now):
    call = own_call(actor, event)
    call.reported_in_at, call.reported_in_by = now, actor
    call.reported_on_time = now <= call.report_deadline
    call.save(update_fields=["reported_in_at", "reported_in_by", "reported_on_time"])
    return {"assist_department": call.department.name,
            "timeliness": _("按时报到") if call.reported_on_time else _("超时报到")}


def _feedback(event, actor, params, now):
    call = own_call(actor, event)
    call.feedback_at, call.feedback_by, call.feedback = now, actor, params["note"]
    call.feedback_on_time = None if call.feedback_deadline is None else now <= call.feedback_deadline
    call.save(update_fields=["feedback_at", "feedback_by", "feedback", "feedback_on_time"])
    data = {"assist_department": call.department.name, "_assist": call}
    if call.feedback_on_time is not None:
        data["timeliness"] = _("按期反馈") if call.feedback_on_time else _("超期反馈")
    return data


def _late(event: Event, now: datetime) -> QuerySet:
    return Assist.objects.filter(_open(), event=event, reported_in_at__isnull=True, report_deadline__lte=now)


def _remind(event, actor, params, now):
    names = [a.department.name for a in _late(event, now).select_related("department")]
    return {"late_departments": "、".join(names)}


EFFECTS = {"assist_report_in": _report_in, "assist_feedback": _feedback, "assist_remind": _remind}


def after_transition(entry: EventLog, private: dict) -> None:
    """The 协办反馈 row's attachments are the department's photos: link the call to its log row."""
    call = private.get("_assist")
    if call is not None:
        Assist.objects.filter(pk=call.pk).update(feedback_log=entry)


# --- who is told ------------------------------------------------------------------------------

def messages(event: Event, entry: EventLog, link: str) -> list[Message]:
    subject = f"{event.number} {event.category.name}"
    dept = (entry.data or {}).get("assist_department", "")
    lead = (event.lead_department_id,) if event.lead_department_id else ()
    if entry.action == "report_in":
        return [Message(entry.action, _("%(dept)s已报到：%(s)s") % {"dept": dept, "s": subject}, entry.note, link,
                        operators_of=(event.center_id,), liaisons_of=lead)]
    if entry.action == "assist_feedback":
        return [Message(entry.action, _("%(dept)s已协办反馈：%(s)s") % {"dept": dept, "s": subject},
                        entry.note[:200], link, operators_of=(event.center_id,), liaisons_of=lead)]
    if entry.action == "assist_remind":
        late = tuple(_late(event, entry.created_at).values_list("department_id", flat=True))
        return [Message(entry.action, _("协办部门未按时报到：%s") % subject,
                        (entry.data or {}).get("late_departments", ""), link,
                        operators_of=(event.center_id,), liaisons_of=late)]
    return []


# --- the sweep: a department that has not reported in by its deadline --------------------------

def _unnoticed(now: datetime) -> QuerySet:
    """The open, unreported calls whose deadline has passed and has no reminder yet."""
    noticed = SlaNotice.objects.filter(event=OuterRef("event"), kind=NOTICE_KIND, deadline=OuterRef("report_deadline"))
    return Assist.objects.filter(_open(), reported_in_at__isnull=True, report_deadline__lte=now).exclude(Exists(noticed))


def overdue_candidates(now: datetime) -> QuerySet:
    """The events with such a call: ``id IN (their events)``, so that the calls (few) lead the query — as an
    ``EXISTS`` per event, SQLite scans every event to find none."""
    return Event.objects.filter(pk__in=_unnoticed(now).values("event_id"), status__in=STATES)


def _not_reminded(event: Event) -> QuerySet:
    noticed = SlaNotice.objects.filter(event=event, kind=NOTICE_KIND).values("deadline")
    return Assist.objects.filter(_open(), event=event, reported_in_at__isnull=True).exclude(
        report_deadline__in=noticed)


def still_overdue(event: Event, now: datetime) -> bool:
    """Re-checked on the locked row: a call is still unreported past its deadline, and not reminded yet."""
    return event.status in STATES and _not_reminded(event).filter(report_deadline__lte=now).exists()


def notice_deadline(event: Event) -> datetime:
    """The earliest 报到 deadline of the event's unreported calls not reminded yet (one notice per deadline:
    the departments called at one dispatch share it); past, since :func:`still_overdue` holds."""
    return _not_reminded(event).aggregate(m=Min("report_deadline"))["m"]


# --- what pages and the API show ----------------------------------------------------------------

def calls(event: Event, *, with_photos: bool = True) -> list[Assist]:
    """The event's calls, oldest first, with the department, the people and (``with_photos``) the 协办反馈's
    photos."""
    qs = event.assists.select_related("department", "reported_in_by", "feedback_by")
    return list(qs.prefetch_related("feedback_log__attachments") if with_photos else qs)


def state_of(call: Assist, now: datetime) -> str:
    if call.withdrawn_at is not None:
        return "withdrawn"
    if call.feedback_at is not None:
        return "done"
    if call.reported_in_at is not None:
        return "reported"
    return "late" if now >= call.report_deadline else "called"


STATE_LABELS = {"withdrawn": gettext_lazy("已撤回"), "done": gettext_lazy("已协办反馈"),
                "reported": gettext_lazy("已报到，待反馈"), "late": gettext_lazy("超时未报到"),
                "called": gettext_lazy("待报到")}


def photos(call: Assist) -> list:
    return list(call.feedback_log.attachments.all()) if call.feedback_log_id else []


def as_dict(call: Assist, now: datetime) -> dict:
    state = state_of(call, now)
    return {
        "department": call.department.code, "department_name": call.department.name, "state": state,
        "state_label": str(STATE_LABELS[state]), "called_at": call.called_at, "report_deadline": call.report_deadline,
        "reported_in_at": call.reported_in_at, "reported_on_time": call.reported_on_time,
        "reported_in_by": str(call.reported_in_by) if call.reported_in_by_id else None,
        "feedback_deadline": call.feedback_deadline, "feedback_at": call.feedback_at, "feedback": call.feedback,
        "feedback_on_time": call.feedback_on_time,
        "feedback_by": str(call.feedback_by) if call.feedback_by_id else None,
        "attachments": [a.url for a in photos(call)], "withdrawn_at": call.withdrawn_at,
    }


def inbox_q(tab: str, department_id: int, unindexed: bool = False) -> Q:
    """The inbox tabs' share of an assisting department: to report in, reported (part to record), done."""
    # a subquery on the calls, not a join: an event is listed once however many calls it had
    calls = Assist.objects.filter(department_id=department_id)
    # the open calls are few: their events by key (in_ids), so that the tab's OR with the lead's cases is two
    # index lookups rather than a check of every open event of the city against the calls
    if tab == "pending":
        ids = calls.filter(withdrawn_at__isnull=True, reported_in_at__isnull=True, feedback_at__isnull=True)
        return in_ids("pk", ids.values("event_id")) & Q(status__in=STATES)
    if tab == "handling":
        ids = calls.filter(withdrawn_at__isnull=True, reported_in_at__isnull=False, feedback_at__isnull=True)
        return in_ids("pk", ids.values("event_id")) & Q(status__in=STATES)
    ids = calls.filter(feedback_at__isnull=False).values("event_id")
    if unindexed:
        from django.db.models import BigIntegerField, F
        from django.db.models.lookups import In

        from gridgov.cases.scope import Unindexed

        return Q(In(Unindexed(F("pk"), output_field=BigIntegerField()), ids))
    return Q(pk__in=ids)


def with_own_deadline(qs: QuerySet, department_id: int) -> QuerySet:
    """The inbox rows with the department's own 报到 deadline while it has not reported in (``own_report_due``)."""
    due = Assist.objects.filter(_open(), event=OuterRef("pk"), department_id=department_id,
                                reported_in_at__isnull=True).values("report_deadline")[:1]
    return qs.annotate(own_report_due=Subquery(due))


def panel(event: Event, now: datetime | None = None, photos_by_entry: dict | None = None) -> list[dict]:
    """The event page's 吹哨报到 panel: every call, who reported in and when (or overdue), and the parts.
    ``photos_by_entry``: the attachments of the event's log entries by entry id, already read by the page
    (``services.page_timeline``); a 协办反馈 entry not among them is read as before."""
    now = now or timezone.now()
    if photos_by_entry is None:
        found = calls(event)
        return [{"call": c, "state": state_of(c, now), "state_label": STATE_LABELS[state_of(c, now)],
                 "photos": photos(c)} for c in found]
    found = calls(event, with_photos=False)
    return [{"call": c, "state": state_of(c, now), "state_label": STATE_LABELS[state_of(c, now)],
             "photos": (photos_by_entry[c.feedback_log_id] if c.feedback_log_id in photos_by_entry else photos(c))}
            for c in found]

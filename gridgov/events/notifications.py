"""Who is told what after an event transition, as kernel messages (gridgov.cases.notify)."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.cases.notify import Message
from gridgov.events import assists
from gridgov.events.models import Event, EventLog

WORKING = ("dispatched", "handling")


def _link(event: Event) -> str:
    try:
        return reverse("events:detail", args=[event.number])
    except Exception:
        return f"/events/{event.number}/"


_PLAIN_NUMBER = re.compile(r"[A-Za-z0-9_-]+")


def batch_messages(events: list[Event], entries: list[EventLog]) -> list[list[Message]]:
    """The sweep's batch, a list per case: the detail links made from one ``reverse`` (a number of letters,
    digits, ``-`` and ``_`` appears in its link as it is), not one a case."""
    marker = "0" * 8
    template = _link(Event(number=marker))
    if template.count(marker) != 1:
        return [messages(e, entry) for e, entry in zip(events, entries, strict=True)]
    head, tail = template.split(marker)
    return [messages(e, entry, f"{head}{e.number}{tail}" if _PLAIN_NUMBER.fullmatch(e.number) else None)
            for e, entry in zip(events, entries, strict=True)]


def _lead(event: Event) -> tuple:
    return (event.lead_department_id,) if event.lead_department_id else ()


def _track_link(event: Event) -> str:
    try:
        return reverse("web:citizen_track") + f"?number={event.number}"
    except Exception:
        return f"/track/?number={event.number}"


def hotline_receipt(event: Event) -> Message | None:
    """The SMS a 12345 caller gets when the operator has recorded their call: the tracking number and how to
    follow and rate the case (the number is sealed in the notification row, masked in the console log)."""
    if event.source != "hotline" or event.reporter_id or not event.reporter_phone:
        return None
    return Message(
        "hotline_receipt", _("您的来电已登记，事件编号：%(number)s") % {"number": event.number},
        _("您反映的问题已登记，事件编号 %(number)s。请凭此编号和本手机号在“进度查询”页面查询办理进度，"
          "办结后可在该页面评价。") % {"number": event.number},
        _track_link(event), phone=event.reporter_phone)


def dissatisfaction_alert(event: Event, entry: EventLog, subject: str, link: str) -> Message | None:
    """A 不满意 the case comes to count — rated by the reporter or heard in a 回访 that counts
    (gridgov/events/followup.py) — tells the center's operators at once."""
    data = entry.data or {}
    rating = data.get("rating" if entry.action == "rate" else "satisfaction")
    if rating != "unsatisfied" or not data.get("counted", True):
        return None
    how = _("群众评价不满意") if entry.action == "rate" else _("回访不满意")
    return Message("unsatisfied", _("%(how)s，请处理：%(subject)s") % {"how": how, "subject": subject},
                   entry.note[:200], link, operators_of=(event.center_id,))


def messages(event: Event, entry: EventLog, link: str | None = None) -> list[Message]:
    a = entry.action
    subject = f"{event.number} {event.category.name}"
    link = _link(event) if link is None else link
    center = (event.center_id,)
    if a == "report":
        receipt = hotline_receipt(event)
        return [Message(a, _("待受理：%s") % subject, event.description[:200], link, operators_of=center),
                *([receipt] if receipt else [])]
    if a in ("rate", "follow_up"):
        alert = dissatisfaction_alert(event, entry, subject, link)
        return [alert] if alert else []
    if a in ("escalate", "return", "reopen"):
        return [Message(a, _("待受理：%s") % subject, event.description[:200], link, operators_of=center)]
    if a == "hand_down" or (a == "relocate" and entry.data.get("to_center")):
        title = _("下派至本中心，待办理：%s") if a == "hand_down" else _("更正位置后转至本中心，待办理：%s")
        return [Message(a, title % subject, entry.note or event.description[:200], link, operators_of=center)]
    if a == "dispatch":
        out = [Message(a, _("新派遣：%s") % subject, entry.note, link, liaisons_of=_lead(event))]
        assisting = tuple(event.assisting_departments.values_list("pk", flat=True))
        if assisting:
            out.append(Message("summon", _("吹哨报到：%s") % subject, entry.note, link, liaisons_of=assisting))
        return out
    if a in ("report_in", "assist_feedback", "assist_remind"):  # 吹哨报到
        return assists.messages(event, entry, link)
    if a == "verify_fail":
        return [Message(a, _("核查不通过，请返工：%s") % subject, entry.note, link, liaisons_of=_lead(event))]
    if a in ("feedback", "resolve_on_spot", "request_extension"):
        return [Message(a, _("待处理：%s") % subject, entry.note, link, operators_of=center)]
    if a in ("approve_extension", "deny_extension"):
        return [Message(a, _("延期审批结果：%s") % subject, entry.note, link, liaisons_of=_lead(event))]
    if a == "verify_pass":
        out = []
        if event.reporter_id:
            out.append(Message(a, _("您上报的事件已办结：%s") % subject, event.result[:200], link, users=[event.reporter]))
        elif event.reporter_phone:
            out.append(Message(a, _("您反映的问题已办结，请评价：%s") % event.number, event.result[:200], "",
                               phone=event.reporter_phone))
        # the reporters of the cases merged into this one follow it
        for merged in event.merged_events.select_related("reporter"):
            if merged.reporter_id:
                out.append(Message(a, _("与您上报的事件合并办理的%s已办结") % subject, event.result[:200], link,
                                   users=[merged.reporter]))
            elif merged.reporter_phone:
                out.append(Message(a, _("您反映的问题（%(mine)s，与%(number)s合并办理）已办结") % {
                    "mine": merged.number, "number": event.number}, event.result[:200], "",
                    phone=merged.reporter_phone))
        return out
    working_lead = _lead(event) if event.status in WORKING else ()
    if a == "sla_remind":
        return [Message(a, _("即将超期：%s") % subject, "", link, operators_of=center, liaisons_of=working_lead)]
    if a == "sla_escalate":
        return [Message(a, _("已超期，升级督办：%s") % subject, "", link,
                        operators_of=(event.center_id, event.escalated_center_id), liaisons_of=working_lead)]
    if a == "supervise":
        return [Message(a, _("督办：%s") % subject, entry.note, link, operators_of=center, liaisons_of=_lead(event))]
    return []

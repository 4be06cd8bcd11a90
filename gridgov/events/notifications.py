"""Who is told what after a transition (in-app rows + the configured delivery backends)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.notify import notify
from gridgov.events.models import Event, EventLog


def center_operators(region_id) -> list[User]:
    return list(User.objects.filter(role=User.Role.OPERATOR, region_id=region_id, is_active=True))


def department_liaisons(dept_ids) -> list[User]:
    return list(User.objects.filter(role=User.Role.LIAISON, department_id__in=dept_ids, is_active=True))


def _link(event: Event) -> str:
    try:
        return reverse("events:detail", args=[event.number])
    except Exception:
        return f"/events/{event.number}/"


def after_transition(event: Event, entry: EventLog) -> None:
    a = entry.action
    subject = f"{event.number} {event.category.name}"
    link = _link(event)
    if a == "report" or a in ("escalate", "return", "reopen"):
        notify(center_operators(event.center_id), a, _("待受理：%s") % subject, event.description[:200], link)
    elif a == "dispatch":
        notify(department_liaisons([event.lead_department_id]), a, _("新派遣：%s") % subject, entry.note, link)
        assisting = list(event.assisting_departments.values_list("pk", flat=True))
        if assisting:
            notify(department_liaisons(assisting), "summon", _("吹哨报到：%s") % subject, entry.note, link)
    elif a == "verify_fail":
        notify(department_liaisons([event.lead_department_id]), a, _("核查不通过，请返工：%s") % subject, entry.note, link)
    elif a in ("feedback", "resolve_on_spot", "request_extension"):
        notify(center_operators(event.center_id), a, _("待处理：%s") % subject, entry.note, link)
    elif a in ("approve_extension", "deny_extension"):
        notify(department_liaisons([event.lead_department_id]), a, _("延期审批结果：%s") % subject, entry.note, link)
    elif a == "verify_pass":
        if event.reporter_id:
            notify([event.reporter], a, _("您上报的事件已办结：%s") % subject, event.result[:200], link)
        elif event.reporter_phone:
            notify([], a, _("您反映的问题已办结，请评价：%s") % event.number, event.result[:200], "", phone=event.reporter_phone)
        # the reporters of the cases merged into this one follow it
        for merged in event.merged_events.select_related("reporter"):
            if merged.reporter_id:
                notify([merged.reporter], a, _("与您上报的事件合并办理的%s已办结") % subject, event.result[:200], link)
            elif merged.reporter_phone:
                notify([], a, _("您反映的问题（%(mine)s，与%(number)s合并办理）已办结") % {
                    "mine": merged.number, "number": event.number}, event.result[:200], "", phone=merged.reporter_phone)
    elif a == "sla_remind":
        targets = center_operators(event.center_id)
        if event.lead_department_id and event.status in ("dispatched", "handling"):
            targets += department_liaisons([event.lead_department_id])
        notify(targets, a, _("即将超期：%s") % subject, "", link)
    elif a == "sla_escalate":
        targets = center_operators(event.center_id) + center_operators(event.escalated_center_id)
        if event.lead_department_id and event.status in ("dispatched", "handling"):
            targets += department_liaisons([event.lead_department_id])
        notify(targets, a, _("已超期，升级督办：%s") % subject, "", link)
    elif a == "supervise":
        targets = center_operators(event.center_id)
        if event.lead_department_id:
            targets += department_liaisons([event.lead_department_id])
        notify(targets, a, _("督办：%s") % subject, entry.note, link)

"""Who is told what after a dispute transition."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.notify import notify
from gridgov.disputes.models import Dispute, DisputeLog, RiskGrade


def center_operators(d: Dispute) -> list[User]:
    return list(User.objects.filter(role=User.Role.OPERATOR, region_id=d.center_id, is_active=True))


def link(d: Dispute) -> str:
    return reverse("disputes:detail", args=[d.number])


def _mediator_user(d: Dispute) -> list[User]:
    return [d.mediator.user] if d.mediator_id and d.mediator.user_id else []


def after_transition(d: Dispute, entry: DisputeLog, grade_before: str) -> None:
    a = entry.action
    subject = _("%(number)s %(type)s纠纷") % {"number": d.number, "type": d.get_dispute_type_display()}
    url = link(d)
    if d.risk_grade == RiskGrade.MAJOR and grade_before != RiskGrade.MAJOR:
        reasons = "；".join(r["reason"] for r in d.risk_reasons) or (d.risk_override_reason or "")
        notify(center_operators(d), "dispute_major_risk", _("重大风险纠纷，请立即处置（防止民转刑）：%s") % subject,
               reasons[:500], url)
    if a in ("register", "reopen"):
        notify(center_operators(d), f"dispute_{a}", _("待受理纠纷：%s") % subject, d.description[:200], url)
    elif a == "assign":
        notify(_mediator_user(d), "dispute_assign", _("新分派调解：%s") % subject, entry.note, url)
    elif a in ("succeed", "fail"):
        notify(center_operators(d), f"dispute_{a}", _("调解结果待回访：%s") % subject, entry.note[:200], url)
    elif a == "sla_remind":
        notify(center_operators(d) + _mediator_user(d), a, _("调解即将超期：%s") % subject, "", url)
    elif a == "sla_overdue":
        notify(center_operators(d) + _mediator_user(d), a, _("调解已超期：%s") % subject, "", url)
    elif a == "confirm_remind":
        notify(center_operators(d) + _mediator_user(d), a, _("调解协议司法确认申请期限将至：%s") % subject,
               entry.note, url)

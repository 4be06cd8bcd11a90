"""Who is told what after a dispute transition, as kernel messages (gridgov.cases.notify)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.cases.notify import Message
from gridgov.disputes.models import Dispute, DisputeLog, RiskGrade


def link(d: Dispute) -> str:
    return reverse("disputes:detail", args=[d.number])


def _mediator_user(d: Dispute) -> list:
    return [d.mediator.user] if d.mediator_id and d.mediator.user_id else []


def messages(d: Dispute, entry: DisputeLog, grade_before: str, mediator_users=None) -> list[Message]:
    """``mediator_users``: the case's mediator's account, when the caller has it (the sweep's batch)."""
    a = entry.action
    subject = _("%(number)s %(type)s纠纷") % {"number": d.number, "type": d.get_dispute_type_display()}
    url = link(d)
    center = (d.center_id,)
    out = []
    if d.risk_grade == RiskGrade.MAJOR and grade_before != RiskGrade.MAJOR:
        reasons = "；".join(r["reason"] for r in d.risk_reasons) or (d.risk_override_reason or "")
        out.append(Message("dispute_major_risk", _("重大风险纠纷，请立即处置（防止民转刑）：%s") % subject,
                           reasons[:500], url, operators_of=center))
    if a in ("register", "reopen"):
        out.append(Message(f"dispute_{a}", _("待受理纠纷：%s") % subject, d.description[:200], url,
                           operators_of=center))
    elif a == "assign":
        out.append(Message("dispute_assign", _("新分派调解：%s") % subject, entry.note, url, users=_mediator_user(d)))
    elif a in ("succeed", "fail"):
        out.append(Message(f"dispute_{a}", _("调解结果待回访：%s") % subject, entry.note[:200], url,
                           operators_of=center))
    elif a in ("sla_remind", "sla_overdue", "confirm_remind"):
        subjects = {"sla_remind": _("调解即将超期：%s"), "sla_overdue": _("调解已超期：%s"),
                    "confirm_remind": _("调解协议司法确认申请期限将至：%s")}
        users = _mediator_user(d) if mediator_users is None else mediator_users
        out.append(Message(a, subjects[a] % subject, entry.note if a == "confirm_remind" else "", url,
                           operators_of=center, users=users))
    return out


def batch_messages(disputes: list[Dispute], entries: list[DisputeLog]) -> list[list[Message]]:
    """The sweep's batch (system actions: the grade does not change), a list per case, the mediators'
    accounts read in one query."""
    from gridgov.accounts.models import User

    ids = {d.mediator.user_id for d in disputes if d.mediator_id and d.mediator.user_id}
    accounts = User.objects.in_bulk(ids) if ids else {}
    return [messages(d, entry, d.risk_grade,
                     [accounts[d.mediator.user_id]] if d.mediator_id and d.mediator.user_id else [])
            for d, entry in zip(disputes, entries, strict=True)]

"""Who is told what after a petition transition (in-app rows + the configured delivery backends)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.notify import notify
from gridgov.petitions.models import Petition, PetitionLog


def _operators(region_ids) -> list[User]:
    return list(User.objects.filter(role=User.Role.OPERATOR, region_id__in=region_ids, is_active=True))


def _liaisons(dept_ids) -> list[User]:
    dept_ids = [d for d in dept_ids if d]
    return list(User.objects.filter(role=User.Role.LIAISON, department_id__in=dept_ids, is_active=True))


def _leaders(p: Petition) -> list[User]:
    """Leaders whose region contains the matter's region (and its 包案 leader)."""
    codes = p.region.ancestors_codes()
    out = list(User.objects.filter(role=User.Role.LEADER, region__code__in=codes, is_active=True))
    if p.leader_id:
        out.append(p.leader)
    return out


def after_transition(p: Petition, entry: PetitionLog) -> None:
    a = entry.action
    subject = f"{p.number} {p.subject}"[:120]
    try:
        link = reverse("petitions:detail", args=[p.number])
    except Exception:  # pragma: no cover - urls not loaded
        link = f"/petitions/{p.number}/"
    if a == "register":
        notify(_operators([p.center_id]), "petition_register", _("新信访件：%s") % subject, p.demands[:200], link)
    elif a == "transfer" and p.transferred_to_department_id:
        notify(_liaisons([p.transferred_to_department_id]), "petition_transfer", _("转送信访件：%s") % subject,
               entry.note, link)
    elif a == "accept" and p.handling_department_id:
        notify(_liaisons([p.handling_department_id]), "petition_assign", _("交办信访件：%s") % subject, entry.note, link)
    elif a == "request_extension":
        notify(_operators([p.center_id]), "petition_extension", _("延期申请：%s") % subject, entry.note, link)
    elif a in ("approve_extension", "deny_extension"):
        notify(_liaisons([p.handling_department_id]), a, _("延期审批结果：%s") % subject, entry.note, link)
    elif a in ("sla_remind", "ack_remind"):
        targets = _operators([p.center_id]) + _liaisons([p.handling_department_id])
        label = _("即将超期：%s") if a == "sla_remind" else _("来信即将超过七日未回复：%s")
        notify(targets, a, label % subject, "", link)
    elif a in ("sla_escalate", "ack_overdue"):
        parent = p.center.parent_id
        targets = _operators([p.center_id, parent]) + _liaisons([p.handling_department_id]) + _leaders(p)
        label = _("信访件已超期：%s") if a == "sla_escalate" else _("来信未在七日内回复：%s")
        notify(targets, a, label % subject, "", link)

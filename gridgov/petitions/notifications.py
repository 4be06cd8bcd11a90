"""Who is told what after a petition transition, as kernel messages (gridgov.cases.notify)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.cases.notify import Message
from gridgov.petitions.models import Petition, PetitionLog


def _link(p: Petition) -> str:
    try:
        return reverse("petitions:detail", args=[p.number])
    except Exception:  # pragma: no cover - urls not loaded
        return f"/petitions/{p.number}/"


def messages(p: Petition, entry: PetitionLog) -> list[Message]:
    a = entry.action
    subject = f"{p.number} {p.subject}"[:120]
    link = _link(p)
    center = (p.center_id,)
    handling = (p.handling_department_id,)
    if a == "register":
        return [Message("petition_register", _("新信访件：%s") % subject, p.demands[:200], link, operators_of=center)]
    if a == "transfer" and p.transferred_to_department_id:
        return [Message("petition_transfer", _("转送信访件：%s") % subject, entry.note, link,
                        liaisons_of=(p.transferred_to_department_id,))]
    if a == "accept" and p.handling_department_id:
        return [Message("petition_assign", _("交办信访件：%s") % subject, entry.note, link, liaisons_of=handling)]
    if a == "request_extension":
        return [Message("petition_extension", _("延期申请：%s") % subject, entry.note, link, operators_of=center)]
    if a in ("approve_extension", "deny_extension"):
        return [Message(a, _("延期审批结果：%s") % subject, entry.note, link, liaisons_of=handling)]
    if a in ("sla_remind", "ack_remind"):
        label = _("即将超期：%s") if a == "sla_remind" else _("来信即将超过七日未回复：%s")
        return [Message(a, label % subject, "", link, operators_of=center, liaisons_of=handling)]
    if a in ("sla_escalate", "ack_overdue"):
        # the center above, and the leaders whose region contains the matter's (and its 包案 leader)
        label = _("信访件已超期：%s") if a == "sla_escalate" else _("来信未在七日内回复：%s")
        return [Message(a, label % subject, "", link, operators_of=(p.center_id, p.center.parent_id),
                        liaisons_of=handling, leaders_over=tuple(p.region.ancestors_codes()),
                        users=[p.leader] if p.leader_id else [])]
    return []

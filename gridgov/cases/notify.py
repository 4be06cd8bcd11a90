"""The one notification fan-out of every lifecycle: recipients by role and region.

A lifecycle's after-transition hook says *who* in :class:`Message` terms — the operators of these centers,
the liaisons of these departments, the leaders over this region, these users, this phone — and
:func:`send` resolves all messages of a call together: one query for the users of every audience in the
batch, one insert of the notification rows, one delivery task after commit. A single transition sends
one or two messages; the sweep sends a whole batch's at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from gridgov.core import notify as core_notify
from gridgov.core.models import Notification


@dataclass
class Message:
    kind: str
    subject: str
    body: str = ""
    link: str = ""
    operators_of: tuple = ()      # region ids: the operators of those centers
    liaisons_of: tuple = ()       # department ids: their liaisons
    leaders_over: tuple = ()      # region codes: leaders whose region is one of these (a region's ancestors)
    users: list = field(default_factory=list)  # given users (a reporter, a mediator, a 包案 leader)
    phone: str = ""               # an SMS to a citizen (sealed in the row)


def _audience(messages: list[Message]) -> dict:
    """{("operator", region_id) | ("liaison", dept_id) | ("leader", region_code): [users]} in one query."""
    from gridgov.accounts.models import User

    regions = {r for m in messages for r in m.operators_of if r}
    depts = {d for m in messages for d in m.liaisons_of if d}
    codes = {c for m in messages for c in m.leaders_over if c}
    q = Q(pk__in=[])
    if regions:
        q |= Q(role=User.Role.OPERATOR, region_id__in=regions)
    if depts:
        q |= Q(role=User.Role.LIAISON, department_id__in=depts)
    if codes:
        q |= Q(role=User.Role.LEADER, region__code__in=codes)
    out: dict = {}
    if not (regions or depts or codes):
        return out
    for u in User.objects.filter(q, is_active=True).select_related("region").order_by("pk"):
        if u.role == User.Role.OPERATOR and u.region_id in regions:
            out.setdefault(("operator", u.region_id), []).append(u)
        if u.role == User.Role.LIAISON and u.department_id in depts:
            out.setdefault(("liaison", u.department_id), []).append(u)
        if u.role == User.Role.LEADER and u.region_id and u.region.code in codes:
            out.setdefault(("leader", u.region.code), []).append(u)
    return out


def recipients(m: Message, audience: dict) -> list:
    """The message's users, each once, in the order its audiences were named."""
    found = [u for r in m.operators_of for u in audience.get(("operator", r), [])]
    found += [u for d in m.liaisons_of for u in audience.get(("liaison", d), [])]
    found += [u for c in m.leaders_over for u in audience.get(("leader", c), [])]
    found += [u for u in m.users if u is not None]
    seen, out = set(), []
    for u in found:
        if u.pk not in seen:
            seen.add(u.pk)
            out.append(u)
    return out


def send(messages: list[Message]) -> list[Notification]:
    """Create the notification rows of all ``messages`` and deliver them after commit."""
    messages = [m for m in messages if m is not None]
    if not messages or core_notify.is_muted():
        return []
    audience = _audience(messages)
    now = timezone.now()
    rows = []
    for m in messages:
        for u in recipients(m, audience):
            rows.append(Notification(recipient=u, kind=m.kind, subject=m.subject, body=m.body, link=m.link,
                                     created_at=now))
        if m.phone:
            rows.append(Notification(phone=m.phone, kind=m.kind, subject=m.subject, body=m.body, link=m.link,
                                     created_at=now))
    return core_notify.save_all(rows)

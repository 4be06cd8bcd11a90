"""What every lifecycle (events, disputes, petitions) checks the same way before a transition.

Each app keeps its own table of transitions — rows with ``sources`` (the states an action may start
from), ``who(actor, case)`` and an optional ``guard(case, *args)`` that returns a reason to refuse — and
its own ``perform``; these two functions are the checks they share: 409 for the wrong state or a
guard's refusal, 403 for the wrong person.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from gridgov.core.errors import Conflict, Forbidden


def check(case, t, actor, noun: str, *guard_args):
    """Raise Conflict (409) when ``case``'s state does not allow ``t``, Forbidden (403) when ``actor`` may
    not take it, Conflict when its guard says no; else return ``t``. ``noun`` names the case (事件, 纠纷 …)."""
    if case.status not in t.sources:
        raise Conflict(_("当前状态“%(status)s”下不能执行“%(action)s”")
                       % {"status": case.get_status_display(), "action": t.label}, code="invalid_state")
    if not t.who(actor, case):
        raise Forbidden(_("您无权对该%(noun)s执行“%(action)s”") % {"noun": noun, "action": t.label},
                        code="not_permitted")
    if t.guard is not None:
        reason = t.guard(case, *guard_args)
        if reason:
            raise Conflict(reason, code="guard_failed")
    return t


def allowed(case, transitions: dict, actions, actor, *guard_args) -> list[str]:
    """The ``actions`` (in their order) that ``actor`` may take on ``case`` now."""
    return [a for a in actions
            if case.status in transitions[a].sources and transitions[a].who(actor, case)
            and (transitions[a].guard is None or not transitions[a].guard(case, *guard_args))]

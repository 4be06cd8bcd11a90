"""热线 (12345) intake: an operator records a caller's case.

The caller is the case's reporter — a member of the public without an account, like a citizen who reports
on the web: ``reporter`` stays empty (the operator who took the call is the actor of the "report" log row),
``reporter_name`` is the caller's name and ``reporter_phone`` their phone, sealed (Fernet + keyed hash) and
shown masked everywhere. With that phone the caller follows the case on the tracking page and rates it (the
``rate`` transition's ``the_reporter`` rule for a :class:`~gridgov.cases.engine.Citizen`), and is sent the
tracking number through the notification backends when the call is recorded
(:func:`gridgov.events.notifications.hotline_receipt`). A caller who gives no phone (an anonymous call) gets
a case like any other, which nobody can track or rate from outside: its satisfaction comes from a 回访.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from gridgov.core import crypto
from gridgov.events.models import Source


def is_mobile(phone: str) -> bool:
    return len(phone) == 11 and phone.isdigit() and phone.startswith("1")


def check_caller(reporter_name: str, reporter_phone: str, errors: dict) -> None:
    """A hotline case's caller: the phone, when given, must reach an SMS (the receipt and the rating)."""
    phone = crypto.normalize_phone(reporter_phone)
    if phone and not is_mobile(phone):
        errors["reporter_phone"] = [_("请填写来电人的11位手机号码（用于发送事件编号、查询进度和评价）")]


def reporter_fields(actor, source: str, reporter_name: str, reporter_phone: str) -> dict:
    """The reporter columns of a new case: a hotline case's are the caller's, never the operator's."""
    from gridgov.accounts.models import User

    if source == Source.HOTLINE:
        return {"reporter": None, "reporter_name": (reporter_name or "").strip()[:50],
                "reporter_phone": crypto.normalize_phone(reporter_phone)[:20]}
    user = actor if isinstance(actor, User) else None
    return {
        "reporter": user,
        "reporter_name": ((reporter_name or "").strip() or (user.display_name if user else ""))[:50],
        "reporter_phone": crypto.normalize_phone(reporter_phone or (user.phone if user else ""))[:20],
    }

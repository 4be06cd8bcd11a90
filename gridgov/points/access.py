"""How a citizen opens the points page: a one-time code sent to their phone.

:func:`send_code` keeps only the code's keyed hash (:class:`LoginCode`, ten minutes) and hands the code to the
configured notification backends (gridgov/core/notify.py: console, file, webhook → the SMS gateway) after the
transaction commits — directly, with no inbox row, so the code itself is stored nowhere. Sending is throttled
per phone and per client address (gridgov/core/throttle.py); :func:`verify_code` allows five tries a code and
answers wrong, expired and exhausted codes with a field message in Chinese.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core import crypto, notify, throttle
from gridgov.core.errors import ValidationFailed
from gridgov.core.models import Notification
from gridgov.points.models import LoginCode

log = logging.getLogger("gridgov.points")

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
SENDS_PER_DAY = 10  # codes sent to one phone a day
CHECKS_PER_DAY = 30  # codes checked for one phone a day, from any address
SESSION_KEY = "points_phone_hash"
SESSION_MASK = "points_phone_masked"
SESSION_AT = "points_verified_at"
SESSION_TTL_S = 30 * 60


def _code_hash(digest: str, code: str) -> str:
    return crypto.lookup_hash(f"{digest}:{code}", "points-code")


def clean_phone(phone: str) -> str:
    value = crypto.normalize_phone(phone)
    if not (len(value) == 11 and value.isdigit() and value.startswith("1")):
        raise ValidationFailed(_("手机号有误"), {"phone": [_("请填写11位手机号码")]})
    return value


def _deliver(n: Notification) -> None:
    for backend in notify.configured_backends():
        try:
            backend.send(n)
        except Exception as exc:  # a gateway failing must not fail the page; the citizen asks again
            log.warning("points code via %s failed: %s", backend.name, exc)


def send_code(phone: str, client: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    phone = clean_phone(phone)
    # the client first: requests from an address over its limit do not use up the phone's own allowance
    throttle.check("points-code-client", client, 20, 3600, _("验证码发送过于频繁，请稍后再试"))
    throttle.check("points-code-phone", phone, 3, 600, _("验证码发送过于频繁，请10分钟后再试"))
    throttle.check("points-code-phone-day", phone, SENDS_PER_DAY, 86400, _("今天获取验证码的次数已达上限，请明天再试"))
    code = f"{secrets.randbelow(10**6):06d}"
    digest = crypto.phone_hash(phone)
    with transaction.atomic():
        LoginCode.objects.create(phone_hash=digest, code_hash=_code_hash(digest, code), created_at=now,
                                 expires_at=now + CODE_TTL)
        message = Notification(phone=phone, kind="points_code", created_at=now, link="/points/",
                               subject=_("积分查询验证码：%(code)s，10分钟内有效，请勿告诉他人。") % {"code": code})
        transaction.on_commit(lambda: _deliver(message))


def verify_code(phone: str, code: str, client: str, now: datetime | None = None) -> str:
    """The phone's hash when ``code`` is the phone's latest unused, unexpired code."""
    now = now or timezone.now()
    phone = clean_phone(phone)
    throttle.check("points-verify-client", client, 30, 3600, _("尝试过于频繁，请稍后再试"))
    digest = crypto.phone_hash(phone)
    # guesses at one phone's codes from any number of addresses: a day's cap
    throttle.check("points-verify-phone-day", digest, CHECKS_PER_DAY, 86400, _("今天的验证次数已达上限，请明天再试"))
    code = (code or "").strip()
    good = False
    with transaction.atomic():
        row = (LoginCode.objects.select_for_update().filter(phone_hash=digest, used=False)
               .order_by("-created_at", "-id").first())
        if row is not None and row.expires_at > now and row.attempts < MAX_ATTEMPTS:
            row.attempts += 1
            good = hmac.compare_digest(row.code_hash, _code_hash(digest, code))
            row.save(update_fields=["attempts"])
            if good:  # every code of the phone is spent, not only this one: an older one cannot sign in after it
                LoginCode.objects.filter(phone_hash=digest, used=False).update(used=True)
    if not good:
        # one answer whether no code was asked for, it expired, its tries are spent or it is wrong: the page does
        # not tell anyone whether a phone asked for a code or how many tries are left (the counted try is committed)
        raise ValidationFailed(_("验证失败"), {"code": [_("验证码错误或已失效，请核对或重新获取")]})
    return digest


def sign_in(request, phone: str, digest: str) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = digest
    request.session[SESSION_MASK] = crypto.mask_phone(crypto.normalize_phone(phone))
    request.session[SESSION_AT] = int(timezone.now().timestamp())


def signed_in(request) -> str:
    """The verified phone's hash of this session, "" when none or older than half an hour."""
    at = request.session.get(SESSION_AT)
    if not at or timezone.now().timestamp() - at > SESSION_TTL_S:
        return ""
    return request.session.get(SESSION_KEY, "")


def sign_out(request) -> None:
    for key in (SESSION_KEY, SESSION_MASK, SESSION_AT):
        request.session.pop(key, None)

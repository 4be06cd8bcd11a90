"""API tokens as their owner manages them (the endpoints in accounts/api.py stay thin)."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import ApiToken
from gridgov.core.errors import Conflict, NotFound


def live_tokens(user):
    """The user's tokens that still work (not expired), newest first."""
    now = timezone.now()
    return (ApiToken.objects.filter(user=user).filter(Q(expires_at__isnull=True) | Q(expires_at__gte=now))
            .order_by("-created_at", "-pk"))


def revoke_current(user, token: ApiToken | None) -> None:
    """Log out the device that made this request (its bearer token)."""
    if token is None:
        raise Conflict(_("本次请求不是用令牌认证的，没有可注销的令牌；网页登录请退出登录"), code="not_token_auth")
    ApiToken.objects.filter(pk=token.pk, user=user).delete()


def revoke(user, token_id: int) -> None:
    """Revoke one of ``user``'s tokens; someone else's (or none) is a 404, so ids tell nothing."""
    deleted, _rows = ApiToken.objects.filter(pk=token_id, user=user).delete()
    if not deleted:
        raise NotFound(_("未找到该令牌"))


def revoke_all(user) -> int:
    """Every token of ``user`` (a new password does this: see User.save)."""
    deleted, _rows = ApiToken.objects.filter(user=user).delete()
    return deleted

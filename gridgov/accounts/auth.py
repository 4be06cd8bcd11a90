"""API authentication: a bearer token (the mobile client) or a session (web pages calling the API).

The order is fixed so that a client always learns the right thing:

1. ``Authorization: Bearer …`` present → that token decides alone: valid → the user (never a CSRF check,
   a bearer token is not sent by the browser on its own); invalid, expired or its user inactive → 401.
2. A logged-in session → the user; on an unsafe method the CSRF token must be valid, else 403
   ``csrf_failed`` (the session cookie *is* sent by the browser on its own).
3. Neither → 401 ``unauthenticated`` — for POST too: no CSRF check runs before we know there is a user.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from gridgov.accounts.models import ApiToken
from gridgov.core.errors import DomainError, Forbidden


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


class TokenAuth(HttpBearer):
    def __call__(self, request):
        header = request.headers.get(self.header) or ""
        if not header:
            return None  # no token: the session may still authenticate
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None  # another scheme (e.g. Basic from a proxy in front): not ours to judge
        if not raw.strip():
            raise Unauthenticated(_("令牌无效、已过期或已注销，请重新登录"), code="invalid_token")
        return self.authenticate(request, raw.strip())

    def authenticate(self, request, token: str):
        found = ApiToken.lookup(token)
        if found is None:
            raise Unauthenticated(_("令牌无效、已过期或已注销，请重新登录"), code="invalid_token")
        request.user = found.user
        request.api_token = found
        return found.user


class SessionAuth(APIKeyCookie):
    """Django's session cookie; CSRF is checked for unsafe methods, but only once there is a user."""

    param_name = "sessionid"

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise Forbidden(_("CSRF 校验失败，请刷新页面后重试"), code="csrf_failed")
        return user

    def authenticate(self, request, key):  # pragma: no cover - __call__ decides
        return None


class Anonymous:
    """Last in ``public_auth``: no token and no session is a visitor (``AnonymousUser``), not a 401.  A bad
    bearer token is still a 401 (the token decides alone), and a session request still passes CSRF."""

    def __call__(self, request):
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser()


api_auth = [TokenAuth(), SessionAuth()]
# endpoints a citizen's page calls without an account (public map data); they rate-limit visitors themselves
public_auth = [TokenAuth(), SessionAuth(), Anonymous()]

"""API authentication: a session (web pages calling the API) or a bearer token (the mobile client)."""

from __future__ import annotations

from ninja.security import APIKeyCookie, HttpBearer

from gridgov.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        user = ApiToken.authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """Django's session cookie; CSRF is checked for unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


api_auth = [TokenAuth(), SessionAuth()]

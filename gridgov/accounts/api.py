"""The owner's API tokens: list them, log out this device, revoke another device.

A token's value is shown once, when it is issued (``POST /auth/token``); only its hash is stored, so
the list can never show it.  Another user's token is a 404, like anything else out of scope.
"""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from ninja import Status as Reply

from gridgov.accounts import tokens
from gridgov.accounts.auth import api_auth
from gridgov.core.api_types import Id
from gridgov.events.api import Error
from gridgov.events.api import auth_router as router  # DELETE /auth/token shares its path with POST


class TokenInfo(Schema):
    id: int
    name: str
    user_agent: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    current: bool


@router.get("/auth/tokens", response={200: list[TokenInfo], 401: Error, 403: Error}, auth=api_auth)
def list_tokens(request):
    """Your live tokens (one per device that logged in), newest first; `current` marks the one this
    request was made with.  Token values are never shown."""
    current = getattr(request, "api_token", None)
    return [
        {"id": t.pk, "name": t.name, "user_agent": t.user_agent, "created_at": t.created_at,
         "last_used_at": t.last_used_at, "expires_at": t.expires_at, "current": current is not None and t.pk == current.pk}
        for t in tokens.live_tokens(request.auth)
    ]


@router.delete("/auth/token", response={204: None, 401: Error, 403: Error, 409: Error}, auth=api_auth)
def revoke_current(request):
    """Log out this device: the bearer token this request was made with stops working at once.
    A request authenticated by a session (no token) → 409 `not_token_auth`."""
    tokens.revoke_current(request.auth, getattr(request, "api_token", None))
    return Reply(204, None)


@router.delete("/auth/tokens/{token_id}", response={204: None, 401: Error, 403: Error, 404: Error},
               auth=api_auth)
def revoke(request, token_id: Id):
    """Revoke one of your tokens (e.g. a lost phone).  Another user's token → 404."""
    tokens.revoke(request.auth, token_id)
    return Reply(204, None)

"""Signing in to the API and the owner's API tokens: issue one, list them, log out this device, revoke
another device.

A token's value is shown once, when it is issued (``POST /auth/token``); only its hash is stored, so
the list can never show it.  Another user's token is a 404, like anything else out of scope.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import authenticate
from ninja import Router, Schema
from ninja import Status as Reply

from gridgov.accounts import tokens
from gridgov.accounts.auth import api_auth
from gridgov.accounts.models import ApiToken, User
from gridgov.core.api_types import Error, Id

router = Router(tags=["账号与令牌"])
auth_router = router  # the name gridgov.api mounts


# --- auth ---------------------------------------------------------------------------------------


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""


class UserOut(Schema):
    username: str
    name: str
    role: str
    role_label: str
    region: str | None
    department: str | None


class TokenOut(Schema):
    token: str
    expires_at: datetime
    user: UserOut


def user_out(u: User) -> dict:
    return {
        "username": u.username, "name": u.display_name, "role": u.role, "role_label": u.get_role_display(),
        "region": u.region.code if u.region_id else None,
        "department": u.department.code if u.department_id else None,
    }


# the operation ids these two had when they lived in events.api: generated clients keep their method names
@router.post("/auth/token", summary="用户名和密码换取访问令牌", response={200: TokenOut, 401: Error, 403: Error}, auth=None,
             operation_id="gridgov_events_api_issue_token")
def issue_token(request, payload: TokenIn):
    """Exchange a username and password for a bearer token (`Authorization: Bearer <token>`)."""
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        return Reply(403, {"code": "locked_out", "message": "登录失败次数过多，账号已临时锁定，请稍后再试"})
    if user is None:
        return Reply(401, {"code": "bad_credentials", "message": "用户名或密码错误"})
    token, raw = ApiToken.issue(user, name=payload.name, user_agent=request.headers.get("User-Agent", ""))
    return Reply(200, {"token": raw, "expires_at": token.expires_at, "user": user_out(user)})


@router.get("/me", summary="当前用户", response=UserOut, auth=api_auth, operation_id="gridgov_events_api_me")
def me(request):
    return user_out(request.auth)



class TokenInfo(Schema):
    id: int
    name: str
    user_agent: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    current: bool


@router.get("/auth/tokens", summary="我的有效令牌", response={200: list[TokenInfo], 401: Error, 403: Error}, auth=api_auth)
def list_tokens(request):
    """Your live tokens (one per device that logged in), newest first; `current` marks the one this
    request was made with.  Token values are never shown."""
    current = getattr(request, "api_token", None)
    return [
        {"id": t.pk, "name": t.name, "user_agent": t.user_agent, "created_at": t.created_at,
         "last_used_at": t.last_used_at, "expires_at": t.expires_at, "current": current is not None and t.pk == current.pk}
        for t in tokens.live_tokens(request.auth)
    ]


@router.delete("/auth/token", summary="退出本设备（注销当前令牌）",
               response={204: None, 401: Error, 403: Error, 409: Error}, auth=api_auth)
def revoke_current(request):
    """Log out this device: the bearer token this request was made with stops working at once.
    A request authenticated by a session (no token) → 409 `not_token_auth`."""
    tokens.revoke_current(request.auth, getattr(request, "api_token", None))
    return Reply(204, None)


@router.delete("/auth/tokens/{token_id}", summary="注销我的某个令牌", response={204: None, 401: Error, 403: Error, 404: Error},
               auth=api_auth)
def revoke(request, token_id: Id):
    """Revoke one of your tokens (e.g. a lost phone).  Another user's token → 404."""
    tokens.revoke(request.auth, token_id)
    return Reply(204, None)

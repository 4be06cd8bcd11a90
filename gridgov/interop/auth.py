"""API authentication of a department's system: its key in ``X-Department-Key`` or ``Authorization: Bearer``.

A key that is wrong, revoked, or whose department or system user is inactive is a 401; a valid key is
counted against a per-key rate limit (429 past it) and the request acts as the department's system user."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from ninja.security import APIKeyHeader, HttpBearer

from gridgov.accounts.auth import Unauthenticated
from gridgov.core import throttle
from gridgov.interop import keys

RATE_PER_MINUTE = 600


def _authenticate(request, raw: str):
    key = keys.lookup(raw.strip())
    if key is None:
        raise Unauthenticated(_("部门接口密钥无效或已停用"), code="invalid_key")
    limit = getattr(settings, "GRIDGOV_INTEROP_RATE_PER_MINUTE", RATE_PER_MINUTE)
    throttle.check("interop-key", str(key.pk), limit, 60, _("请求过于频繁，请稍后再试"))
    request.user = key.user
    request.department_key = key
    return key.user


class DepartmentKeyHeader(APIKeyHeader):
    param_name = "X-Department-Key"

    def __call__(self, request):
        raw = request.headers.get(self.param_name)
        if raw is None:
            return None  # perhaps a bearer key
        return _authenticate(request, raw)

    def authenticate(self, request, key):  # pragma: no cover - __call__ decides
        return None


class DepartmentKeyBearer(HttpBearer):
    def __call__(self, request):
        header = request.headers.get(self.header) or ""
        if not header:
            return None
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None
        return _authenticate(request, raw)

    def authenticate(self, request, token):  # pragma: no cover - __call__ decides
        return None


department_auth = [DepartmentKeyHeader(), DepartmentKeyBearer()]

"""The ninja API root: /api/v1/ (OpenAPI docs at /api/v1/docs).

Errors are JSON ``{"code": "...", "message": "...", "fields": {...}}``.
"""

from __future__ import annotations

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from gridgov.core.errors import DomainError

api = NinjaAPI(
    title="gridgov API",
    version="1",
    description="市域社会治理平台接口 · municipal social governance API",
    urls_namespace="api",
)


def _error(request, status: int, code: str, message: str, fields: dict | None = None):
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return _error(request, exc.status, exc.code, str(exc.message), exc.fields)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload", "form")]
        fields.setdefault(".".join(loc) or "__all__", []).append(err.get("msg", "invalid"))
    return _error(request, 422, "invalid", "输入有误 / invalid input", fields)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return _error(request, 401, "unauthenticated", "请先登录 / authentication required")


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, "not_found", "未找到 / not found")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return _error(request, exc.status_code, "error", str(exc))


def _register() -> None:
    from gridgov.events.api import auth_router, citizen_router
    from gridgov.events.api import router as events_router

    api.add_router("/", auth_router)
    api.add_router("/", events_router)
    api.add_router("/", citizen_router)

    from gridgov.regions.api import router as regions_router

    api.add_router("/", regions_router)


_register()

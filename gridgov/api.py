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


# pydantic error types → the message a Chinese user reads (the English original is kept in "detail")
VALIDATION_MESSAGES = {
    "missing": "必填",
    "float_parsing": "请填写数字",
    "float_type": "请填写数字",
    "int_parsing": "请填写整数",
    "int_type": "请填写整数",
    "int_from_float": "请填写整数",
    "string_type": "请填写文字",
    "bool_parsing": "请填写“是”或“否”",
    "bool_type": "请填写“是”或“否”",
    "datetime_parsing": "时间格式无效，例如 2026-12-01T17:30:00+08:00",
    "datetime_from_date_parsing": "时间格式无效，例如 2026-12-01T17:30:00+08:00",
    "datetime_type": "时间格式无效，例如 2026-12-01T17:30:00+08:00",
    "list_type": "请提供列表",
    "dict_type": "请提供对象",
    "json_invalid": "请求内容不是有效的 JSON",
    "model_attributes_type": "请求内容格式无效",
}


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    fields: dict[str, list[str]] = {}
    detail: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload", "form")]
        key = ".".join(loc) or "__all__"
        fields.setdefault(key, []).append(VALIDATION_MESSAGES.get(err.get("type", ""), "输入无效"))
        detail.setdefault(key, []).append(err.get("msg", "invalid"))
    body = {"code": "invalid", "message": "输入有误，请检查标出的字段", "fields": fields, "detail": detail}
    return api.create_response(request, body, status=422)


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

    import gridgov.accounts.api  # noqa: F401  (the token list/revoke endpoints, on auth_router)

    api.add_router("/", auth_router)
    api.add_router("/", events_router)
    api.add_router("/", citizen_router)

    from gridgov.regions.api import router as regions_router

    api.add_router("/", regions_router)

    from gridgov.registry.api import router as registry_router

    api.add_router("/", registry_router)

    from gridgov.laws.api import router as laws_router

    api.add_router("/", laws_router)

    from gridgov.disputes.api import router as disputes_router

    api.add_router("/", disputes_router)

    from gridgov.petitions.api import router as petitions_router

    api.add_router("/", petitions_router)


_register()

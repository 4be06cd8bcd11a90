"""The ninja API root: /api/v1/ (OpenAPI docs at /api/v1/docs).

Errors are JSON ``{"code": "...", "message": "...", "fields": {...}}``.
"""

from __future__ import annotations

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
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
    response = api.create_response(request, body, status=status)
    if status == 401:  # RFC 9110: a 401 names the scheme that would work
        response["WWW-Authenticate"] = 'Bearer realm="gridgov"'
    return response


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
    "date_parsing": "日期格式无效，例如 2026-12-01",
    "date_from_datetime_parsing": "日期格式无效，例如 2026-12-01",
    "date_type": "日期格式无效，例如 2026-12-01",
    "decimal_parsing": "请填写数字",
    "decimal_type": "请填写数字",
    "finite_number": "请填写有限的数字",
    "enum": "请从可选值中选择",
    "literal_error": "请从可选值中选择",
    "string_pattern_mismatch": "格式无效",
    "extra_forbidden": "不支持该字段",
}
# errors whose message carries a limit from the error's context
VALIDATION_TEMPLATES = {
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "必须小于 {lt}",
    "string_too_long": "不能超过 {max_length} 个字符",
    "string_too_short": "至少 {min_length} 个字符",
    "too_long": "最多 {max_length} 项",
    "too_short": "至少 {min_length} 项",
    "decimal_max_digits": "数字最多 {max_digits} 位",
    "decimal_max_places": "小数最多 {decimal_places} 位",
    "decimal_whole_digits": "整数部分最多 {whole_digits} 位",
}


def validation_message(err: dict) -> str:
    kind = err.get("type", "")
    if kind in VALIDATION_TEMPLATES:
        try:
            return VALIDATION_TEMPLATES[kind].format(**(err.get("ctx") or {}))
        except (KeyError, IndexError):
            pass
    if kind == "value_error":
        text = str(err.get("msg", "")).removeprefix("Value error, ")
        if any("\u4e00" <= ch <= "\u9fff" for ch in text):  # a validator's own Chinese message
            return text
    return VALIDATION_MESSAGES.get(kind, "输入无效")


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    fields: dict[str, list[str]] = {}
    detail: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload", "form")]
        key = ".".join(loc) or "__all__"
        fields.setdefault(key, []).append(validation_message(err))
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
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        # ninja could not parse the body (broken JSON, a content type it does not read): say so in Chinese
        return _error(request, 400, "bad_request", _("请求内容无法解析，请发送有效的 JSON"),
                      {"__all__": [_("请求内容格式无效")]})
    return _error(request, exc.status_code, "error", str(exc))


@api.exception_handler(MultiPartParserError)
def on_bad_multipart(request, exc):
    """A multipart body Django cannot parse (no boundary, broken parts) is the client's error."""
    return _error(request, 400, "bad_request", "上传内容格式无效（multipart 请求缺少边界或格式错误）",
                  {"__all__": ["上传内容格式无效"]})


@api.exception_handler(SuspiciousOperation)
def on_suspicious(request, exc):
    """Too many fields, a body over DATA_UPLOAD_MAX_MEMORY_SIZE and the like: 400, as Django answers elsewhere."""
    return _error(request, 400, "bad_request", "请求内容无效或过大", {"__all__": ["请求内容无效或过大"]})


@api.exception_handler(BadRequest)
def on_bad_request(request, exc):
    return _error(request, 400, "bad_request", "请求格式无效", {"__all__": ["请求格式无效"]})


def _register() -> None:
    from gridgov.accounts.api import auth_router
    from gridgov.events.api import citizen_router
    from gridgov.events.api import router as events_router

    api.add_router("/", auth_router)
    api.add_router("/", events_router)
    api.add_router("/", citizen_router)

    from gridgov.regions.api import router as regions_router

    api.add_router("/", regions_router)

    from gridgov.registry.api import router as registry_router

    api.add_router("/", registry_router)

    from gridgov.registry.api_places import router as places_router

    api.add_router("/", places_router)

    from gridgov.laws.api import router as laws_router

    api.add_router("/", laws_router)

    from gridgov.disputes.api import router as disputes_router

    api.add_router("/", disputes_router)

    from gridgov.petitions.api import router as petitions_router

    api.add_router("/", petitions_router)

    from gridgov.assessments.api import router as assessments_router

    api.add_router("/", assessments_router)

    from gridgov.stats.api import router as stats_router

    api.add_router("/stats/", stats_router)

    from gridgov.warnings.api import router as warnings_router

    api.add_router("/warnings/", warnings_router)
    from gridgov.analysis.api import router as analysis_router

    api.add_router("/analysis/", analysis_router)
    from gridgov.interop.api import router as interop_router

    api.add_router("/interop/", interop_router)
    from gridgov.points.api import router as points_router

    api.add_router("/points/", points_router)


UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def declare_errors() -> None:
    """Every operation documents the errors any request to it can get, with the one ``Error`` schema:
    401 when it needs a login, 404 when its path names something, 400 when it takes a body (a multipart body
    without a boundary, a body over the size limit), 403 when it takes a body and a login (a session request
    without a valid CSRF token), and 422 always (a control character in any query parameter, or a bad input).
    The errors particular to an operation (403, 409, 429) are declared on it."""
    from ninja.constants import NOT_SET

    from gridgov.core.api_types import Error

    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for op in view.operations:
                auth = op.auth_param if op.auth_param is not NOT_SET else router.auth
                codes = {422}
                if auth not in (None, NOT_SET) and auth:
                    codes.add(401)
                if "{" in path:
                    codes.add(404)
                if UNSAFE_METHODS & set(op.methods):
                    codes.add(400)
                    if 401 in codes:
                        codes.add(403)
                for code in codes - set(op.response_models):
                    op.response_models[code] = op._create_response_model(Error)


_register()
declare_errors()

"""Keep every answer under /api/ JSON, even where Django (not ninja) answers: an unknown path (404), a method the
path does not take (405), a request Django refuses before or while parsing it (400: a multipart body without a
boundary, too many fields, a body too large), and an unexpected error (500, also when DEBUG is off: the traceback is
logged by Django's ``django.request`` logger, the client gets ``{"code": "server_error", ...}``)."""

from __future__ import annotations

import re

from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _

API_PREFIX = "/api/"
MESSAGES = {
    400: ("bad_request", _("请求格式无效 / bad request")),
    401: ("unauthenticated", _("请先登录 / authentication required")),
    403: ("forbidden", _("无权访问 / forbidden")),
    404: ("not_found", _("未找到该接口 / no such endpoint")),
    405: ("method_not_allowed", _("该接口不支持此请求方法 / method not allowed")),
    413: ("too_large", _("请求内容过大 / request too large")),
    500: ("server_error", _("服务器内部错误，请稍后再试 / server error")),
}


# Apps whose paths speak another protocol's error format (Open311's ``[{"code", "description"}]``) register a
# renderer for their path prefix in their AppConfig.ready(): ``(request, status, messages) -> HttpResponse``.
# The middleware below answers a refused request under that prefix with it instead of an HTML page.
ERROR_RENDERERS: dict[str, object] = {}


def register_error_renderer(prefix: str, render) -> None:
    ERROR_RENDERERS[prefix] = render


def _renderer_for(path: str):
    for prefix, render in ERROR_RENDERERS.items():
        if path.startswith(prefix):
            return render
    return None


def json_error(status: int) -> JsonResponse:
    code, message = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    return JsonResponse({"code": code, "message": message}, status=status)


class JsonApiErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.path.startswith(API_PREFIX) and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")):
            json = json_error(response.status_code)
            if response.has_header("Allow"):
                json["Allow"] = response["Allow"]
            return json
        return response


class RejectControlCharactersMiddleware:
    """Refuse, once for every endpoint and page, text carrying a control character (``gridgov.core.text``): the
    query string, form fields and uploaded file names, a JSON body (every string and key, at any depth), the path
    and the ``Idempotency-Key`` header.  Under /api/ the answer is a 422 JSON field error (``{"q": ["不能包含控制
    字符"]}``, ``{"petitioners.0.name": [...]}``); a web page gets a 400 page naming the fields.  Nothing is
    written: the request never reaches a view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            fields = self.bad_fields(request)
        except _Unparsable:
            return self.unparsable(request)
        if fields:
            return self.refuse(request, fields)
        return self.get_response(request)

    @staticmethod
    def bad_fields(request) -> list[str]:
        from gridgov.core.text import has_control

        bad: list[str] = []
        if has_control(request.path):
            bad.append("path")
        if has_control(request.headers.get("Idempotency-Key", "")):
            bad.append("Idempotency-Key")
        for key, values in request.GET.lists():
            if has_control(key) or any(has_control(v) for v in values):
                bad.append(key)
        ctype = request.content_type or ""
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                try:
                    form, files = request.POST, request.FILES
                except Exception as exc:  # no boundary, broken parts, too many fields, too large
                    raise _Unparsable from exc
                for key, values in form.lists():
                    if has_control(key) or any(has_control(v) for v in values):
                        bad.append(key)
                for key, uploads in files.lists():
                    if has_control(key) or any(has_control(f.name or "") for f in uploads):
                        bad.append(key)
            elif ctype == "application/json" or ctype.endswith("+json"):
                import json

                try:
                    raw = request.body
                except Exception as exc:  # over DATA_UPLOAD_MAX_MEMORY_SIZE
                    raise _Unparsable from exc
                if not _json_may_hold_control(raw or b""):
                    return bad  # fast path: JSON text can carry a control character only as a raw byte or \u00XX
                try:
                    data = json.loads(raw or b"null")
                except (ValueError, UnicodeDecodeError, RecursionError):
                    return bad  # not JSON: the view's parser answers it
                _walk(data, "", bad)
        return bad

    @staticmethod
    def unparsable(request):
        """The form body cannot be parsed (Django would raise in the view): 400, as JSON under /api/."""
        message = _("请求内容无法解析（multipart 缺少边界、格式错误或内容过大）")
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"code": "bad_request", "message": message, "fields": {"__all__": [_("上传内容格式无效")]}},
                                status=400)
        if render := _renderer_for(request.path):
            return render(request, 400, [str(message)])
        from django.http import HttpResponseBadRequest

        return HttpResponseBadRequest(f'<!doctype html><meta charset="utf-8"><title>{_("请求无效")}</title><p>{message}</p>',
                                      content_type="text/html; charset=utf-8")

    @staticmethod
    def refuse(request, fields: list[str]):
        from django.utils.html import escape

        from gridgov.core.text import MESSAGE

        if request.path.startswith(API_PREFIX):
            return JsonResponse({"code": "invalid", "message": _("输入有误，请检查标出的字段"),
                                 "fields": {f: [MESSAGE] for f in fields}}, status=422)
        if render := _renderer_for(request.path):
            return render(request, 400, [f"{f}: {MESSAGE}" for f in fields])
        from django.http import HttpResponseBadRequest

        text = _("提交的内容有误：%(names)s %(message)s。请返回修改后再提交。") % {
            "names": "、".join(fields), "message": MESSAGE}
        return HttpResponseBadRequest(
            f'<!doctype html><meta charset="utf-8"><title>{escape(_("输入有误"))}</title><p>{escape(text)}</p>',
            content_type="text/html; charset=utf-8")


_C0 = bytes(range(32))
_CONTROL_ESCAPE = re.compile(rb"\\u00[01][0-9a-fA-F]")


def _json_may_hold_control(raw: bytes) -> bool:
    """A raw C0 byte, or a \\u0000-\\u001f escape (JSON has no other way to write one): then parse and look.
    Both tests run at C speed (``translate``, ``in``) on the common body that has neither."""
    if len(raw.translate(None, _C0)) != len(raw):
        return True
    return b"\\u00" in raw and _CONTROL_ESCAPE.search(raw) is not None


class _Unparsable(Exception):
    pass


def _walk(value, path: str, bad: list[str]) -> None:
    from gridgov.core.text import has_control

    if isinstance(value, str):
        if has_control(value):
            bad.append(path or "__all__")
    elif isinstance(value, dict):
        for k, v in value.items():
            key = f"{path}.{k}" if path else str(k)
            if has_control(str(k)):
                bad.append(key)
            else:
                _walk(v, key, bad)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _walk(v, f"{path}.{i}" if path else str(i), bad)

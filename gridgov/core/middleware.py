"""Keep every answer under /api/ JSON, even where Django (not ninja) answers: an unknown path (404), a method the
path does not take (405), a request Django refuses before or while parsing it (400: a multipart body without a
boundary, too many fields, a body too large), and an unexpected error (500, also when DEBUG is off: the traceback is
logged by Django's ``django.request`` logger, the client gets ``{"code": "server_error", ...}``)."""

from __future__ import annotations

from django.http import JsonResponse

API_PREFIX = "/api/"
MESSAGES = {
    400: ("bad_request", "请求格式无效 / bad request"),
    401: ("unauthenticated", "请先登录 / authentication required"),
    403: ("forbidden", "无权访问 / forbidden"),
    404: ("not_found", "未找到该接口 / no such endpoint"),
    405: ("method_not_allowed", "该接口不支持此请求方法 / method not allowed"),
    413: ("too_large", "请求内容过大 / request too large"),
    500: ("server_error", "服务器内部错误，请稍后再试 / server error"),
}


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

"""Keep every answer under /api/ JSON, even where Django (not ninja) answers: an unknown path (404) or a
method the path does not take (405)."""

from __future__ import annotations

from django.http import JsonResponse

API_PREFIX = "/api/"
MESSAGES = {
    404: ("not_found", "未找到该接口 / no such endpoint"),
    405: ("method_not_allowed", "该接口不支持此请求方法 / method not allowed"),
}


class JsonApiErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.path.startswith(API_PREFIX) and response.status_code in MESSAGES
                and not response.get("Content-Type", "").startswith("application/json")):
            code, message = MESSAGES[response.status_code]
            json = JsonResponse({"code": code, "message": message}, status=response.status_code)
            if response.has_header("Allow"):
                json["Allow"] = response["Allow"]
            return json
        return response

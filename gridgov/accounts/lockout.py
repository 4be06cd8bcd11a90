"""What a locked-out login sees (django-axes): JSON for the API, a Chinese page for the web."""

from django.http import JsonResponse
from django.shortcuts import render

MESSAGE = "登录失败次数过多，账号已临时锁定，请15分钟后再试或联系管理员"


def lockout_response(request, original_response=None, credentials=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "locked_out", "message": MESSAGE}, status=403)
    return render(request, "registration/locked_out.html", {"message": MESSAGE}, status=403)

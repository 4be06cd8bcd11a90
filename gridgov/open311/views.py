"""The GeoReport v2 endpoints: plain Django views answering JSON or XML by the path's extension.

Thin: they call :mod:`gridgov.open311.services` and :mod:`gridgov.open311.reads`. Every failure is answered in
the spec's error format (``[{"code": 404, "description": …}]`` / ``<errors><error>…``). POST is CSRF-exempt:
it is authenticated by the client application's ``api_key``, never by a session cookie.
"""

from __future__ import annotations

import functools

from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from gridgov.core.errors import DomainError
from gridgov.core.throttle import client_ip
from gridgov.open311 import conf, reads, services
from gridgov.open311.render import respond
from gridgov.open311.services import Open311Error


def _error(fmt: str, exc: Open311Error):
    return respond(fmt, "errors", exc.as_list(), status=exc.status)


def endpoint(methods: tuple[str, ...] = ("GET",), public: bool = True):
    """Check the method, the jurisdiction and (for public reads) the per-address limit; turn every domain
    error into the spec's error list."""

    def wrap(view):
        @csrf_exempt
        @functools.wraps(view)
        def inner(request, *args, fmt: str = "json", **kwargs):
            try:
                if request.method not in methods and not (request.method == "HEAD" and "GET" in methods):
                    raise Open311Error(405, _("method: 不支持 %(m)s 请求") % {"m": request.method})
                params = request.POST if request.method == "POST" else request.GET
                services.check_jurisdiction(params.get("jurisdiction_id"), request.get_host())
                if public and request.method in ("GET", "HEAD"):
                    services.check_reads(client_ip(request))
                response = view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return _error(fmt, exc)
            except DomainError as exc:
                status = exc.status if exc.status in (403, 404, 409, 429) else 400
                fields = exc.fields or {"request": [str(exc.message)]}
                return _error(fmt, Open311Error(status, *(f"{k}: {m}" for k, ms in fields.items() for m in ms)))
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                response["Cache-Control"] = "no-store"
            return response

        inner.allowed_methods = methods
        return inner

    return wrap


@endpoint()
def discovery(request, fmt):
    base = request.build_absolute_uri("/open311/v2")
    data = {"changeset": conf.CHANGESET, "contact": conf.get("CONTACT"), "key_service": conf.get("KEY_SERVICE"),
            "endpoints": [{"specification": conf.SPECIFICATION, "url": base, "changeset": conf.CHANGESET,
                           "type": "production", "formats": ["text/xml", "application/json"]}]}
    return respond(fmt, "discovery", data)


@endpoint()
def service_list(request, fmt):
    return respond(fmt, "services", services.service_list())


@endpoint()
def service_definition(request, code, fmt):
    return respond(fmt, "service_definition", services.service_definition(code))


@endpoint(methods=("GET", "POST"))
def requests_(request, fmt):
    if request.method == "POST":
        filed = services.file_request(request.POST.get("api_key"), request.POST, request.FILES,
                                      idempotency_key=request.headers.get("Idempotency-Key", ""))
        sr = filed.request
        body = [{"service_request_id": sr.event.number, "token": sr.token,
                 "service_notice": services.service_notice(sr.event.category), "account_id": None}]
        return respond(fmt, "service_requests", body, status=201 if filed.created else 200)
    viewer = reads.viewer(request.GET.get("api_key"))
    rows = reads.search(request.GET)
    return respond(fmt, "service_requests", [reads.as_open311(sr, viewer) for sr in rows])


@endpoint()
def request_detail(request, number, fmt):
    viewer = reads.viewer(request.GET.get("api_key"))
    return respond(fmt, "service_requests", [reads.as_open311(reads.get_request(number), viewer)])


@endpoint()
def token(request, token, fmt):
    return respond(fmt, "service_requests", [reads.by_token(token)])


@csrf_exempt
def not_found(request, path=""):
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return _error(fmt, Open311Error(404, _("path: 未找到该接口（见 /open311/discovery.json）")))

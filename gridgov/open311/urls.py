"""Open311 GeoReport v2 under /open311/ (mounted by gridgov/urls.py): discovery and the v2 endpoints, each
as ``.json`` or ``.xml``."""

from django.urls import path, re_path, register_converter

from gridgov.open311 import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "open311fmt")

app_name = "open311"
urlpatterns = [
    path("discovery.<open311fmt:fmt>", views.discovery, name="discovery"),
    path("v2/services.<open311fmt:fmt>", views.service_list, name="services"),
    path("v2/services/<str:code>.<open311fmt:fmt>", views.service_definition, name="service"),
    path("v2/requests.<open311fmt:fmt>", views.requests_, name="requests"),
    path("v2/requests/<str:number>.<open311fmt:fmt>", views.request_detail, name="request"),
    path("v2/tokens/<str:token>.<open311fmt:fmt>", views.token, name="token"),
    re_path(r"^(?P<path>.*)$", views.not_found),
]

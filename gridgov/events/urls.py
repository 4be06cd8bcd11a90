"""The event pages' URLs, mounted at the site root by ``gridgov/urls.py``.

``urlpatterns`` are the ``events`` namespace (``reverse("events:detail", args=[number])``, used by the
notifications).  ``citizen_patterns`` are the citizen pages, which keep their names in the ``web``
namespace (``web:citizen_report``, ``web:citizen_track``): the root URLconf mounts them in one ``web``
include with the shell's pages, since a namespace is reversed through a single include.
"""

from django.urls import path

from gridgov.events import citizen_views, export, views

app_name = "events"

urlpatterns = [
    path("events/", views.worklist, name="list"),
    path("events/new/", views.report_new, name="new"),
    path("events/mine/", views.my_reports, name="mine"),
    path("events/duplicates/", views.duplicates, name="duplicates"),
    path("events/export/", export.export_worklist, name="export"),
    path("events/<str:number>/", views.event_detail, name="detail"),
    path("events/<str:number>/act/<str:action>/", views.event_act, name="act"),
    path("inbox/", views.inbox, name="inbox"),
]

citizen_patterns = [
    path("citizen/report/", citizen_views.citizen_report, name="citizen_report"),
    path("citizen/track/", citizen_views.citizen_track, name="citizen_track"),
]

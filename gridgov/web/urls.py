"""Web page URLs, included at the site root.

The event pages live in the ``events`` namespace (``reverse("events:detail", args=[number])``,
used by the notifications); the citizen pages and notifications in ``web``; ``home`` stays
un-namespaced because ``LOGIN_REDIRECT_URL = "home"``.
"""

from django.urls import include, path

from gridgov.web import views

event_patterns = [
    path("events/", views.worklist, name="list"),
    path("events/new/", views.report_new, name="new"),
    path("events/mine/", views.my_reports, name="mine"),
    path("events/duplicates/", views.duplicates, name="duplicates"),
    path("events/<str:number>/", views.event_detail, name="detail"),
    path("events/<str:number>/act/<str:action>/", views.event_act, name="act"),
    path("inbox/", views.inbox, name="inbox"),
]

web_patterns = [
    path("citizen/report/", views.citizen_report, name="citizen_report"),
    path("citizen/track/", views.citizen_track, name="citizen_track"),
    path("notifications/", views.notifications, name="notifications"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("", include((event_patterns, "events"))),
    path("", include((web_patterns, "web"))),
]

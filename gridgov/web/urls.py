"""The shell's URLs, mounted at the site root by ``gridgov/urls.py``.

``urlpatterns`` holds ``home``, un-namespaced because ``LOGIN_REDIRECT_URL = "home"``.  ``web_patterns``
are the shell's pages in the ``web`` namespace (``web:notifications``); the root URLconf mounts them in
one ``web`` include together with the citizen pages of events (``web:citizen_report``,
``web:citizen_track``), since a namespace is reversed through a single include.
"""

from django.urls import path

from gridgov.web import views

urlpatterns = [
    path("", views.home, name="home"),
]

web_patterns = [
    path("notifications/", views.notifications, name="notifications"),
]

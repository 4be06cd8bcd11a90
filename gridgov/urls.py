from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from gridgov.api import api
from gridgov.events import urls as event_urls
from gridgov.events.views import attachment
from gridgov.web import urls as web_urls

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("attachments/<int:pk>/", attachment, name="attachment"),
    path("registry/", include("gridgov.registry.urls")),
    path("laws/", include("gridgov.laws.urls")),
    path("disputes/", include("gridgov.disputes.urls")),
    path("petitions/", include("gridgov.petitions.urls")),
    path("assessments/", include("gridgov.assessments.urls")),
    path("warnings/", include("gridgov.warnings.urls")),
    path("command/", include("gridgov.command.urls")),
    path("evaluation/", include("gridgov.command.urls_evaluation")),
    path("reports/", include("gridgov.command.urls_reports")),
    path("analysis/", include("gridgov.analysis.urls")),
    path("open311/", include("gridgov.open311.urls")),
    path("points/", include("gridgov.points.urls")),
    # the shell (home), the event pages (namespace "events"), and the "web" namespace: the shell's
    # notifications page and the citizen pages of events, in one include so both reverse
    path("", include(web_urls)),
    path("", include(event_urls)),
    path("", include((web_urls.web_patterns + event_urls.citizen_patterns, "web"))),
]

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from gridgov.api import api
from gridgov.web.views import attachment

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
    path("", include("gridgov.web.urls")),
]

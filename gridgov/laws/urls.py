"""Law library pages under /laws/ (namespace ``laws``)."""

from django.urls import path

from gridgov.laws import views

app_name = "laws"

urlpatterns = [
    path("", views.home, name="home"),
    path("<int:pk>/", views.law_detail, name="law_detail"),
]

"""/reports/: the archive of reports (通报), generating one, downloading its files."""

from django.urls import path

from gridgov.command import views_reports as views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("generate/", views.report_generate, name="generate"),
    path("<int:pk>/<str:fmt>/", views.report_file, name="file"),
]

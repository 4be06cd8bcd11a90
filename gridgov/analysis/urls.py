"""/analysis/: the archive of analysis reports, the analysis of a region and period, a report's page."""

from django.urls import path

from gridgov.analysis import views

app_name = "analysis"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("draft/", views.draft, name="draft"),
    path("region/<str:code>/", views.analysis_page, name="region"),
    path("reports/<int:pk>/", views.report_page, name="report"),
    path("reports/<int:pk>/edit/", views.report_edit, name="edit"),
    path("reports/<int:pk>/send/", views.report_send, name="send"),
    path("reports/<int:pk>/docx/", views.report_docx, name="docx"),
]

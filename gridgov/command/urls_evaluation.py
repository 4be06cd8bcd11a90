"""/evaluation/: the evaluation (考核) rankings (gridgov.command.views_evaluation)."""

from django.urls import path

from gridgov.command import views_evaluation as views

app_name = "evaluation"
urlpatterns = [
    path("", views.index, name="index"),
    path("regions/", views.regions, name="regions"),
    path("grids/", views.grids, name="grids"),
    path("workers/", views.workers, name="workers"),
    path("departments/", views.departments, name="departments"),
]

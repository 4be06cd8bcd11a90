from django.urls import path

from gridgov.points import views

app_name = "points"

urlpatterns = [
    path("", views.citizen_points, name="citizen"),
    path("ranking/", views.ranking, name="ranking"),
    path("redemptions/", views.redemptions, name="redemptions"),
    path("redemptions/<int:pk>/<str:op>/", views.redemption_act, name="redemption_act"),
]

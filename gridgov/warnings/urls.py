from django.urls import path

from gridgov.warnings import views

app_name = "warnings"

urlpatterns = [
    path("", views.board, name="board"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/act/<str:action>/", views.act, name="act"),
]

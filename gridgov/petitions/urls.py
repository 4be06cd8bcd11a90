from django.urls import path

from gridgov.petitions import views

app_name = "petitions"

urlpatterns = [
    path("", views.worklist, name="list"),
    path("new/", views.new, name="new"),
    path("backlog/", views.backlog, name="backlog"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/act/<str:action>/", views.act, name="act"),
]

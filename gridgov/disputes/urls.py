"""Dispute pages under /disputes/ (namespace ``disputes``); ``disputes:detail`` is the notifications' link."""

from django.urls import path

from gridgov.disputes import views

app_name = "disputes"

urlpatterns = [
    path("", views.worklist, name="list"),
    path("new/", views.new, name="new"),
    path("apply/", views.apply, name="apply"),
    path("track/", views.track, name="track"),
    path("mediators/", views.mediators, name="mediators"),
    path("files/<int:pk>/", views.session_file, name="session_file"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/act/<str:action>/", views.act, name="act"),
    path("<str:number>/agreement.docx", views.agreement_docx, name="agreement"),
]

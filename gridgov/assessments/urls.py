from django.urls import path

from gridgov.assessments import views

app_name = "assessments"

urlpatterns = [
    path("", views.index, name="list"),
    path("new/", views.new, name="new"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/report.docx", views.report, name="report"),
    path("<str:number>/act/<str:action>/", views.act, name="act"),
]

"""/command/: the command center (指挥中心), at a desk and on a big screen."""

from django.urls import path

from gridgov.command import views

app_name = "command"
urlpatterns = [
    path("", views.home, name="home"),
    path("big/", views.big, name="big"),
]

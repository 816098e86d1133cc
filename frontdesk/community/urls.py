from django.urls import path

from frontdesk.community import views

app_name = "community"
urlpatterns = [
    path("", views.home, name="home"),
    path("moderation/", views.moderation, name="moderation"),
]

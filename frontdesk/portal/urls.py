from django.urls import path

from frontdesk.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:number>/", views.request_detail, name="request_detail"),
    path("requests/<int:number>/reply/", views.request_reply, name="request_reply"),
    path("requests/<int:number>/solve/", views.request_solve, name="request_solve"),
    path("requests/<int:number>/reopen/", views.request_reopen, name="request_reopen"),
    path("profile/", views.profile, name="profile"),
]

from django.urls import path

from frontdesk.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell/", views.bell, name="bell"),
    path("read/", views.mark_read, name="mark_read"),
    path("<int:pk>/", views.notification_open, name="open"),
    path("<int:pk>/unread/", views.mark_unread, name="mark_unread"),
    path("preferences/", views.preferences, name="preferences"),
    path("customer-emails/", views.templates, name="templates"),
    path("customer-emails/<str:event>/<str:language>/", views.template_edit, name="template_edit"),
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/new/", views.webhook_edit, name="webhook_new"),
    path("webhooks/<int:pk>/", views.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path("webhooks/<int:pk>/test/", views.webhook_test, name="webhook_test"),
    path("webhooks/allowed-hosts/", views.allowed_host_create, name="allowed_host_add"),
    path(
        "webhooks/allowed-hosts/<int:pk>/delete/",
        views.allowed_host_delete,
        name="allowed_host_delete",
    ),
]

from django.urls import path

from frontdesk.automation import views

app_name = "automation"
urlpatterns = [
    path("", views.settings_index, name="settings"),
    path("triggers/new/", views.trigger_edit, name="trigger_new"),
    path("triggers/<int:pk>/", views.trigger_edit, name="trigger_edit"),
    path("triggers/<int:pk>/delete/", views.trigger_remove, name="trigger_delete"),
    path("time-rules/new/", views.time_rule_edit, name="time_rule_new"),
    path("time-rules/<int:pk>/", views.time_rule_edit, name="time_rule_edit"),
    path("time-rules/<int:pk>/delete/", views.time_rule_remove, name="time_rule_delete"),
    path("email-templates/", views.email_templates, name="email_templates"),
    path("email-templates/new/", views.email_template_edit, name="email_template_new"),
    path("email-templates/<int:pk>/", views.email_template_edit, name="email_template_edit"),
    path(
        "email-templates/<int:pk>/delete/",
        views.email_template_remove,
        name="email_template_delete",
    ),
    path("routing/<int:pk>/", views.team_routing, name="team_routing"),
    path("agents/<int:pk>/", views.agent_profile, name="agent_profile"),
    path("me/", views.me, name="me"),
]

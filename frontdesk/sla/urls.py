from django.urls import path

from frontdesk.sla import views

app_name = "sla"
urlpatterns = [
    path("settings/", views.settings_index, name="settings"),
    path("settings/calendars/new/", views.calendar_edit, name="calendar_new"),
    path("settings/calendars/<int:pk>/", views.calendar_edit, name="calendar_edit"),
    path("settings/calendars/<int:pk>/delete/", views.calendar_remove, name="calendar_delete"),
    path(
        "settings/calendars/<int:pk>/holidays/",
        views.calendar_holiday_create,
        name="holiday_add",
    ),
    path(
        "settings/calendars/<int:pk>/holidays/<int:holiday_pk>/delete/",
        views.calendar_holiday_delete,
        name="holiday_delete",
    ),
    path("settings/calendars/<int:pk>/ical/", views.calendar_ical, name="calendar_ical"),
    path("settings/policies/new/", views.policy_edit, name="policy_new"),
    path("settings/policies/<int:pk>/", views.policy_edit, name="policy_edit"),
    path("settings/policies/<int:pk>/delete/", views.policy_remove, name="policy_delete"),
    path("settings/rules/new/", views.rule_edit, name="rule_new"),
    path("settings/rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("settings/rules/<int:pk>/delete/", views.rule_remove, name="rule_delete"),
    path("tickets/<int:number>/escalate/", views.escalate, name="escalate"),
]

from django.urls import path

from frontdesk.reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("live/", views.live, name="live"),
    path("me/", views.agent_dashboard, name="agent"),
    path("builder/", views.builder, name="builder"),
    path("builder/save/", views.report_save, name="report_save"),
    path("export/<str:fmt>/", views.export, name="export"),
    path("agents/export/<str:fmt>/", views.agents_export, name="agents_export"),
    path("saved/<int:pk>/", views.report_detail, name="report"),
    path("saved/<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("saved/<int:pk>/delete/", views.report_delete, name="report_delete"),
    path("saved/<int:pk>/export/<str:fmt>/", views.report_export, name="report_export"),
    path("settings/surveys/", views.survey_settings, name="survey_settings"),
    path("survey/csat/<str:token>/", views.csat_answer, name="csat_answer"),
    path("survey/nps/<str:token>/", views.nps_answer, name="nps_answer"),
    path("survey/ticket/<int:number>/", views.csat_portal, name="csat_portal"),
]

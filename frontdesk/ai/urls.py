from django.urls import path

from frontdesk.ai import views

app_name = "ai"
urlpatterns = [
    path("ask/", views.ask, name="ask"),
    path("answers/<int:pk>/feedback/", views.answer_feedback, name="answer_feedback"),
    path("unanswered/", views.unanswered, name="unanswered"),
    path("answers/<int:pk>/draft/", views.answer_draft, name="answer_draft"),
    path(
        "tickets/<int:number>/suggestions/<int:pk>/apply/",
        views.suggestion_apply,
        name="suggestion_apply",
    ),
    path("clusters/<int:pk>/", views.cluster, name="cluster"),
    path("clusters/<int:pk>/link/", views.cluster_link, name="cluster_link"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/train/", views.train, name="train"),
]

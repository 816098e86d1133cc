from django.urls import path

from frontdesk.community import views

app_name = "community"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.topic_new, name="topic_new"),
    path("moderation/", views.moderation, name="moderation"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("t/<int:pk>/", views.topic, name="topic"),
    path("t/<int:pk>/reply/", views.reply, name="reply"),
    path("t/<int:pk>/subscribe/", views.subscribe, name="subscribe"),
    path("t/<int:pk>/moderate/", views.topic_moderation, name="topic_moderate"),
    path("t/<int:pk>/to-article/", views.to_article, name="to_article"),
    path("p/<int:pk>/vote/", views.vote, name="vote"),
    path("p/<int:pk>/accept/", views.accept, name="accept"),
    path("p/<int:pk>/edit/", views.edit, name="edit"),
    path("p/<int:pk>/history/", views.history, name="history"),
    path("p/<int:pk>/moderate/", views.post_moderation, name="post_moderate"),
    path("p/<int:pk>/to-ticket/", views.to_ticket, name="to_ticket"),
]

from django.urls import path

from frontdesk.knowledge import manage_views, views

app_name = "knowledge"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("suggest/", views.suggest, name="suggest"),
    path("panel/", views.portal_panel, name="portal_panel"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("s/<slug:slug>/", views.section_page, name="section"),
    path("files/<int:pk>/<str:filename>", views.attachment, name="attachment"),
    path("manage/", manage_views.manage, name="manage"),
    path("manage/new/", manage_views.article_new, name="new"),
    path("manage/preview/", manage_views.preview, name="preview"),
    path("manage/structure/", manage_views.structure, name="structure"),
    path("manage/report/", manage_views.report, name="report"),
    path("manage/composer/", manage_views.composer_search, name="composer_search"),
    path("manage/from-ticket/<int:number>/", manage_views.from_ticket, name="from_ticket"),
    path("manage/<int:pk>/", manage_views.article_edit, name="edit"),
    path("manage/<int:pk>/status/", manage_views.article_status, name="status"),
    path("manage/<int:pk>/revisions/", manage_views.revisions, name="revisions"),
    path(
        "manage/<int:pk>/revisions/<int:number>/restore/",
        manage_views.revision_restore,
        name="restore",
    ),
    path(
        "manage/<int:pk>/revisions/<int:number>/decide/",
        manage_views.revision_decide,
        name="revision_decide",
    ),
    path("manage/<int:pk>/translate/<str:language>/", manage_views.translate, name="translate"),
    path("manage/<int:pk>/files/", manage_views.attachment_upload, name="upload"),
    path("<str:language>/<str:section>/<str:slug>/", views.article, name="article"),
    path("<str:language>/<str:section>/<str:slug>/feedback/", views.feedback, name="feedback"),
]

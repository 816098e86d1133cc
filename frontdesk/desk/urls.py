from django.urls import path

from frontdesk.desk import settings_views, views

app_name = "desk"
urlpatterns = [
    path("", views.home, name="home"),
    path("views/<int:view_id>/", views.view_tickets, name="view"),
    path("views/new/", views.view_edit, name="view_new"),
    path("views/counts/", views.sidebar_counts, name="view_counts"),
    path("views/<int:view_id>/edit/", views.view_edit, name="view_edit"),
    path("search/", views.search, name="search"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/bulk/", views.bulk, name="bulk"),
    path("tickets/<int:number>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:number>/history/", views.ticket_history, name="ticket_history"),
    path("tickets/<int:number>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<int:number>/properties/", views.ticket_properties, name="ticket_properties"),
    path("tickets/<int:number>/assign-me/", views.ticket_assign_me, name="ticket_assign_me"),
    path("tickets/<int:number>/solve/", views.ticket_solve, name="ticket_solve"),
    path("tickets/<int:number>/merge/", views.ticket_merge_view, name="ticket_merge"),
    path("tickets/<int:number>/link/", views.ticket_link_view, name="ticket_link"),
    path(
        "tickets/<int:number>/messages/<int:message_id>/split/",
        views.message_split_view,
        name="message_split",
    ),
    path("tickets/<int:number>/macro-preview/", views.macro_preview, name="macro_preview"),
    path("tickets/<int:number>/presence/", views.presence, name="presence"),
    path("tickets/<int:number>/panels/<slug:key>/", views.ticket_panel, name="ticket_panel"),
    path("settings/", settings_views.index, name="settings"),
    path("settings/priorities/matrix/", settings_views.priority_matrix, name="priority_matrix"),
    path("settings/<str:kind>/", settings_views.object_list, name="settings_list"),
    path("settings/<str:kind>/new/", settings_views.object_edit, name="settings_new"),
    path("settings/<str:kind>/<int:pk>/", settings_views.object_edit, name="settings_edit"),
]

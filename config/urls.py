from django.contrib import admin
from django.urls import include, path

from frontdesk.core import views as core_views
from frontdesk.tickets import views as ticket_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("desk/", include("frontdesk.desk.urls")),
    path("portal/", include("frontdesk.portal.urls")),
    path("mail/", include("frontdesk.mail.urls")),
    path("sla/", include("frontdesk.sla.urls")),
    path("kb/", include("frontdesk.knowledge.urls")),
    path("community/", include("frontdesk.community.urls")),
    path("reports/", include("frontdesk.reporting.urls")),
    path("automation/", include("frontdesk.automation.urls")),
    path("notifications/", include("frontdesk.notifications.urls")),
    path("ai/", include("frontdesk.ai.urls")),
    path(
        "attachments/<int:attachment_id>/<str:filename>",
        ticket_views.attachment_download,
        name="attachment",
    ),
    path("api/v1/", include("frontdesk.api.urls")),
    path("django-admin/", admin.site.urls),
]

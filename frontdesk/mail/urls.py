from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.urls import path, re_path

from frontdesk.mail import views
from frontdesk.mail.webhooks import webhook_view

app_name = "mail"
urlpatterns = [
    path("mailboxes/", views.mailbox_list, name="mailbox_list"),
    path("mailboxes/new/", views.mailbox_edit, name="mailbox_new"),
    path("mailboxes/<int:pk>/", views.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/test/", views.mailbox_test_view, name="mailbox_test"),
    path("received/", views.inbound_list, name="inbound_list"),
    path("received/<int:pk>/rerun/", views.inbound_rerun, name="inbound_rerun"),
    path("received/<int:pk>/raw/", views.inbound_raw, name="inbound_raw"),
    path("messages/<int:message_id>/original/", views.message_original, name="message_original"),
    # Provider webhooks: anonymous by design, guarded by anymail's WEBHOOK_SECRET (basic
    # auth) and the provider's signature.
    re_path(
        r"^anymail/mailgun/inbound(_mime)?/$",
        webhook_view(MailgunInboundWebhookView, needs=("MAILGUN_WEBHOOK_SIGNING_KEY",)),
        name="anymail_mailgun_inbound",
    ),
    path(
        "anymail/sendgrid/inbound/",
        webhook_view(SendGridInboundWebhookView),
        name="anymail_sendgrid_inbound",
    ),
    path(
        "anymail/postmark/inbound/",
        webhook_view(PostmarkInboundWebhookView),
        name="anymail_postmark_inbound",
    ),
]

"""The mail routes in the permission matrix (see frontdesk/core/testing/permissions.py)."""

from __future__ import annotations

from frontdesk.core import clock
from frontdesk.core.testing.permissions import ADMIN_PAGE, AGENT_TICKET_PAGE, PERSONAS

ADMIN_POST = {**ADMIN_PAGE, "ada": 302}
# Provider webhooks are anonymous by design; without a configured secret they do not exist.
WEBHOOK_UNCONFIGURED = dict.fromkeys(PERSONAS, 404)

ROUTES = {
    "mail:mailbox_list": ("GET", ADMIN_PAGE),
    "mail:mailbox_new": ("GET", ADMIN_PAGE),
    "mail:mailbox_edit": ("GET", ADMIN_PAGE),
    "mail:mailbox_test": ("POST", ADMIN_POST),
    "mail:inbound_list": ("GET", ADMIN_PAGE),
    "mail:inbound_rerun": ("POST", ADMIN_POST),
    "mail:inbound_raw": ("GET", ADMIN_PAGE),
    "mail:message_original": ("GET", AGENT_TICKET_PAGE),
    "mail:anymail_mailgun_inbound": ("POST", WEBHOOK_UNCONFIGURED),
    "mail:anymail_sendgrid_inbound": ("POST", WEBHOOK_UNCONFIGURED),
    "mail:anymail_postmark_inbound": ("POST", WEBHOOK_UNCONFIGURED),
}


def route_kwargs(scenario: dict) -> dict[str, dict]:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from frontdesk.mail.models import InboundMail, InboundSource, InboundState, Mailbox

    ticket = scenario["ticket"]
    message = ticket.messages.order_by("pk").first()
    # A closed port: "test connection" fails at once and says so.
    mailbox = Mailbox.objects.create(
        address=f"matrix-{message.pk}@example.com",
        imap_host="127.0.0.1",
        imap_port=1,
        imap_ssl=False,
        username="matrix",
    )
    name = default_storage.save(
        f"mail/raw/matrix-{message.pk}.eml", ContentFile(b"Subject: x\r\n\r\nx")
    )
    inbound = InboundMail.objects.create(
        mailbox=mailbox,
        message_id=f"matrix-{message.pk}@example.com",
        raw=name,
        size=16,
        received_at=clock.now(),
        source=InboundSource.SMTP,
        state=InboundState.DEAD,
        error="no sender",
        ticket_message=message,
    )
    return {
        "mail:mailbox_edit": {"pk": mailbox.pk},
        "mail:mailbox_test": {"pk": mailbox.pk},
        "mail:inbound_rerun": {"pk": inbound.pk},
        "mail:inbound_raw": {"pk": inbound.pk},
        "mail:message_original": {"message_id": message.pk},
    }

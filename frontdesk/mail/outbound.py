"""Mail we send: agent replies, acknowledgements, "too large" notices.

What the customer reads in a reply or an acknowledgement is the text an admin wrote in the
notifications app (Settings → Customer emails) for the ticket's language, when there is one
(``customer_text``); otherwise this app's own templates. A text the admin switched off is
not sent. (The "solved, reopen here" mail is the notifications app's, sent once from there.)

Queueing writes an ``OutboundMail`` row (once per ticket message and kind) and enqueues the
send job after the commit. The job claims the row, sends it with Django's email backend
(SMTP or a provider through django-anymail) and records the outcome; a failure is retried
with exponential backoff and shown on the message (queued, sent, failed with the reason).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from frontdesk.core import clock
from frontdesk.mail.models import (
    BouncingAddress,
    InboundMail,
    Mailbox,
    OutboundKind,
    OutboundMail,
    OutboundState,
)
from frontdesk.mail.parse import ParsedMail
from frontdesk.mail.tokens import message_id_make, reply_address, token_make
from frontdesk.notifications.customer import (
    customer_email_enabled,
    customer_text,
    ticket_language,
)
from frontdesk.notifications.models import CustomerEvent
from frontdesk.tickets.models import Message, MessageKind, Ticket

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 6
BACKOFF_SECONDS = 60  # 1, 2, 4, 8, 16 minutes between attempts
CLAIM_SECONDS = 300
RECENT_MESSAGES = 3


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "frontdesk.invalid"


def _default_address() -> str:
    from email.utils import parseaddr

    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "support@example.com"


def mailbox_for_ticket(ticket: Ticket) -> Mailbox | None:
    """The address the customer wrote to; else the team's; else the first active one."""
    first = (
        InboundMail.objects.filter(ticket_message__ticket=ticket, mailbox__isnull=False)
        .select_related("mailbox")
        .order_by("received_at")
        .first()
    )
    if first is not None and first.mailbox is not None:
        return first.mailbox
    mailboxes = Mailbox.objects.filter(active=True)
    if ticket.team_id:
        team_box = mailboxes.filter(team_id=ticket.team_id).first()
        if team_box is not None:
            return team_box
    return mailboxes.first()


def _queue(**fields: object) -> OutboundMail | None:
    try:
        with transaction.atomic():
            outbound = OutboundMail.objects.create(created_at=clock.now(), **fields)
    except IntegrityError:
        return None  # already queued for this message: the handler ran twice
    transaction.on_commit(lambda: _enqueue_send(outbound.pk))
    return outbound


def _enqueue_send(outbound_id: int, delay: int = 0) -> None:
    from frontdesk.mail.tasks import outbound_send_task

    if delay:
        outbound_send_task.schedule((outbound_id,), delay=delay)
    else:
        outbound_send_task(outbound_id)


def reply_queue(*, message: Message) -> OutboundMail | None:
    """Queue an agent's public reply to the requester (CCs of the ticket kept on)."""
    if message.kind != MessageKind.PUBLIC or not message.from_agent:
        return None
    if message.metadata.get("held") or message.metadata.get("no_mail"):
        return None
    ticket = message.ticket
    requester = ticket.requester
    if not requester.email or requester.pk == message.author_id:
        return None
    if not customer_email_enabled(event=CustomerEvent.REPLY, ticket=ticket):
        return None  # the admin unticked "Send this email" for agent replies
    mailbox = mailbox_for_ticket(ticket)
    address = mailbox.address if mailbox else _default_address()
    token = token_make(ticket_id=ticket.pk, email=requester.email)
    return _queue(
        ticket_message=message,
        mailbox=mailbox,
        kind=OutboundKind.REPLY,
        to=[requester.email],
        cc=sorted(u.email for u in ticket.cc.all() if u.email and u.pk != message.author_id),
        message_id=message_id_make(token=token, domain=_domain(address)),
    )


def acknowledgement_queue(*, message: Message) -> OutboundMail | None:
    """Tell the sender of a new ticket that we have it (never robots or bouncing addresses)."""
    mail = message.metadata.get("mail") or {}
    if not mail or mail.get("noise") or message.from_agent:
        return None
    inbound = InboundMail.objects.filter(pk=mail.get("inbound_id")).select_related("mailbox")
    inbound = inbound.first()
    mailbox = inbound.mailbox if inbound else None
    if mailbox is not None and not mailbox.acknowledge:
        return None
    requester = message.ticket.requester
    if BouncingAddress.objects.filter(email=requester.email).exists():
        return None
    if not customer_email_enabled(event=CustomerEvent.ACKNOWLEDGEMENT, ticket=message.ticket):
        return None
    address = mailbox.address if mailbox else _default_address()
    token = token_make(ticket_id=message.ticket_id, email=requester.email)
    return _queue(
        ticket_message=message,
        mailbox=mailbox,
        inbound=inbound,
        kind=OutboundKind.ACKNOWLEDGEMENT,
        to=[requester.email],
        message_id=message_id_make(token=token, domain=_domain(address)),
    )


def notice_queue_too_large(*, inbound: InboundMail, parsed: ParsedMail) -> OutboundMail | None:
    mailbox = inbound.mailbox
    address = mailbox.address if mailbox else _default_address()
    return _queue(
        mailbox=mailbox,
        inbound=inbound,
        kind=OutboundKind.QUARANTINE_NOTICE,
        to=[parsed.from_email],
        message_id=message_id_make(token=None, domain=_domain(address)),
    )


def customer_mail_headers(*, ticket: Ticket) -> dict[str, str]:
    """Headers that put a mail another app sends the requester about ``ticket`` (the
    notifications app's "solved, reopen here") into the ticket's mail thread: sent from the
    ticket's mailbox, a Reply-To and a Message-ID carrying our signed token, In-Reply-To and
    References to the conversation. A reply to it joins the ticket (threading rule 1)
    instead of opening a new one."""
    mailbox = mailbox_for_ticket(ticket)
    address = mailbox.address if mailbox else _default_address()
    token = token_make(ticket_id=ticket.pk, email=ticket.requester.email)
    headers = {
        "From": _from(mailbox),
        "Reply-To": reply_address(mailbox_address=address, token=token),
        "Message-ID": f"<{message_id_make(token=token, domain=_domain(address))}>",
        "X-Frontdesk-Ticket": str(ticket.number),
    }
    answering, ids = _thread_ids(ticket, exclude=0)
    if answering:
        headers["In-Reply-To"] = f"<{answering}>"
        headers["References"] = " ".join(f"<{i}>" for i in ids[-10:])
    return headers


# --- building ---------------------------------------------------------------------------------


def _thread_ids(ticket: Ticket, exclude: int) -> tuple[str, list[str]]:
    """(In-Reply-To, References): we answer the customer's latest mail, in the whole thread."""
    inbound = list(
        InboundMail.objects.filter(ticket_message__ticket=ticket)
        .order_by("received_at")
        .values_list("received_at", "message_id")[:50]
    )
    outbound = list(
        OutboundMail.objects.filter(ticket_message__ticket=ticket, state=OutboundState.SENT)
        .exclude(pk=exclude)
        .order_by("created_at")
        .values_list("created_at", "message_id")[:50]
    )
    ids = [msgid for _at, msgid in sorted(inbound + outbound)]
    answering = inbound[-1][1] if inbound else (ids[-1] if ids else "")
    return answering, ids


def _from(mailbox: Mailbox | None) -> str:
    from email.utils import formataddr

    if mailbox is None:
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((mailbox.from_name or mailbox.name or "", mailbox.address))


def outbound_build(outbound: OutboundMail) -> EmailMultiAlternatives:
    """The mail as it goes out: threading headers, reply address, language, attachments."""
    mailbox = outbound.mailbox
    message = outbound.ticket_message
    headers = {"Message-ID": f"<{outbound.message_id}>"}
    if outbound.kind != OutboundKind.REPLY:
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    reply_to: list[str] = []
    attachments = []
    if message is not None:
        ticket = message.ticket
        requester = ticket.requester
        language = ticket_language(ticket)
        token = token_make(ticket_id=ticket.pk, email=requester.email)
        address = mailbox.address if mailbox else _default_address()
        reply_to = [reply_address(mailbox_address=address, token=token)]
        answering, ids = _thread_ids(ticket, exclude=outbound.pk)
        if outbound.kind == OutboundKind.ACKNOWLEDGEMENT and outbound.inbound is not None:
            answering, ids = outbound.inbound.message_id, [outbound.inbound.message_id]
        if answering:
            headers["In-Reply-To"] = f"<{answering}>"
            headers["References"] = " ".join(f"<{i}>" for i in ids[-10:])
        headers["X-Frontdesk-Ticket"] = str(ticket.number)
        context = _context(outbound, ticket, message, mailbox)
        subject = _("Re: %(subject)s [#%(number)s]") % {
            "subject": ticket.subject,
            "number": ticket.number,
        }
        template = "reply" if outbound.kind == OutboundKind.REPLY else "acknowledgement"
        event = CustomerEvent.REPLY if template == "reply" else CustomerEvent.ACKNOWLEDGEMENT
        # The admin's text for this event and language, if they wrote one.
        admin_text = customer_text(
            event=event, ticket=ticket, message=message, language=language, builtin=False
        )
        if admin_text is None and not customer_email_enabled(event=event, ticket=ticket):
            # Switched off after this mail was queued: it is not sent after all.
            raise MailSwitchedOffError(_("An admin switched this customer email off."))
        if admin_text is not None:
            subject, context["admin_body"], language = admin_text
            template = "admin_reply" if template == "reply" else "admin_text"
        if outbound.kind == OutboundKind.REPLY:
            attachments = [
                (a.filename, a.blob.file.open("rb").read(), a.content_type)
                for a in message.attachments.select_related("blob").order_by("pk")
            ]
    else:
        language = settings.LANGUAGE_CODE
        inbound = outbound.inbound
        if inbound is not None:
            headers["In-Reply-To"] = f"<{inbound.message_id}>"
            headers["References"] = f"<{inbound.message_id}>"
        context = {
            "mailbox": mailbox,
            "subject": inbound.subject if inbound else "",
            "limit_mb": settings.MAIL_MAX_BYTES // (1024 * 1024),
        }
        subject = ""
        template = "too_large"
    with translation.override(language):
        if not subject:
            subject = _("Your mail was too large: %(subject)s") % {
                "subject": context.get("subject") or _("(no subject)")
            }
        text = render_to_string(f"mail/email/{template}.txt", context)
        html = render_to_string(f"mail/email/{template}.html", context)
    headers["Content-Language"] = language
    mail = EmailMultiAlternatives(
        subject=" ".join(str(subject).split())[:250],
        body=text,
        from_email=_from(mailbox),
        to=list(outbound.to),
        cc=list(outbound.cc),
        reply_to=reply_to,
        headers=headers,
    )
    mail.attach_alternative(html, "text/html")
    for filename, content, content_type in attachments:
        mail.attach(filename, content, content_type)
    return mail


def _context(
    outbound: OutboundMail, ticket: Ticket, message: Message, mailbox: Mailbox | None
) -> dict:
    recent = list(
        Message.objects.filter(ticket=ticket, kind=MessageKind.PUBLIC)
        .exclude(pk=message.pk)
        .filter(Q(created_at__lt=message.created_at) | Q(created_at=message.created_at))
        .select_related("author")
        .order_by("-created_at", "-pk")[:RECENT_MESSAGES]
    )
    return {
        "ticket": ticket,
        "message": message,
        "recent": recent,
        "mailbox": mailbox,
        "signature": mailbox.signature if mailbox else "",
        "ticket_url": settings.SITE_URL
        + reverse("portal:request_detail", kwargs={"number": ticket.number}),
    }


# --- sending ----------------------------------------------------------------------------------


def outbound_send(outbound_id: int) -> OutboundMail | None:
    """Send one queued mail (claimed so two workers never send it twice at once)."""
    now = clock.now()
    claimed = OutboundMail.objects.filter(pk=outbound_id, state=OutboundState.QUEUED).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    if not claimed.update(
        next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1
    ):
        return None
    outbound = OutboundMail.objects.select_related(
        "mailbox",
        "ticket_message",
        "ticket_message__ticket",
        "ticket_message__ticket__requester",
        "inbound",
    ).get(pk=outbound_id)
    try:
        mail = outbound_build(outbound)
        with get_connection(fail_silently=False) as connection:
            connection.send_messages([mail])
    except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
        return _failed(outbound, exc)
    OutboundMail.objects.filter(pk=outbound_id).update(
        state=OutboundState.SENT, sent_at=clock.now(), last_error="", next_attempt_at=None
    )
    outbound.refresh_from_db()
    return outbound


class MailSwitchedOffError(Exception):
    """The customer email was switched off between queueing and sending."""


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, MailSwitchedOffError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _failed(outbound: OutboundMail, exc: Exception) -> OutboundMail:
    reason = f"{type(exc).__name__}: {exc}"[:1000]
    log.warning("sending mail %s failed: %s", outbound.pk, reason)
    attempts = outbound.attempts  # already counted by the claim
    if _permanent(exc) or attempts >= MAX_SEND_ATTEMPTS:
        OutboundMail.objects.filter(pk=outbound.pk).update(
            state=OutboundState.FAILED, last_error=reason, next_attempt_at=None
        )
    else:
        delay = BACKOFF_SECONDS * 2 ** (attempts - 1)
        OutboundMail.objects.filter(pk=outbound.pk).update(
            last_error=reason, next_attempt_at=clock.now() + timedelta(seconds=delay)
        )
        transaction.on_commit(lambda: _enqueue_send(outbound.pk, delay=delay))
    outbound.refresh_from_db()
    return outbound


def outbound_due_ids(limit: int = 200) -> list[int]:
    """Queued mail whose next attempt is due (the sweeper re-enqueues lost jobs)."""
    now = clock.now()
    return list(
        OutboundMail.objects.filter(state=OutboundState.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )

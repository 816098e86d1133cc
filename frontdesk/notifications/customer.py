"""What customers are told, in their language, in texts admins edit.

``customer_text(event=..., ticket=..., message=...)`` is the one reader: it returns the
admin's subject and body for the event in the ticket's language (falling back to the
site language, then to the built-in text) with placeholders filled in, or ``None`` when
the admin switched the text off. The mail app's acknowledgement and reply mails can use
it; the "solved, with a link to reopen" mail is sent from here (``solved_mail_queue``),
once per solve.

Other apps add a paragraph to the solved mail through one small hook
(``solved_mail_part_register``) instead of mailing the customer a second time: reporting
adds the CSAT rating links there. ``solved_notice_due`` tells such an app whether the
current solve gets a solved mail at all (if not, it sends its own).
"""

from __future__ import annotations

from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from frontdesk.core import clock
from frontdesk.notifications.models import CustomerEvent, NotificationTemplate
from frontdesk.tickets.models import Message, Ticket
from frontdesk.tickets.placeholders import placeholders_render

PLACEHOLDERS = (
    "{{ticket.number}}",
    "{{ticket.subject}}",
    "{{ticket.status}}",
    "{{ticket.url}}",
    "{{ticket.reopen_until}}",
    "{{requester.first_name}}",
    "{{requester.name}}",
    "{{agent.first_name}}",
    "{{agent.name}}",
    "{{organization.name}}",
    "{{message.body}}",
)


def builtin_text(event: str) -> tuple[str, str]:
    """The text used until an admin writes their own (translated by the catalog)."""
    if event == CustomerEvent.ACKNOWLEDGEMENT:
        return (
            _("We received your request [#{{ticket.number}}]"),
            _(
                "Hello {{requester.first_name}},\n\nWe have received your request and given it "
                "the number #{{ticket.number}}. We will get back to you as soon as we can.\n\n"
                "To add something, reply to this mail. You can also follow the request "
                "here:\n{{ticket.url}}"
            ),
        )
    if event == CustomerEvent.REPLY:
        return (
            _("Re: {{ticket.subject}} [#{{ticket.number}}]"),
            _(
                "{{message.body}}\n\nReply to this mail to add to request #{{ticket.number}}, "
                "or see it at:\n{{ticket.url}}"
            ),
        )
    return (
        _("Your request #{{ticket.number}} is solved"),
        _(
            "Hello {{requester.first_name}},\n\nWe have marked your request "
            "“{{ticket.subject}}” (#{{ticket.number}}) as solved.\n\nIf it is not solved for "
            "you, reopen it until {{ticket.reopen_until}} here:\n{{ticket.url}}\n\n"
            "or simply reply to this mail."
        ),
    )


def ticket_language(ticket: Ticket) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    for candidate in (ticket.language, ticket.requester.language):
        code = (candidate or "").split("-")[0].lower()
        if code in codes:
            return code
    return settings.LANGUAGE_CODE.split("-")[0]


def _context(ticket: Ticket, message: Message | None, language: str) -> dict[str, dict[str, Any]]:
    from frontdesk.tickets.services import ticket_reopen_until

    requester = ticket.requester
    agent = message.author if message is not None and message.from_agent else ticket.assignee
    until = ticket_reopen_until(ticket)
    with translation.override(language):
        until_text = formats.date_format(until, "DATE_FORMAT") if until else ""
        status = ticket.customer_status
    return {
        "ticket": {
            "number": ticket.number,
            "subject": ticket.subject,
            "status": status,
            "url": settings.SITE_URL.rstrip("/")
            + reverse("portal:request_detail", kwargs={"number": ticket.number}),
            "reopen_until": until_text,
        },
        "requester": {
            "first_name": requester.first_name or requester.display_name,
            "name": requester.display_name,
        },
        "agent": {
            "first_name": (agent.first_name or agent.display_name) if agent else "",
            "name": agent.display_name if agent else "",
        },
        "organization": {"name": ticket.organization.name if ticket.organization_id else ""},
        "message": {"body": message.body_text if message is not None else ""},
    }


def _row(event: str, language: str) -> NotificationTemplate | None:
    rows = {
        row.language: row
        for row in NotificationTemplate.objects.filter(
            event=event, language__in={language, settings.LANGUAGE_CODE.split("-")[0]}
        )
    }
    return rows.get(language) or rows.get(settings.LANGUAGE_CODE.split("-")[0])


def customer_email_enabled(*, event: str, ticket: Ticket) -> bool:
    """False when an admin switched this customer email off (for the ticket's language)."""
    row = _row(event, ticket_language(ticket))
    return row is None or row.active


def customer_text(
    *,
    event: str,
    ticket: Ticket,
    message: Message | None = None,
    language: str | None = None,
    builtin: bool = True,
) -> tuple[str, str, str] | None:
    """(subject, body, language) for ``event`` on ``ticket``; None: the admin turned it off,
    or (with ``builtin=False``) no admin text exists, so the caller keeps its own."""
    language = language or ticket_language(ticket)
    rows = {
        row.language: row
        for row in NotificationTemplate.objects.filter(
            event=event, language__in={language, settings.LANGUAGE_CODE.split("-")[0]}
        )
    }
    row = rows.get(language)
    default = rows.get(settings.LANGUAGE_CODE.split("-")[0])
    if (row or default) is not None and not (row or default).active:
        return None  # the admin turned this mail off (in the reader's or the default language)
    if row is None and not builtin:
        return None
    # A reader whose language has no admin text gets the built-in text in their language,
    # never the default language's admin text labelled as theirs.
    with translation.override(language):
        subject, body = (row.subject, row.body) if row is not None else builtin_text(event)
        context = _context(ticket, message, language)
        return (
            " ".join(placeholders_render(subject, context).split())[:250],
            placeholders_render(body, context),
            language,
        )


class SolvedMailPart(Protocol):
    """Text another app adds to the solved mail, in the mail's language, or None.

    Called inside the transaction that queues the mail: whatever it claims (a survey marked
    sent) is rolled back with it when the mail is not queued."""

    def __call__(self, *, ticket: Ticket, language: str) -> str | None: ...


_solved_parts: list[SolvedMailPart] = []


def solved_mail_part_register(part: SolvedMailPart) -> None:
    """Add ``part`` to every solved mail from now on (registering twice adds it once)."""
    if part not in _solved_parts:
        _solved_parts.append(part)


def _solved_notice_enabled(ticket: Ticket) -> bool:
    """The solved mail goes to this ticket's requester (setting, address, admin's switch)."""
    if not getattr(settings, "NOTIFY_CUSTOMER_SOLVED", True):
        return False
    requester = ticket.requester
    if not requester.email or "@" not in requester.email or requester.is_agent:
        return False
    if ticket.merged_into_id:
        return False
    return customer_email_enabled(event=CustomerEvent.SOLVED, ticket=ticket)


def solved_notice_due(*, ticket: Ticket) -> bool:
    """True when the ticket's current solve gets (or got) the solved mail.

    The same facts the ``ticket.changed`` reaction acts on: the ticket is solved (not
    closed), a recent status change to a solved status is the one that set ``solved_at``,
    and the mail is switched on for the requester. An app that would otherwise mail the
    customer about the solve (the CSAT survey) leaves its text to the solved mail then,
    whichever of the two reactions runs first."""
    from frontdesk.notifications.handlers import RECENT
    from frontdesk.tickets.models import EventKind, Status, StatusCategory, TicketEvent

    if ticket.status_category != StatusCategory.SOLVED or ticket.solved_at is None:
        return False
    if not _solved_notice_enabled(ticket):
        return False
    # A reaction that runs later than RECENT after the solve no longer sees its event and
    # sends no solved mail; nor may we count on one then.
    since = max(ticket.solved_at, clock.now() - RECENT)
    return TicketEvent.objects.filter(
        ticket=ticket,
        kind=EventKind.CHANGED,
        field="status",
        new_value__in=Status.objects.filter(category=StatusCategory.SOLVED).values("slug"),
        created_at__gte=since,
    ).exists()


def solved_mail_queue(*, ticket: Ticket, event_id: int) -> bool:
    """Tell the requester their request was solved, with the link to reopen it; once per
    solve (the key is the status change's event id). Registered parts (the rating links)
    are appended, so the customer gets one mail about the solve, not two."""
    from frontdesk.mail.outbound import customer_mail_headers
    from frontdesk.notifications.services import mail_queue

    if not _solved_notice_enabled(ticket):
        return False
    text = customer_text(event=CustomerEvent.SOLVED, ticket=ticket)
    if text is None:
        return False
    subject, body, language = text
    with transaction.atomic():
        parts = [part(ticket=ticket, language=language) for part in _solved_parts]
        job = mail_queue(
            key=f"solved:{ticket.pk}:{event_id}",
            to=[ticket.requester.email],
            subject=subject,
            body="\n\n".join([body.rstrip(), *(p.strip() for p in parts if p)]),
            ticket=ticket,
            # From the ticket's mailbox, with our signed reply token and the thread's ids: a
            # reply to "solved" joins (and reopens) the ticket instead of opening a new one.
            headers={**customer_mail_headers(ticket=ticket), "Content-Language": language},
        )
        if job is None:
            # Already queued for this solve (a retried job): what the parts claimed now
            # (a survey marked sent) is undone, the first mail carries theirs.
            transaction.set_rollback(True)
    return job is not None


def template_save(
    *, event: str, language: str, subject: str, body: str, active: bool
) -> NotificationTemplate:
    """Write the admin's text for one event and language (placeholders are checked)."""
    from django.core.exceptions import ValidationError

    errors: dict[str, list[str]] = {}
    if event not in CustomerEvent.values:
        errors["event"] = [_("Unknown event.")]
    if language not in {code for code, _name in settings.LANGUAGES}:
        errors["language"] = [_("Unknown language.")]
    if not subject.strip():
        errors["subject"] = [_("Write a subject.")]
    if not body.strip():
        errors["body"] = [_("Write the text.")]
    import re

    unknown = sorted(
        {
            m.group(0)
            for m in re.finditer(r"\{\{\s*[^}]*\}\}", subject + body)
            if m.group(0).replace(" ", "") not in PLACEHOLDERS
        }
    )
    if unknown:
        errors["body"] = [_("Unknown placeholders: %(p)s") % {"p": ", ".join(unknown)}]
    if errors:
        raise ValidationError(errors)
    template, _created = NotificationTemplate.objects.update_or_create(
        event=event,
        language=language,
        defaults={"subject": subject.strip(), "body": body, "active": active},
    )
    return template

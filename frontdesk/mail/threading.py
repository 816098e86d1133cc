"""Which ticket a mail answers, and whether its sender may speak on that ticket.

In this order (ARCHITECTURE.md, "Decisions that protect users"):
1. our signed token (reply address or our Message-ID) verified for the sender's address;
2. In-Reply-To/References naming a Message-ID we stored (a mail we received or sent);
3. ``[#number]`` in the subject, only when the sender is a participant *and* our MTA
   vouched for the From domain (``authenticated``: dmarc=pass, or SPF/DKIM passing
   aligned): a ticket number is no secret, and From alone is whatever the sender typed.
Reply-To is never looked at. A match whose sender may not join is reported as
``refused``: the caller turns it into a new ticket that names it, never a reply on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from frontdesk.accounts.models import User
from frontdesk.mail.models import InboundMail, OutboundMail
from frontdesk.mail.parse import ParsedMail
from frontdesk.mail.tokens import token_verify, tokens_in_addresses, tokens_in_message_ids
from frontdesk.tickets.models import Ticket

_NUMBER_RE = re.compile(r"\[#(\d{1,15})\]")


@dataclass(frozen=True)
class Thread:
    ticket: Ticket | None
    how: str = ""  # "token", "header", "subject" or "" (a new ticket)
    participant: bool = False
    # A ticket the mail pointed at but whose thread the sender may not join.
    refused: Ticket | None = None


def _followed(ticket: Ticket | None) -> Ticket | None:
    """Merged tickets send their mail on to the ticket they were merged into."""
    seen = 0
    while ticket is not None and ticket.merged_into_id is not None and seen < 10:
        ticket = Ticket.objects.filter(pk=ticket.merged_into_id).first()
        seen += 1
    return ticket


def is_participant(ticket: Ticket, user: User) -> bool:
    """Requester, a CC of the ticket, or staff."""
    if user.is_agent or ticket.requester_id == user.pk:
        return True
    return ticket.cc.filter(pk=user.pk).exists()


def _tickets_by_message_ids(
    ids: list[str],
    known: Mapping[str, int] | None,
    tickets: Mapping[int, Ticket] | None = None,
) -> Ticket | None:
    """The ticket of the most direct stored Message-ID among ``ids`` (in their order).

    ``known`` is a batch's map of the stored Message-IDs it looked up at once, ``tickets``
    the tickets it read with them (the ticket services re-read a ticket under a lock
    before writing, so a copy read at the start of the batch is good enough to choose)."""
    if not ids:
        return None
    if known is not None:
        for msgid in ids:
            if msgid in known:
                ticket = tickets.get(known[msgid]) if tickets is not None else None
                return ticket or Ticket.objects.filter(pk=known[msgid]).first()
        return None
    found: dict[str, int] = {}
    for msgid, ticket_id in InboundMail.objects.filter(
        message_id__in=ids, ticket_message__isnull=False
    ).values_list("message_id", "ticket_message__ticket_id"):
        found.setdefault(msgid, ticket_id)
    for msgid, ticket_id in OutboundMail.objects.filter(
        message_id__in=ids, ticket_message__isnull=False
    ).values_list("message_id", "ticket_message__ticket_id"):
        found.setdefault(msgid, ticket_id)
    for msgid in ids:
        if msgid in found:
            return Ticket.objects.filter(pk=found[msgid]).first()
    return None


def thread_resolve(
    *,
    parsed: ParsedMail,
    sender: User,
    recipients: list[str],
    authenticated: bool,
    known: Mapping[str, int] | None = None,
    tickets: Mapping[int, Ticket] | None = None,
) -> Thread:
    """Decide the thread of an incoming mail (see the module docstring)."""
    candidates = tokens_in_addresses(recipients) + tokens_in_message_ids(parsed.thread_ids)
    refused: Ticket | None = None
    for token in candidates:
        ticket_id = token_verify(token=token, email=sender.email)
        if ticket_id is not None:
            ticket = _followed(Ticket.objects.filter(pk=ticket_id).first())
            if ticket is not None:
                return Thread(ticket=ticket, how="token", participant=True)
    # A token signed for someone else (a forward) or tampered proves nothing by itself; the
    # header chain below may still match our stored Message-ID, with the participant check.
    ticket = _followed(_tickets_by_message_ids(parsed.thread_ids, known, tickets))
    if ticket is not None:
        if is_participant(ticket, sender):
            return Thread(ticket=ticket, how="header", participant=True)
        refused = ticket
    for number in _NUMBER_RE.findall(parsed.subject)[:3]:
        ticket = _followed(Ticket.objects.filter(number=int(number)).first())
        if ticket is None:
            continue
        if authenticated and is_participant(ticket, sender):
            return Thread(ticket=ticket, how="subject", participant=True)
        refused = refused or ticket
    return Thread(ticket=None, refused=refused)

"""An inbound SMTP/LMTP listener (aiosmtpd) that an MTA such as Postfix delivers to.

Recipients are accepted only for our mailboxes (``support@...`` and ``support+TOKEN@...``
both belong to the mailbox ``support@...``). The server answers 250 only after the mail
is committed; any failure answers 451 so the MTA keeps the mail and retries.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from frontdesk.mail.models import InboundSource, Mailbox
from frontdesk.mail.pipeline import ingest_raw
from frontdesk.mail.tokens import address_base

log = logging.getLogger(__name__)
T = TypeVar("T")


def mailbox_for_recipient(address: str) -> Mailbox | None:
    return Mailbox.objects.filter(address__iexact=address_base(address), active=True).first()


def _own_connections_closed(func: Callable[..., T]) -> Callable[..., T]:
    """Runs in the listener's worker thread: its database connection is closed afterwards,
    so none is left open between two mails (nor when the listener stops)."""

    @functools.wraps(func)
    def run(*args: object, **kwargs: object) -> T:
        try:
            return func(*args, **kwargs)
        finally:
            connections.close_all()

    return run


@_own_connections_closed
def deliver_to(raw: bytes, recipients: list[str]) -> dict[str, str]:
    """Store the mail once per mailbox among ``recipients``; an SMTP status per recipient."""
    statuses: dict[str, str] = {}
    by_mailbox: dict[int, tuple[Mailbox, str]] = {}
    for rcpt in recipients:
        mailbox = mailbox_for_recipient(rcpt)
        if mailbox is None:
            statuses[rcpt] = "550 5.1.1 No such mailbox here"
        else:
            by_mailbox.setdefault(mailbox.pk, (mailbox, rcpt))
    done: dict[int, str] = {}
    for mailbox_id, (mailbox, rcpt) in by_mailbox.items():
        # The envelope recipient is where a plus-address token may be the only trace.
        stamped = f"Delivered-To: {rcpt}\r\n".encode() + raw
        try:
            ingest_raw(stamped, mailbox=mailbox, source=InboundSource.SMTP)
            done[mailbox_id] = "250 2.0.0 OK"
        except Exception:
            log.exception("storing a mail for %s failed", rcpt)
            done[mailbox_id] = "451 4.3.0 Could not store the mail; try again later"
    for rcpt in recipients:
        if rcpt not in statuses:
            mailbox = mailbox_for_recipient(rcpt)
            statuses[rcpt] = done.get(mailbox.pk if mailbox else 0, "250 2.0.0 OK")
    return statuses


class DeliveryHandler:
    """aiosmtpd handler: RCPT checks the address, DATA stores the mail (see module doc)."""

    def __init__(self, *, lmtp: bool = False) -> None:
        self.lmtp = lmtp

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        mailbox = await sync_to_async(_known)(address)
        if not mailbox:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        statuses = await sync_to_async(deliver_to)(bytes(raw), list(envelope.rcpt_tos))
        if self.lmtp:
            return "\r\n".join(statuses[r] for r in envelope.rcpt_tos)
        # SMTP has one answer for all: any temporary failure makes the MTA retry the lot
        # (idempotent: mailboxes that stored it already will not store it twice).
        if any(s.startswith("451") for s in statuses.values()):
            return "451 4.3.0 Could not store the mail; try again later"
        return "250 2.0.0 OK"


@_own_connections_closed
def _known(address: str) -> bool:
    return mailbox_for_recipient(address) is not None


class _LMTPController(Controller):
    def factory(self) -> LMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


def controller_make(*, host: str, port: int, lmtp: bool = False) -> Controller:
    """A listener running in its own thread (``start()``/``stop()``)."""
    handler = DeliveryHandler(lmtp=lmtp)
    # Larger than the quarantine limit: a too-large mail is kept and its sender told,
    # rather than refused at the door.
    limit = settings.MAIL_MAX_BYTES * 2
    cls = _LMTPController if lmtp else Controller
    return cls(handler, hostname=host, port=port, data_size_limit=limit)

"""Fixtures for the mail stories: a support mailbox, a way to deliver a mail, real servers."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest

from frontdesk.mail import pipeline
from frontdesk.mail.models import InboundMail, InboundSource, Mailbox


@pytest.fixture
def mailbox(people) -> Mailbox:
    box = Mailbox(
        address="support@example.com",
        name="Example Support",
        from_name="Example Support",
        team=people["l1"],
        signature="The Example support team",
    )
    box.save()
    return box


def mail_build(
    *,
    sender: str = "Dana Scully <dana@example.com>",
    to: str = "support@example.com",
    subject: str = "Printer is on fire",
    body: str = "Hello, the printer on floor 3 is on fire.",
    html: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
    message_id: str | None = None,
) -> bytes:
    """A realistic mail as bytes (what a server would hand us)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = message_id or make_msgid(domain="mail.example.com")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for filename, content, ctype in attachments or []:
        maintype, _slash, subtype = ctype.partition("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg)


@pytest.fixture
def deliver(mailbox, django_capture_on_commit_callbacks) -> Callable[..., InboundMail]:
    """Deliver one mail through the whole pipeline, jobs and side effects included."""

    def run(raw: bytes | None = None, *, box: Mailbox | None = None, **fields: object):
        raw = raw if raw is not None else mail_build(**fields)  # type: ignore[arg-type]
        with django_capture_on_commit_callbacks(execute=True):
            inbound, _created = pipeline.ingest_raw(
                raw, mailbox=box or mailbox, source=InboundSource.SMTP
            )
        inbound.refresh_from_db()
        return inbound

    return run

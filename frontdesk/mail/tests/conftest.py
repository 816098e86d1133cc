"""Fixtures for the mail stories: a support mailbox, a way to deliver a mail, real servers."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

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
    cc: str | None = None,
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
    if cc:
        msg["Cc"] = cc
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


# --- real servers -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dovecot():
    """A real Dovecot IMAP server for the whole session."""
    from frontdesk.mail.tests.servers import DOVECOT, dovecot_start

    if not Path(DOVECOT).exists():
        pytest.skip("dovecot is not installed")
    server = dovecot_start()
    yield server
    server.stop()


@pytest.fixture
def imap_mailbox(dovecot, people) -> Mailbox:
    """A mailbox polling its own fresh account on the Dovecot server."""
    user = dovecot.account()
    box = Mailbox(
        address="support@example.com",
        name="Example Support",
        team=people["l1"],
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_ssl=False,
        username=user,
    )
    box.password = dovecot.users[user]
    box.save()
    return box


def imap_append(box: Mailbox, *raws: bytes, folder: str = "INBOX") -> None:
    from frontdesk.mail.imap import mailbox_connect

    with mailbox_connect(box) as client:
        for raw in raws:
            client.append(raw, folder)


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) that Django's SMTP backend delivers to."""
    from frontdesk.mail.tests.servers import smtp_start

    controller, handler = smtp_start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield handler
    controller.stop()


@pytest.fixture(autouse=True)
def _our_mta(settings):
    """In these stories our MTA is mx.example.com: only its Authentication-Results count."""
    settings.MAIL_AUTHSERV_ID = "mx.example.com"


@pytest.fixture(autouse=True)
def _fresh_address_cache():
    """Each test starts from its own mailboxes (test databases roll back without signals)."""
    pipeline.own_addresses_forget()
    yield
    pipeline.own_addresses_forget()

"""The other ways in (SMTP/LMTP listener, provider webhooks, file import) use the same pipeline."""

from __future__ import annotations

import base64
import mailbox as mbox
import smtplib
import socket
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from frontdesk.mail.models import InboundMail, InboundSource, InboundState, Mailbox
from frontdesk.mail.smtpd import controller_make
from frontdesk.mail.tests.conftest import mail_build
from frontdesk.mail.tests.servers import free_port
from frontdesk.tickets.models import Message, Ticket


@pytest.fixture
def listener(db):
    controller = controller_make(host="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def lmtp_listener(db):
    controller = controller_make(host="127.0.0.1", port=free_port(), lmtp=True)
    controller.start()
    yield controller
    controller.stop()


@pytest.mark.django_db(transaction=True)
def test_postfix_delivers_over_smtp_and_a_ticket_appears(people, mailbox, listener):
    raw = mail_build(to="support+whatever@example.com")
    with smtplib.SMTP(listener.hostname, listener.port) as client:
        refused = client.sendmail("dana@example.com", ["support+whatever@example.com"], raw)

    assert refused == {}
    inbound = InboundMail.objects.get()
    assert inbound.source == InboundSource.SMTP
    assert inbound.mailbox == mailbox
    assert inbound.state == InboundState.PARSED
    assert Ticket.objects.get().subject == "Printer is on fire"


@pytest.mark.django_db(transaction=True)
def test_listener_refuses_addresses_that_are_not_ours(people, mailbox, listener):
    with (
        smtplib.SMTP(listener.hostname, listener.port) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        client.sendmail("dana@example.com", ["someone@elsewhere.example"], mail_build())
    assert not InboundMail.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_lmtp_answers_per_recipient(people, mailbox, lmtp_listener):
    Mailbox.objects.create(address="sales@example.com")
    raw = mail_build(to="support@example.com, sales@example.com")
    # smtplib reads one answer after DATA; LMTP gives one per recipient, so talk it directly.
    with socket.create_connection((lmtp_listener.hostname, lmtp_listener.port)) as sock:
        reader = sock.makefile("rb")
        reader.readline()
        sock.sendall(b"LHLO test\r\n")
        while not reader.readline().startswith(b"250 "):
            pass
        for command in (
            b"MAIL FROM:<dana@example.com>",
            b"RCPT TO:<support@example.com>",
            b"RCPT TO:<sales@example.com>",
            b"DATA",
        ):
            sock.sendall(command + b"\r\n")
            reader.readline()
        sock.sendall(raw.replace(b"\n.", b"\n..") + b"\r\n.\r\n")
        answers = [reader.readline(), reader.readline()]
        sock.sendall(b"QUIT\r\n")

    assert all(a.startswith(b"250") for a in answers), answers
    assert sorted(InboundMail.objects.values_list("mailbox__address", flat=True)) == [
        "sales@example.com",
        "support@example.com",
    ]
    # One ticket per mailbox (each is its own way in), never two per mailbox.
    assert Ticket.objects.count() == 2


def test_mbox_and_eml_files_import_once(
    people, mailbox, tmp_path, django_capture_on_commit_callbacks
):
    box = mbox.mbox(str(tmp_path / "archive.mbox"))
    box.add(mail_build(subject="From the archive 1"))
    box.add(mail_build(subject="From the archive 2"))
    box.flush()
    eml = tmp_path / "single.eml"
    eml.write_bytes(mail_build(subject="Single file"))
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "mail_import",
            "--mailbox",
            "support@example.com",
            str(tmp_path / "archive.mbox"),
            str(eml),
            stdout=out,
        )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("mail_import", str(eml), "--mailbox", "support@example.com", stdout=StringIO())

    assert out.getvalue().startswith("3 new mails")
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "From the archive 1",
        "From the archive 2",
        "Single file",
    ]
    assert InboundMail.objects.filter(source=InboundSource.FILE).count() == 3


def _basic(secret: str) -> str:
    return "Basic " + base64.b64encode(secret.encode()).decode()


def test_sendgrid_inbound_webhook_stores_the_raw_mail(
    people, mailbox, client, settings, django_capture_on_commit_callbacks
):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    raw = mail_build(subject="Via SendGrid")
    url = reverse("mail:anymail_sendgrid_inbound")

    refused = client.post(
        url,
        {"email": raw.decode(), "to": "support@example.com"},
        HTTP_AUTHORIZATION=_basic("hook:wrong"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(
            url,
            {"email": raw.decode(), "to": "support@example.com", "charsets": "{}"},
            HTTP_AUTHORIZATION=_basic("hook:s3cret"),
        )

    assert refused.status_code == 400
    assert accepted.status_code == 200
    inbound = InboundMail.objects.get()
    assert inbound.source == InboundSource.WEBHOOK and inbound.mailbox == mailbox
    assert Message.objects.get().ticket.subject == "Via SendGrid"


def test_webhooks_do_not_exist_until_a_secret_is_configured(people, client, settings):
    settings.ANYMAIL = {}
    response = client.post(reverse("mail:anymail_postmark_inbound"), {})
    assert response.status_code == 404


def test_mailgun_inbound_webhook_checks_its_signature_and_stores_the_raw_mail(
    people, mailbox, client, settings, django_capture_on_commit_callbacks
):
    import hashlib
    import hmac

    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret", "MAILGUN_WEBHOOK_SIGNING_KEY": "mg-key"}
    raw = mail_build(subject="Via Mailgun")
    timestamp, token = "1765000000", "a" * 50
    good = hmac.new(b"mg-key", f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    form = {
        "body-mime": raw.decode(),
        "recipient": "support+whatever@example.com",
        "timestamp": timestamp,
        "token": token,
    }

    forged = client.post(
        "/mail/anymail/mailgun/inbound_mime/",
        {**form, "signature": "0" * 64},
        HTTP_AUTHORIZATION=_basic("hook:s3cret"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(
            "/mail/anymail/mailgun/inbound_mime/",
            {**form, "signature": good},
            HTTP_AUTHORIZATION=_basic("hook:s3cret"),
        )

    assert forged.status_code == 400
    assert accepted.status_code == 200
    inbound = InboundMail.objects.get()
    assert inbound.source == InboundSource.WEBHOOK and inbound.mailbox == mailbox
    assert Message.objects.get().ticket.subject == "Via Mailgun"


def test_postmark_inbound_webhook_stores_the_raw_mail(
    people, mailbox, client, settings, django_capture_on_commit_callbacks
):
    import json

    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    raw = mail_build(subject="Via Postmark")
    payload = {
        "FromFull": {"Email": "dana@example.com", "Name": "Dana Scully"},
        "ToFull": [{"Email": "support@example.com", "Name": ""}],
        "Headers": [],
        "RawEmail": raw.decode(),
        "Subject": "Via Postmark",
    }

    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(
            reverse("mail:anymail_postmark_inbound"),
            json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=_basic("hook:s3cret"),
        )
    anonymous = client.post(
        reverse("mail:anymail_postmark_inbound"),
        json.dumps(payload),
        content_type="application/json",
    )

    assert accepted.status_code == 200
    assert anonymous.status_code == 400
    inbound = InboundMail.objects.get()
    assert inbound.source == InboundSource.WEBHOOK and inbound.mailbox == mailbox
    assert Message.objects.get().ticket.subject == "Via Postmark"

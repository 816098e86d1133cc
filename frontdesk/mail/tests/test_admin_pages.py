"""Ada sets up mailboxes and looks after failed mail; agents see each mail's story."""

from __future__ import annotations

import pytest
from django.core import mail as django_mail
from django.urls import reverse

from frontdesk.mail import pipeline
from frontdesk.mail.crypto import SecretUnreadable
from frontdesk.mail.models import InboundState, Mailbox, OutboundState
from frontdesk.mail.selectors import mail_health, message_mail_extras
from frontdesk.mail.tests.conftest import mail_build
from frontdesk.tickets.services import message_add


def test_admin_adds_a_mailbox_and_the_password_never_comes_back(client, people, dovecot):
    user = dovecot.account()
    client.force_login(people["ada"])
    form = {
        "address": "Help@Example.com",
        "name": "Help",
        "team": people["l1"].pk,
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.port,
        "username": user,
        "password": "secret-imap",
        "folder": "INBOX",
        "after_import": "seen",
        "active": "on",
        "acknowledge": "on",
    }

    response = client.post(reverse("mail:mailbox_new"), form)

    assert response.status_code == 302
    box = Mailbox.objects.get()
    assert box.address == "help@example.com"
    assert "secret-imap" not in box.password_encrypted
    assert box.password == "secret-imap"
    page = client.get(reverse("mail:mailbox_edit", args=[box.pk])).content.decode()
    assert "secret-imap" not in page and box.password_encrypted not in page
    # Saving without a password keeps the stored one.
    client.post(reverse("mail:mailbox_edit", args=[box.pk]), {**form, "password": ""})
    box.refresh_from_db()
    assert box.password == "secret-imap"
    tested = client.post(reverse("mail:mailbox_test", args=[box.pk]), follow=True)
    assert "Connected. 0 mails in INBOX." in tested.content.decode()
    assert "Mailboxes" in client.get(reverse("desk:settings")).content.decode()


def test_password_survives_key_rotation_and_fails_loudly_without_its_key(settings, db):
    settings.ENCRYPTION_KEYS = ["old-key"]
    box = Mailbox(address="a@example.com")
    box.password = "pw"
    settings.ENCRYPTION_KEYS = ["new-key", "old-key"]
    assert box.password == "pw"
    settings.ENCRYPTION_KEYS = ["new-key"]
    with pytest.raises(SecretUnreadable):
        _ = box.password


def test_dead_letter_is_listed_downloadable_and_imports_again_after_a_fix(
    client, people, deliver, django_capture_on_commit_callbacks
):
    def bug(point: str) -> None:
        if point == "parsed":
            raise RuntimeError("parser bug 42")

    pipeline.fault_hook = bug
    raw = mail_build(subject="Blocked by a bug")
    try:
        dead = deliver(raw)
    finally:
        pipeline.fault_hook = None
    assert dead.state == InboundState.DEAD
    assert mail_health()["mail_dead_letters"] == 1
    client.force_login(people["ada"])

    listing = client.get(reverse("mail:inbound_list") + "?state=dead").content.decode()
    original = client.get(reverse("mail:inbound_raw", args=[dead.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mail:inbound_rerun", args=[dead.pk]))

    assert "parser bug 42" in listing and "Blocked by a bug" in listing
    assert b"".join(original.streaming_content if original.streaming else [original.content]) == raw
    dead.refresh_from_db()
    assert dead.state == InboundState.PARSED
    assert dead.ticket_message.ticket.subject == "Blocked by a bug"
    assert mail_health()["mail_dead_letters"] == 0


def test_flood_is_held_and_an_admin_can_release_it(client, people, deliver, settings):
    settings.MAIL_SENDER_RATE_PER_HOUR = 2
    results = [deliver(subject=f"Spam {i}") for i in range(4)]

    assert [r.state for r in results] == ["parsed", "parsed", "held", "held"]
    client.force_login(people["ada"])
    client.post(reverse("mail:inbound_rerun", args=[results[2].pk]))
    results[2].refresh_from_db()
    assert results[2].state == InboundState.PARSED


def test_agent_sees_delivery_state_sender_warning_and_the_original(
    client, people, deliver, django_capture_on_commit_callbacks, django_assert_num_queries
):
    inbound = deliver(
        headers={
            "Authentication-Results": "mx.example.com; dkim=none; dmarc=fail header.from=x.com"
        }
    )
    ticket = inbound.ticket_message.ticket
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_add(ticket=ticket, author=people["alice"], body_text="On it.")
    client.force_login(people["alice"])

    page = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    original = client.get(reverse("mail:message_original", args=[inbound.ticket_message.pk]))

    assert "dmarc=fail" in page
    assert "Mail sent" in page
    assert "Show original" in page
    assert original.status_code == 200 and b"Printer is on fire" in original.content
    client.force_login(people["carol"])
    assert (
        client.get(reverse("mail:message_original", args=[inbound.ticket_message.pk])).status_code
        == 404
    )
    messages = list(ticket.messages.prefetch_related("attachments"))
    with django_assert_num_queries(1):
        extras = message_mail_extras(messages, people["alice"])
    assert extras[reply.pk]["outbound"].state == OutboundState.SENT
    assert extras[inbound.ticket_message.pk]["dmarc_fail"]
    assert len(django_mail.outbox) == 2  # the acknowledgement and the reply


def test_inline_images_are_shown_in_place_and_the_quote_is_folded(client, people, deliver):
    """An HTML mail with a pasted screenshot (cid:) and a quoted history, as Alice sees it."""
    from email.message import EmailMessage

    png = b"\x89PNG\r\n\x1a\n" + b"2" * 80
    msg = EmailMessage()
    msg["From"] = "Dana Scully <dana@example.com>"
    msg["To"] = "support@example.com"
    msg["Subject"] = "Look at this"
    msg["Message-ID"] = "<cid-story@mail.example.com>"
    msg.set_content("See the screenshot.")
    msg.add_alternative(
        '<p>See the screenshot: <img src="cid:shot1@mail.example.com" alt="screen"></p>'
        '<div class="gmail_quote">On Monday Support wrote:<blockquote>Old text</blockquote></div>',
        subtype="html",
    )
    msg.get_payload()[1].add_related(
        png, maintype="image", subtype="png", cid="<shot1@mail.example.com>", filename="s.png"
    )
    message = deliver(bytes(msg)).ticket_message
    client.force_login(people["alice"])

    page = client.get(reverse("desk:ticket", args=[message.ticket.number])).content.decode()
    attachment = message.attachments.get()
    url = reverse("attachment", args=[attachment.pk, attachment.filename])
    image = client.get(url)

    # The image stays where the customer put it; the page maps its cid to the stored file.
    assert 'src="cid:shot1@mail.example.com"' in page
    assert f'data-mail-cids="shot1@mail.example.com {url}"' in page
    assert image.status_code == 200
    assert b"".join(image.streaming_content if image.streaming else [image.content]) == png
    # The new part first; the quoted history folded under "Show quoted text", kept.
    assert "Show quoted text" in page and "Old text" in page

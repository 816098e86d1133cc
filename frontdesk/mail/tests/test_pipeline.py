"""Mail in: a customer writes to support and a ticket appears; replies join it."""

from __future__ import annotations

from django.core import mail as django_mail

from frontdesk.mail import pipeline
from frontdesk.mail.models import InboundMail, InboundSource, InboundState, Mailbox
from frontdesk.mail.tests.conftest import mail_build
from frontdesk.tickets.models import Channel, Message, MessageKind, Ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def test_customer_mail_opens_a_ticket_for_the_mailbox_team(people, deliver):
    inbound = deliver(attachments=[("shot.png", PNG, "image/png")])

    assert inbound.state == InboundState.PARSED
    message = inbound.ticket_message
    ticket = message.ticket
    assert ticket.subject == "Printer is on fire"
    assert ticket.requester == people["dana"]
    assert ticket.team == people["l1"]
    assert ticket.channel == Channel.EMAIL
    assert message.body_text.startswith("Hello, the printer on floor 3")
    assert [a.filename for a in message.attachments.all()] == ["shot.png"]
    assert message.external_id == inbound.message_id


def test_new_ticket_by_mail_is_acknowledged_in_the_thread(people, deliver):
    inbound = deliver()

    assert len(django_mail.outbox) == 1
    ack = django_mail.outbox[0]
    assert ack.to == ["dana@example.com"]
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"
    assert ack.extra_headers["In-Reply-To"] == f"<{inbound.message_id}>"
    number = inbound.ticket_message.ticket.number
    assert f"[#{number}]" in ack.subject


def test_unknown_sender_becomes_a_customer_of_the_organization_of_their_domain(people, deliver):
    from frontdesk.customers.models import OrganizationDomain

    OrganizationDomain.objects.create(organization=people["acme"], domain="acme.example")
    inbound = deliver(sender="Newcomer Person <New.Comer@ACME.example>")

    author = inbound.ticket_message.author
    assert author.email == "new.comer@acme.example"
    assert author.organization == people["acme"]
    assert not author.is_agent


def test_same_mail_delivered_twice_is_one_message(people, deliver):
    raw = mail_build()
    first = deliver(raw)
    second = deliver(raw)

    assert first.pk == second.pk
    assert InboundMail.objects.count() == 1
    assert Message.objects.filter(external_id=first.message_id).count() == 1


def test_mail_without_message_id_is_still_delivered_once(people, deliver):
    raw = mail_build().replace(b"Message-ID:", b"X-Old-Id:")
    first = deliver(raw)
    deliver(raw)

    assert first.message_id.startswith("sha256-")
    assert Ticket.objects.count() == 1


def test_reply_to_our_acknowledgement_joins_the_ticket(people, deliver):
    first = deliver()
    ack = django_mail.outbox[0]
    reply_to = ack.reply_to[0]
    assert reply_to.startswith("support+")

    reply = deliver(
        subject="Re: " + ack.subject,
        to=reply_to,
        body="It is still burning.\n\nOn Monday Support wrote:\n> We have received your request",
        headers={"In-Reply-To": ack.extra_headers["Message-ID"]},
    )

    assert reply.reason == "token"
    assert reply.ticket_message.ticket == first.ticket_message.ticket
    assert reply.ticket_message.metadata["reply_html"] == "<p>It is still burning.</p>"
    assert "We have received" in reply.ticket_message.body_text


def test_html_only_mail_keeps_formatting_and_gets_a_text_version(people, deliver):
    raw = (
        b"From: dana@example.com\r\nTo: support@example.com\r\nSubject: Formatting\r\n"
        b"Message-ID: <html-only@example.com>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Hello <b>bold</b> <script>alert(1)</script></p><p>Second</p>"
    )
    message = deliver(raw).ticket_message

    assert "<b>bold</b>" in message.body_html
    assert "script" not in message.body_html
    assert message.body_text.startswith("Hello bold")


def test_refused_attachment_is_dropped_but_the_mail_is_kept(people, deliver):
    inbound = deliver(
        attachments=[
            ("setup.exe", b"MZ...", "application/octet-stream"),
            ("ok.png", PNG, "image/png"),
        ]
    )

    message = inbound.ticket_message
    assert [a.filename for a in message.attachments.all()] == ["ok.png"]
    assert message.metadata["mail"]["refused_files"][0]["name"] == "setup.exe"


def test_unparseable_mail_is_a_dead_letter_with_its_error(people, deliver):
    inbound = deliver(b"Subject: no sender at all\r\n\r\nbody")

    assert inbound.state == InboundState.DEAD
    assert "sender" in inbound.error
    assert Ticket.objects.count() == 0


def test_oversized_mail_is_quarantined_and_the_sender_told(people, deliver, settings):
    settings.MAIL_MAX_BYTES = 2000
    inbound = deliver(body="x" * 5000)

    assert inbound.state == InboundState.QUARANTINED
    assert Ticket.objects.count() == 0
    assert len(django_mail.outbox) == 1
    notice = django_mail.outbox[0]
    assert notice.to == ["dana@example.com"]
    assert notice.extra_headers["Auto-Submitted"] == "auto-replied"


def test_a_flood_of_oversized_mail_tells_each_sender_once_an_hour(people, deliver, settings):
    settings.MAIL_MAX_BYTES = 2000

    kept = [deliver(body=f"{i} " + "x" * 5000) for i in range(5)]
    deliver(sender="erik@example.org", body="y" * 5000)

    assert {k.state for k in kept} == {InboundState.QUARANTINED}
    assert sorted(m.to[0] for m in django_mail.outbox) == ["dana@example.com", "erik@example.org"]


def test_mail_to_an_unknown_mailbox_is_still_kept(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        inbound, created = pipeline.ingest_raw(
            mail_build(), mailbox=None, source=InboundSource.FILE
        )
    inbound.refresh_from_db()
    assert created and inbound.state == InboundState.PARSED
    assert inbound.ticket_message.ticket.team is None
    assert not Mailbox.objects.exists()


def test_agent_mail_on_a_ticket_is_a_held_note_never_sent_to_the_customer(
    people, deliver, make_ticket
):
    ticket = make_ticket()
    django_mail.outbox.clear()
    inbound = deliver(
        sender="alice@example.com",
        subject=f"Re: Printer on fire [#{ticket.number}]",
        headers={"Authentication-Results": "mx.example.com; dmarc=pass header.from=example.com"},
    )

    message = inbound.ticket_message
    assert message.ticket == ticket
    assert message.kind == MessageKind.NOTE
    assert message.metadata["held"] is True
    assert django_mail.outbox == []


def test_a_colleague_copied_on_a_reply_stays_on_the_thread(
    people, deliver, django_capture_on_commit_callbacks
):
    from frontdesk.tickets.services import message_add

    first = deliver()
    ticket = first.ticket_message.ticket

    deliver(
        subject="Re: Printer is on fire",
        body="Adding Dan, he sits next to it.",
        cc="Dan Acme <dan@acme.example>, Alice Agent <alice@example.com>",
        headers={"In-Reply-To": f"<{first.message_id}>"},
    )
    django_mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        message_add(ticket=ticket, author=people["alice"], body_text="We are on it.")

    assert [u.email for u in ticket.cc.all()] == ["dan@acme.example"]
    assert [(m.to, m.cc) for m in django_mail.outbox] == [
        (["dana@example.com"], ["dan@acme.example"])
    ]


def test_an_outsiders_copies_join_no_ticket(people, deliver):
    first = deliver()

    outsider = deliver(
        sender="Erik Lind <erik@example.org>",
        subject="Re: Printer is on fire",
        cc="Mallory <mallory@evil.example>",
        headers={"In-Reply-To": f"<{first.message_id}>"},
    )

    assert outsider.ticket_message.ticket != first.ticket_message.ticket
    assert list(first.ticket_message.ticket.cc.all()) == []


def test_calendar_invitation_says_what_and_when_and_keeps_the_ics(people, deliver):
    ics = (
        "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Printer walkthrough\r\n"
        "DTSTART:20261208T140000Z\r\nLOCATION:Floor 3\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    raw = mail_build(
        subject="Invitation", attachments=[("invite.ics", ics.encode(), "text/calendar")]
    )

    message = deliver(raw).ticket_message

    assert "Printer walkthrough · 2026-12-08 14:00 UTC · Floor 3" in message.body_text
    assert [a.filename for a in message.attachments.all()] == ["invite.ics"]
    assert message.metadata["mail"]["calendar"].startswith("Printer walkthrough")


def test_signed_mail_shows_its_text_and_is_marked_signed(people, deliver):
    raw = (
        b"From: Dana Scully <dana@example.com>\r\nTo: support@example.com\r\n"
        b"Subject: Signed request\r\nMessage-ID: <signed-1@mail.example.com>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature";'
        b' boundary="S"\r\n\r\n--S\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
        b"Please reset my token.\r\n--S\r\n"
        b"Content-Type: application/pgp-signature; name=sig.asc\r\n"
        b"\r\n-----BEGIN PGP SIGNATURE-----\r\nabc\r\n-----END PGP SIGNATURE-----\r\n--S--\r\n"
    )

    message = deliver(raw).ticket_message

    assert message.body_text == "Please reset my token."
    assert message.metadata["mail"]["signed"] is True
    assert not message.attachments.exists()


def test_a_mail_delivered_twice_is_stored_once_whole_with_nothing_left_beside_it(mailbox):
    from pathlib import Path

    from django.core.files.storage import default_storage

    raw = mail_build(body="Twice, the same bytes.")
    first, created = pipeline.ingest_raw(raw, mailbox=mailbox, source=InboundSource.SMTP)
    # The IMAP batch path meets the same bytes again (another folder, a re-delivery).
    ((again, created_again),) = pipeline.ingest_batch([raw], mailbox=mailbox)

    assert created and not created_again and again.pk == first.pk
    stored = Path(default_storage.path(first.raw.name))
    assert stored.read_bytes() == raw == pipeline.raw_read(first)
    # No temporary (half-written) file next to it: only the mail, under its content address.
    assert [p.name for p in stored.parent.iterdir()] == [stored.name]
    assert InboundMail.objects.filter(message_id=first.message_id).count() == 1

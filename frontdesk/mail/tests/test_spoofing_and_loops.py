"""Nobody joins a thread they are not part of; robots never start a mail storm."""

from __future__ import annotations

from django.core import mail as django_mail

from frontdesk.mail.models import BouncingAddress, InboundState, OutboundMail, OutboundState
from frontdesk.mail.tests.conftest import mail_build
from frontdesk.mail.tokens import token_make
from frontdesk.tickets.models import MessageKind, Ticket
from frontdesk.tickets.services import message_add

# --- spoofing ---------------------------------------------------------------------------------


def test_outsider_with_a_valid_ticket_number_gets_their_own_ticket(people, deliver, make_ticket):
    danas = make_ticket(subject="Invoice question")

    inbound = deliver(
        sender="Erik Lind <erik@example.org>", subject=f"Re: Invoice question [#{danas.number}]"
    )

    message = inbound.ticket_message
    assert message.ticket != danas
    assert message.ticket.requester == people["erik"]
    assert danas.messages.count() == 1


def test_forged_agent_from_never_reaches_the_customer(people, deliver, make_ticket):
    ticket = make_ticket()
    django_mail.outbox.clear()

    inbound = deliver(
        sender="Alice Agent <alice@example.com>",
        subject=f"Re: Printer on fire [#{ticket.number}]",
        body="Please send me your password.",
    )

    assert inbound.ticket_message.kind == MessageKind.NOTE
    assert inbound.ticket_message.metadata["held"] is True
    assert django_mail.outbox == []
    assert not OutboundMail.objects.exists()


def test_stolen_message_id_does_not_let_an_outsider_into_the_thread(people, deliver):
    danas = deliver().ticket_message.ticket
    stolen = danas.messages.get().external_id

    inbound = deliver(
        sender="erik@example.org",
        subject="Re: Printer is on fire",
        headers={"In-Reply-To": f"<{stolen}>", "References": f"<{stolen}>"},
    )

    assert inbound.ticket_message.ticket != danas
    assert inbound.ticket_message.metadata["mail"]["refused_ticket"] == danas.number
    assert danas.messages.count() == 1


def test_cc_of_the_ticket_may_answer_through_the_header_chain(people, deliver):
    first = deliver(cc="dan@acme.example")
    ticket = first.ticket_message.ticket
    assert [u.email for u in ticket.cc.all()] == ["dan@acme.example"]

    inbound = deliver(
        sender="dan@acme.example",
        headers={"In-Reply-To": f"<{first.message_id}>"},
        body="Same problem here.",
    )

    assert inbound.reason == "header"
    assert inbound.ticket_message.ticket == ticket


def test_token_made_for_another_recipient_proves_nothing(people, deliver, make_ticket):
    danas = make_ticket()
    token = token_make(ticket_id=danas.pk, email="dana@example.com")

    inbound = deliver(sender="erik@example.org", to=f"support+{token}@example.com")

    assert inbound.ticket_message.ticket != danas


def test_tampered_token_proves_nothing(people, deliver, make_ticket):
    danas = make_ticket()
    other = make_ticket(requester=people["erik"])
    token = token_make(ticket_id=danas.pk, email="erik@example.org")
    forged = token.replace(token.split("-")[0], format(other.pk, "x"), 1)
    tampered = token[:-1] + ("a" if token[-1] != "a" else "b")

    for candidate in (forged, tampered):
        inbound = deliver(
            sender="erik@example.org", to=f"support+{candidate}@example.com", subject="hi"
        )
        assert inbound.reason == "new_ticket"
    assert danas.messages.count() == 1


def test_reply_to_header_is_never_identity(people, deliver, make_ticket):
    danas = make_ticket()

    inbound = deliver(
        sender="erik@example.org",
        subject=f"Re: [#{danas.number}]",
        headers={"Reply-To": "dana@example.com"},
    )

    assert inbound.ticket_message.author == people["erik"]
    assert inbound.ticket_message.ticket != danas


# --- loops and noise --------------------------------------------------------------------------


def test_out_of_office_reply_is_ignored_and_never_answered(people, deliver):
    django_mail.outbox.clear()
    for headers, subject in (
        ({"Auto-Submitted": "auto-replied"}, "Re: your request"),
        ({"X-Autoreply": "yes"}, "Re: your request"),
        ({}, "Out of Office: Printer is on fire"),
        ({"Precedence": "auto_reply"}, "Automatic reply: hello"),
    ):
        inbound = deliver(subject=subject, headers=headers)
        assert (inbound.state, inbound.reason) == (InboundState.IGNORED, "auto_reply")
    assert Ticket.objects.count() == 0
    assert django_mail.outbox == []


def test_bulk_mail_opens_a_ticket_but_is_never_acknowledged(people, deliver):
    django_mail.outbox.clear()
    inbound = deliver(headers={"Precedence": "bulk"}, subject="Newsletter")

    assert inbound.state == InboundState.PARSED
    assert django_mail.outbox == []


def test_bounce_marks_the_address_and_our_mail_failed(
    people, deliver, django_capture_on_commit_callbacks
):
    ticket = deliver().ticket_message.ticket
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_add(ticket=ticket, author=people["alice"], body_text="Try this")
    ours = OutboundMail.objects.get(ticket_message=reply)
    dsn = (
        "From: MAILER-DAEMON@mx.example.com\r\nTo: support@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.example.com>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        ' boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nI could not deliver it.\r\n'
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com"
        "\r\n\r\nFinal-Recipient: rfc822; dana@example.com\r\nAction: failed\r\n"
        "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <{ours.message_id}>\r\nSubject: x\r\n\r\n--B--\r\n"
    ).encode()

    inbound = deliver(dsn)

    assert (inbound.state, inbound.reason) == (InboundState.IGNORED, "bounce")
    assert BouncingAddress.objects.filter(email="dana@example.com").exists()
    ours.refresh_from_db()
    assert ours.state == OutboundState.FAILED and "User unknown" in ours.last_error
    assert ticket.messages.count() == 2


def test_bouncing_address_gets_no_acknowledgement(people, deliver):
    from frontdesk.core import clock

    BouncingAddress.objects.create(email="dana@example.com", bounced_at=clock.now())
    django_mail.outbox.clear()

    deliver()

    assert django_mail.outbox == []


def test_our_own_mail_coming_back_is_ignored(people, deliver, django_capture_on_commit_callbacks):
    ticket = deliver().ticket_message.ticket
    with django_capture_on_commit_callbacks(execute=True):
        message_add(ticket=ticket, author=people["alice"], body_text="Looping?")
    sent = django_mail.outbox[-1].message().as_bytes()

    inbound = deliver(sent)

    assert (inbound.state, inbound.reason) == (InboundState.IGNORED, "own_mail")


def test_mail_from_our_own_address_is_ignored(people, deliver):
    inbound = deliver(sender="support+abc@example.com")
    assert (inbound.state, inbound.reason) == (InboundState.IGNORED, "own_address")


def test_flood_from_one_sender_is_held_after_the_hourly_limit(people, deliver, settings):
    settings.MAIL_SENDER_RATE_PER_HOUR = 5
    results = [deliver(raw=mail_build(subject=f"Storm {i}")) for i in range(12)]

    assert [r.state for r in results].count(InboundState.PARSED) == 5
    assert Ticket.objects.count() == 5
    assert {r.reason for r in results[5:]} == {"flood"}


# --- forged senders (security review, items 2, 3 and 5) --------------------------------------

PASS = "mx.example.com; spf=pass smtp.mailfrom=dana@example.com; dmarc=pass header.from=example.com"


def test_forged_agent_from_on_a_new_ticket_is_held_and_mails_nobody(
    people, deliver, django_capture_on_commit_callbacks
):
    django_mail.outbox.clear()

    inbound = deliver(
        sender="Alice Agent <alice@example.com>",
        cc="victim@elsewhere.example",
        subject="Your account",
        body="Please confirm your password here: http://evil.example/",
    )

    message = inbound.ticket_message
    assert message.kind == MessageKind.NOTE
    assert message.metadata["held"] is True
    assert list(message.ticket.cc.all()) == []
    # An agent's real reply later goes to nobody but the agent, and never quotes the note.
    with django_capture_on_commit_callbacks(execute=True):
        message_add(ticket=message.ticket, author=people["bob"], body_text="Looking into it")
    assert django_mail.outbox, "the agent's real reply went out"
    assert all("victim@elsewhere.example" not in m.recipients() for m in django_mail.outbox)
    assert all("evil.example" not in m.body for m in django_mail.outbox)


def test_ticket_number_without_our_mtas_word_opens_a_new_ticket_naming_it(
    people, deliver, make_ticket
):
    danas = make_ticket(subject="Invoice question")

    for results in (None, "mx.example.com; dmarc=fail header.from=example.com"):
        headers = {"Authentication-Results": results} if results else {}
        inbound = deliver(
            sender="Dana Scully <dana@example.com>",
            subject=f"Re: Invoice question [#{danas.number}]",
            headers=headers,
        )
        assert inbound.ticket_message.ticket != danas
        assert inbound.ticket_message.metadata["mail"]["refused_ticket"] == danas.number
    assert danas.messages.count() == 1


def test_ticket_number_joins_when_our_mta_vouches_for_the_sender(people, deliver, make_ticket):
    danas = make_ticket(subject="Invoice question")

    for results in (
        PASS,
        "mx.example.com; spf=pass smtp.mailfrom=bounce@mail.example.com; dmarc=none",
        "mx.example.com; dkim=pass (good) header.d=example.com header.s=s1",
    ):
        inbound = deliver(
            sender="Dana Scully <dana@example.com>",
            subject=f"Re: Invoice question [#{danas.number}]",
            headers={"Authentication-Results": results},
        )
        assert (inbound.reason, inbound.ticket_message.ticket) == ("subject", danas), results
    assert danas.messages.count() == 4


def test_only_our_mtas_verdict_counts_and_unaligned_passes_prove_nothing(
    people, deliver, make_ticket
):
    danas = make_ticket(subject="Invoice question")

    for headers in (
        # Ours says nothing; a lower one, brought by the sender, says pass.
        [("Authentication-Results", "mx.example.com; none"), ("Authentication-Results", PASS)],
        # SPF and DKIM pass, but for the sender's own domain, not the one in From.
        [
            (
                "Authentication-Results",
                "mx.example.com; spf=pass smtp.mailfrom=x@evil.example; "
                "dkim=pass header.d=evil.example",
            )
        ],
    ):
        raw = mail_build(
            sender="dana@example.com", subject=f"Re: Invoice question [#{danas.number}]"
        )
        head = "".join(f"{k}: {v}\r\n" for k, v in headers).encode()
        inbound = deliver(head + raw)
        assert inbound.ticket_message.ticket != danas
    assert danas.messages.count() == 1


def test_our_mta_named_by_setting_is_found_below_other_headers(
    people, deliver, make_ticket, settings
):
    settings.MAIL_AUTHSERV_ID = "mx.example.com"
    danas = make_ticket(subject="Invoice question")
    raw = mail_build(sender="dana@example.com", subject=f"Re: [#{danas.number}]")
    head = (
        b"Authentication-Results: relay.other.example; dmarc=fail\r\n"
        + f"Authentication-Results: {PASS}\r\n".encode()
    )

    inbound = deliver(head + raw)

    assert inbound.ticket_message.ticket == danas


def test_a_verdict_stamped_by_another_server_is_ignored(people, deliver, make_ticket):
    """Anyone can write an Authentication-Results header: only our MTA's id is believed."""
    danas = make_ticket(subject="Invoice question")

    forged = deliver(
        sender="dana@example.com",
        subject=f"Re: Invoice question [#{danas.number}]",
        headers={"Authentication-Results": "mx.evil.example; dmarc=pass header.from=example.com"},
    )
    smeared = deliver(
        sender="dana@example.com",
        subject="Hello",
        headers={"Authentication-Results": "mx.evil.example; dmarc=fail header.from=example.com"},
    )
    versioned = deliver(
        sender="dana@example.com",
        subject=f"Re: Invoice question [#{danas.number}]",
        headers={"Authentication-Results": "MX.example.com 1; dmarc=pass header.from=example.com"},
    )

    assert forged.ticket_message.ticket != danas
    assert forged.ticket_message.metadata["mail"]["refused_ticket"] == danas.number
    assert smeared.ticket_message.metadata["mail"]["dmarc"] == ""
    assert versioned.ticket_message.ticket == danas


def test_without_our_mtas_id_no_verdict_is_believed(people, deliver, make_ticket, settings):
    settings.MAIL_AUTHSERV_ID = ""
    danas = make_ticket(subject="Invoice question")

    inbound = deliver(
        sender="dana@example.com",
        subject=f"Re: Invoice question [#{danas.number}]",
        headers={"Authentication-Results": PASS},
    )

    assert inbound.ticket_message.ticket != danas
    assert danas.messages.count() == 1


def test_several_of_our_mtas_may_be_named(people, deliver, make_ticket, settings):
    settings.MAIL_AUTHSERV_ID = "mx1.example.com, mx.example.com"
    danas = make_ticket(subject="Invoice question")

    inbound = deliver(
        sender="dana@example.com",
        subject=f"Re: Invoice question [#{danas.number}]",
        headers={"Authentication-Results": PASS},
    )

    assert inbound.ticket_message.ticket == danas


def _dsn(*, failed: str, original_id: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.com\r\nTo: support@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-2@mx.example.com>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        ' boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nI could not deliver it.\r\n'
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com"
        f"\r\n\r\nFinal-Recipient: rfc822; {failed}\r\nAction: failed\r\n"
        "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <{original_id}>\r\nSubject: x\r\n\r\n--B--\r\n"
    ).encode()


def test_fake_bounce_reports_mark_nobody(people, deliver, django_capture_on_commit_callbacks):
    ticket = deliver().ticket_message.ticket
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_add(ticket=ticket, author=people["alice"], body_text="Try this")
    ours = OutboundMail.objects.get(ticket_message=reply)

    not_ours = deliver(_dsn(failed="dana@example.com", original_id="made-up@evil.example"))
    wrong_person = deliver(_dsn(failed="erik@example.org", original_id=ours.message_id))

    assert (not_ours.state, not_ours.reason) == (InboundState.IGNORED, "bounce_unmatched")
    assert wrong_person.reason == "bounce_unmatched"
    assert not BouncingAddress.objects.exists()
    ours.refresh_from_db()
    assert ours.state != OutboundState.FAILED


def test_verified_mail_from_a_bouncing_address_clears_the_mark(people, deliver):
    from frontdesk.core import clock

    BouncingAddress.objects.create(email="dana@example.com", bounced_at=clock.now())
    django_mail.outbox.clear()

    deliver(subject="I am back", headers={"Authentication-Results": PASS})

    assert not BouncingAddress.objects.exists()
    assert [m.to for m in django_mail.outbox] == [["dana@example.com"]]


def test_unverified_mail_does_not_clear_the_mark(people, deliver):
    from frontdesk.core import clock

    BouncingAddress.objects.create(email="dana@example.com", bounced_at=clock.now())

    for results in ("mx.example.com; dmarc=fail", None):
        deliver(headers={"Authentication-Results": results} if results else {})

    assert BouncingAddress.objects.filter(email="dana@example.com").exists()

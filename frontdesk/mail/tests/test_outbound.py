"""Mail out through a real SMTP server: agent replies thread in the customer's mail client."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from frontdesk.accounts.services import user_update
from frontdesk.mail.models import OutboundKind, OutboundMail, OutboundState
from frontdesk.tickets.attachments import IncomingFile
from frontdesk.tickets.models import MessageKind
from frontdesk.tickets.services import message_add, ticket_update

PNG = b"\x89PNG\r\n\x1a\n" + b"1" * 64


def _parsed(captured):
    return BytesParser(policy=policy.default).parsebytes(captured.data)


def _reply(people, ticket, capture, **extra):
    with capture(execute=True):
        return message_add(
            ticket=ticket, author=people["alice"], body_text="We are on our way.", **extra
        )


def test_agent_reply_reaches_the_customer_in_the_same_thread(
    people, deliver, smtp_server, django_capture_on_commit_callbacks
):
    inbound = deliver(cc="Dan Acme <dan@acme.example>")
    ticket = inbound.ticket_message.ticket
    smtp_server.messages.clear()

    message = _reply(
        people,
        ticket,
        django_capture_on_commit_callbacks,
        attachments=[IncomingFile(name="map.png", content=PNG)],
    )

    assert len(smtp_server.messages) == 1
    sent = smtp_server.messages[0]
    assert sorted(sent.rcpt_tos) == ["dan@acme.example", "dana@example.com"]
    mail = _parsed(sent)
    outbound = OutboundMail.objects.get(ticket_message=message)
    assert outbound.state == OutboundState.SENT and outbound.sent_at is not None
    assert mail["Message-ID"] == f"<{outbound.message_id}>"
    assert mail["In-Reply-To"] == f"<{inbound.message_id}>"
    assert f"<{inbound.message_id}>" in mail["References"]
    assert mail["From"] == "Example Support <support@example.com>"
    assert mail["Reply-To"].startswith("support+") and mail["Reply-To"].endswith("@example.com")
    assert mail["Auto-Submitted"] is None
    assert f"[#{ticket.number}]" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("We are on our way.")
    assert "The Example support team" in text
    assert f"/portal/requests/{ticket.number}" in text or str(ticket.number) in text
    assert "Hello, the printer on floor 3" in text  # the recent conversation
    assert [p.get_filename() for p in mail.iter_attachments()] == ["map.png"]


def test_customer_answer_to_our_reply_threads_back(
    people, deliver, smtp_server, django_capture_on_commit_callbacks
):
    ticket = deliver().ticket_message.ticket
    smtp_server.messages.clear()
    _reply(people, ticket, django_capture_on_commit_callbacks)
    ours = _parsed(smtp_server.messages[0])

    answer = deliver(
        to=ours["Reply-To"],
        subject="Re: " + ours["Subject"],
        body="Thanks!",
        headers={"In-Reply-To": ours["Message-ID"], "References": ours["Message-ID"]},
    )

    assert answer.reason == "token"
    assert answer.ticket_message.ticket == ticket


def test_reply_to_a_swedish_customer_is_in_swedish(
    people, deliver, smtp_server, django_capture_on_commit_callbacks
):
    ticket = deliver(sender="Erik Lind <erik@example.org>").ticket_message.ticket
    ack = _parsed(smtp_server.messages[0])
    assert ack["Content-Language"] == "sv"
    smtp_server.messages.clear()

    _reply(people, ticket, django_capture_on_commit_callbacks)

    mail = _parsed(smtp_server.messages[0])
    assert mail["Content-Language"] == "sv"
    # The mail's wording comes from the Swedish catalog (translated with the release).


def test_internal_notes_are_never_mailed(
    people, deliver, smtp_server, django_capture_on_commit_callbacks
):
    ticket = deliver().ticket_message.ticket
    smtp_server.messages.clear()

    _reply(people, ticket, django_capture_on_commit_callbacks, kind=MessageKind.NOTE)

    assert smtp_server.messages == []
    assert not OutboundMail.objects.filter(kind=OutboundKind.REPLY).exists()


def test_refused_recipient_shows_failed_with_the_reason(
    people, deliver, smtp_server, django_capture_on_commit_callbacks
):
    ticket = deliver().ticket_message.ticket
    smtp_server.refuse["dana@example.com"] = "550 5.1.1 No such user"

    message = _reply(people, ticket, django_capture_on_commit_callbacks)

    outbound = OutboundMail.objects.get(ticket_message=message)
    assert outbound.state == OutboundState.FAILED
    assert "No such user" in outbound.last_error


def test_temporary_failure_is_retried_later(
    people, deliver, smtp_server, django_capture_on_commit_callbacks
):
    ticket = deliver().ticket_message.ticket
    smtp_server.refuse["dana@example.com"] = "451 4.3.0 Try again later"

    message = _reply(people, ticket, django_capture_on_commit_callbacks)

    outbound = OutboundMail.objects.get(ticket_message=message)
    assert outbound.state == OutboundState.QUEUED
    assert outbound.attempts == 1 and outbound.next_attempt_at is not None
    assert "Try again later" in outbound.last_error


def test_agent_reply_on_a_portal_ticket_is_mailed_to_the_requester(
    people, make_ticket, smtp_server, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    user_update(user=people["dana"], language="sv")
    ticket_update(ticket=ticket, actor=people["alice"], changes={"language": "sv"})

    _reply(people, ticket, django_capture_on_commit_callbacks)

    assert [m.rcpt_tos for m in smtp_server.messages] == [["dana@example.com"]]


# --- the texts admins edit (notifications app, Settings → Customer emails) ------------------


def _text(mail) -> str:
    return mail.get_body(("plain",)).get_content().replace("\r\n", "\n")


def _admin_text(event, language, subject, body, active=True):
    from frontdesk.notifications.customer import template_save

    template_save(event=event, language=language, subject=subject, body=body, active=active)


def test_admin_written_swedish_texts_reach_a_swedish_customer(
    people, deliver, smtp_server, django_capture_on_commit_callbacks
):
    _admin_text(
        "acknowledgement",
        "sv",
        "Vi har tagit emot ditt ärende #{{ticket.number}}",
        "Hej {{requester.first_name}}!\n\nTack, vi återkommer snart.\n{{ticket.url}}",
    )
    _admin_text(
        "reply", "sv", "Svar: {{ticket.subject}} [#{{ticket.number}}]", "{{message.body}}\n\nMvh"
    )
    inbound = deliver(sender="Erik Lind <erik@example.org>", subject="Skrivaren brinner")
    ticket = inbound.ticket_message.ticket

    ack = _parsed(smtp_server.messages[0])
    smtp_server.messages.clear()
    _reply(people, ticket, django_capture_on_commit_callbacks)
    reply = _parsed(smtp_server.messages[0])

    assert ack["Subject"] == f"Vi har tagit emot ditt ärende #{ticket.number}"
    assert _text(ack).startswith("Hej Erik!\n\nTack, vi återkommer snart.")
    assert "Hej Erik!" in ack.get_body(("html",)).get_content()
    assert ack["Content-Language"] == "sv" and ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == f"<{inbound.message_id}>"
    assert reply["Subject"] == f"Svar: Skrivaren brinner [#{ticket.number}]"
    text = _text(reply)
    assert text.startswith("We are on our way.\n\nMvh")
    assert "The Example support team" in text  # the mailbox's signature
    assert "Hello, the printer on floor 3" in text  # the recent conversation
    # Still one thread: our token in the reply address and the customer's mail answered.
    assert reply["Reply-To"].startswith("support+")
    assert reply["In-Reply-To"] == f"<{inbound.message_id}>"


def test_an_english_customer_keeps_the_built_in_text_when_only_swedish_was_edited(
    people, deliver, smtp_server
):
    _admin_text("acknowledgement", "sv", "Vi har ditt ärende", "Hej!")

    ticket = deliver().ticket_message.ticket

    ack = _parsed(smtp_server.messages[0])
    assert ack["Subject"] == f"Re: Printer is on fire [#{ticket.number}]"
    assert _text(ack).startswith("Hello Dana,")


def test_switched_off_texts_are_not_sent(
    people, deliver, smtp_server, django_capture_on_commit_callbacks
):
    _admin_text("acknowledgement", "en", "x", "y", active=False)
    _admin_text("reply", "en", "x", "y", active=False)

    ticket = deliver().ticket_message.ticket
    _reply(people, ticket, django_capture_on_commit_callbacks)

    assert smtp_server.messages == []
    assert not OutboundMail.objects.exists()


def test_a_text_switched_off_while_the_mail_waits_is_not_sent(
    people, deliver, smtp_server, settings, django_capture_on_commit_callbacks
):
    from frontdesk.mail.outbound import outbound_send

    ticket = deliver().ticket_message.ticket
    smtp_server.messages.clear()
    smtp_server.refuse["dana@example.com"] = "451 4.3.0 Try again later"
    message = _reply(people, ticket, django_capture_on_commit_callbacks)
    outbound = OutboundMail.objects.get(ticket_message=message)
    _admin_text("reply", "en", "x", "y", active=False)
    smtp_server.refuse.clear()
    OutboundMail.objects.filter(pk=outbound.pk).update(next_attempt_at=None)

    outbound_send(outbound.pk)

    outbound.refresh_from_db()
    assert smtp_server.messages == []
    assert outbound.state == OutboundState.FAILED
    assert "switched this customer email off" in outbound.last_error


def test_each_event_mails_the_customer_once(
    people, deliver, smtp_server, django_capture_on_commit_callbacks
):
    """Received, answered, solved: three events, three mails, none twice."""
    from frontdesk.tickets.models import Status

    ticket = deliver().ticket_message.ticket
    _reply(people, ticket, django_capture_on_commit_callbacks)
    solved = Status.objects.filter(category="solved").first()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=people["alice"], changes={"status": solved})

    subjects = [_parsed(m)["Subject"] for m in smtp_server.messages]
    assert all(m.rcpt_tos == ["dana@example.com"] for m in smtp_server.messages)
    # The acknowledgement and the reply (this app), the solved mail (notifications app); the
    # satisfaction survey on solving is the reporting app's own mail.
    assert subjects.count(f"Re: Printer is on fire [#{ticket.number}]") == 2, subjects
    assert sorted(OutboundMail.objects.values_list("kind", flat=True)) == ["ack", "reply"]
    assert [s for s in subjects if "solved" in s] == [f"Your request #{ticket.number} is solved"]


def test_a_reply_to_another_apps_mail_with_our_headers_reopens_the_thread(people, deliver):
    """The solved mail is the notifications app's: with ``customer_mail_headers`` the
    customer's "it is still broken" answer joins the ticket instead of opening a new one."""
    from django.core import mail as django_mail
    from django.core.mail import EmailMessage

    from frontdesk.mail.outbound import customer_mail_headers

    first = deliver()
    ticket = first.ticket_message.ticket
    headers = customer_mail_headers(ticket=ticket)
    django_mail.outbox.clear()
    EmailMessage(
        subject="Solved", body="Reply to reopen.", to=["dana@example.com"], headers=headers
    ).send()
    sent = django_mail.outbox[0].message()

    answer = deliver(
        to=sent["Reply-To"],
        subject="Re: Solved",
        body="It is still on fire.",
        headers={"In-Reply-To": sent["Message-ID"]},
    )

    assert sent["From"] == "Example Support <support@example.com>"
    assert sent["In-Reply-To"] == f"<{first.message_id}>"
    assert (answer.reason, answer.ticket_message.ticket) == ("token", ticket)

"""A fetched batch is stored in one transaction and imported by one job, mail by mail
exactly as if each had come alone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from frontdesk.mail import pipeline
from frontdesk.mail.models import InboundMail, InboundSource, InboundState
from frontdesk.mail.tests.conftest import mail_build
from frontdesk.tickets.models import Message, Status, Ticket


@pytest.fixture
def deliver_batch(mailbox, django_capture_on_commit_callbacks):
    def run(raws: list[bytes]) -> list[InboundMail]:
        with django_capture_on_commit_callbacks(execute=True):
            stored = pipeline.ingest_batch(raws, mailbox=mailbox, source=InboundSource.IMAP)
        rows = {m.pk: m for m in InboundMail.objects.filter(pk__in=[m.pk for m, _c in stored])}
        return [rows[m.pk] for m, _c in stored]

    return run


def test_a_reply_threads_onto_a_request_from_the_same_batch(people, deliver_batch):
    first = mail_build(subject="VPN down", message_id="<vpn-1@acme.example>")
    reply = mail_build(
        subject="Re: VPN down",
        body="Still down after a restart.",
        headers={"In-Reply-To": "<vpn-1@acme.example>"},
    )

    request, answer = deliver_batch([first, reply])

    assert (request.state, answer.state) == (InboundState.PARSED, InboundState.PARSED)
    assert answer.reason == "header"
    assert answer.ticket_message.ticket == request.ticket_message.ticket
    assert Ticket.objects.count() == 1


def test_a_mail_without_sender_goes_to_the_dead_letters_alone(people, deliver_batch):
    good = mail_build(subject="Printer")
    senderless = mail_build(subject="Who am I").replace(b"From: ", b"X-Not-From: ", 1)

    results = deliver_batch([good, senderless, mail_build(subject="Scanner")])

    assert [r.state for r in results] == ["parsed", "dead", "parsed"]
    assert "sender" in results[1].error
    assert Message.objects.count() == 2


def test_the_same_mail_twice_in_a_batch_or_again_later_is_stored_once(people, deliver_batch):
    raw = mail_build(subject="Twice", message_id="<twice@acme.example>")

    deliver_batch([raw, raw])
    again = deliver_batch([raw])

    assert InboundMail.objects.count() == 1
    assert again[0].state == InboundState.PARSED
    assert Message.objects.count() == 1


def test_a_batch_takes_a_fixed_number_of_mail_queries(
    people, mailbox, deliver_batch, settings, django_capture_on_commit_callbacks
):
    """Per mail only the ticket write adds queries; the mail app's own lookups are made
    once per batch (stored ids, senders, known Message-IDs, hourly counts, claim, update)."""
    settings.MAIL_SENDER_RATE_PER_HOUR = 1000
    deliver_batch([mail_build(subject="warm-up")])  # Dana exists, defaults are cached

    def queries(n: int) -> tuple[int, int]:
        raws = [mail_build(subject=f"Request {i}") for i in range(n)]
        # The jobs the ticket writes start (outbox) belong to other workers: not counted.
        with django_capture_on_commit_callbacks(execute=False):
            with CaptureQueriesContext(connection) as stored:
                rows = pipeline.ingest_batch(raws, mailbox=mailbox)
            with CaptureQueriesContext(connection) as imported:
                assert pipeline.inbound_process_batch([m.pk for m, _c in rows]) == n
        captured = stored.captured_queries + imported.captured_queries
        # The mail app's tables (quoted: an "email" column name is no mail query).
        return len(captured), sum(1 for q in captured if '"mail_' in q["sql"])

    total_2, mail_2 = queries(2)
    total_12, mail_12 = queries(12)
    # Stored ids and one insert; claim, lock, own mail, hourly counts, one update.
    assert mail_12 == mail_2 == 7
    # What ten more new-ticket mails cost, all of it in the ticket services' write: on
    # SQLite 3 a mail (number, ticket, message: no savepoint inside the batch's transaction,
    # the batch's events and outbox rows in one INSERT each); on PostgreSQL 1 (the ticket's
    # INSERT takes its number from the sequence, and the messages wait for the batch's
    # one INSERT with ids drawn 25 at a time).
    per_mail = 3 if connection.vendor == "sqlite" else 1
    assert total_12 - total_2 <= 10 * per_mail


def test_new_senders_in_a_batch_become_customers_once_in_their_organization(
    people, deliver_batch, settings
):
    """A batch creates each new address once (from the domain's organization, named from
    the mail), finds an existing contact in any letter case, and keeps a sender's second
    mail on the same customer; new senders cost one INSERT each, no lookups of their own."""
    from frontdesk.accounts.models import User
    from frontdesk.customers.models import OrganizationDomain

    settings.MAIL_SENDER_RATE_PER_HOUR = 1000
    OrganizationDomain.objects.create(organization=people["globex"], domain="globex.example")
    deliver_batch([mail_build(subject="warm-up")])
    raws = [
        mail_build(sender="Greta Garbo <Greta@Globex.example>", subject="Invoice"),
        mail_build(sender="Ivan Ivanov <ivan@nowhere.example>", subject="Login"),
        mail_build(sender="DANA Scully <DANA@EXAMPLE.COM>", subject="Printer"),
        mail_build(sender="Greta Garbo <greta@globex.example>", subject="Invoice again"),
        mail_build(
            sender="Ivan Ivanov <ivan@nowhere.example>",
            subject="Copying a colleague",
            message_id="<copying@nowhere.example>",
            headers={"Cc": "Olga Ok <olga@globex.example>, dana@example.com"},
        ),
        mail_build(
            sender="Ivan Ivanov <ivan@nowhere.example>",
            subject="Re: Copying a colleague",
            headers={
                "Cc": "olga@globex.example, Pia Pi <pia@globex.example>",
                "In-Reply-To": "<copying@nowhere.example>",
            },
        ),
    ]
    users_before = User.objects.count()

    with CaptureQueriesContext(connection) as captured:
        results = deliver_batch(raws)

    assert [r.state for r in results] == ["parsed"] * 6
    assert User.objects.count() == users_before + 4
    greta = User.objects.get(email="greta@globex.example")
    assert (greta.first_name, greta.last_name, greta.organization) == (
        "Greta",
        "Garbo",
        people["globex"],
    )
    assert greta.role == "customer" and not greta.has_usable_password()
    assert User.objects.get(email="ivan@nowhere.example").organization is None
    assert User.objects.get(email="olga@globex.example").organization == people["globex"]
    requesters = [r.ticket_message.ticket.requester for r in results]
    assert requesters == [greta, requesters[1], people["dana"], greta, *requesters[1:2] * 2]
    copied = results[4].ticket_message.ticket
    assert results[5].ticket_message.ticket == copied
    assert list(copied.cc.order_by("email")) == [
        people["dana"],
        User.objects.get(email="olga@globex.example"),
        User.objects.get(email="pia@globex.example"),
    ]
    # The reply copying Olga again and Pia for the first time adds Pia, and only her.
    changes = copied.events.filter(field="cc").exclude(kind="created")
    assert [(e.old_value, e.new_value) for e in changes] == [
        (
            "dana@example.com, olga@globex.example",
            "dana@example.com, olga@globex.example, pia@globex.example",
        )
    ]
    user_writes = [q for q in captured.captured_queries if 'INTO "accounts_user"' in q["sql"]]
    # One INSERT for the batch's new senders on PostgreSQL (ids drawn ahead), one each on
    # SQLite.
    assert len(user_writes) == (1 if connection.vendor == "postgresql" else 4)
    domains = [
        q for q in captured.captured_queries if 'FROM "customers_organizationdomain"' in q["sql"]
    ]
    assert len(domains) == 1


def test_replies_in_a_batch_lock_their_tickets_once_and_update_each_in_turn(
    people, deliver_batch, settings
):
    """Replies to tickets the batch already knows lock those tickets in one query when the
    batch begins; two replies to the same ticket in one batch both count on it, its
    version moves once per reply, and a reply to a solved ticket reopens it."""
    from frontdesk.tickets.models import StatusCategory
    from frontdesk.tickets.services import ticket_update

    settings.MAIL_SENDER_RATE_PER_HOUR = 1000
    firsts = deliver_batch(
        [mail_build(subject=f"Issue {i}", message_id=f"<issue-{i}@acme.example>") for i in range(3)]
    )
    tickets = [m.ticket_message.ticket for m in firsts]
    ticket_update(
        ticket=tickets[2],
        actor=people["alice"],
        changes={"status": Status.objects.filter(category=StatusCategory.SOLVED).first()},
    )
    versions = {t.pk: Ticket.objects.get(pk=t.pk).version for t in tickets}
    replies = [
        mail_build(subject=f"Re: Issue {i}", headers={"In-Reply-To": f"<issue-{i}@acme.example>"})
        for i in (0, 1, 0, 2)
    ]

    with CaptureQueriesContext(connection) as captured:
        results = deliver_batch(replies)

    assert [r.ticket_message.ticket_id for r in results] == [
        tickets[0].pk,
        tickets[1].pk,
        tickets[0].pk,
        tickets[2].pk,
    ]
    after = {t.pk: Ticket.objects.get(pk=t.pk) for t in tickets}
    assert after[tickets[0].pk].message_count == 3
    assert after[tickets[0].pk].version == versions[tickets[0].pk] + 2
    assert after[tickets[1].pk].version == versions[tickets[1].pk] + 1
    assert after[tickets[2].pk].status_category == StatusCategory.OPEN
    locks = [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "tickets_ticket"' in q["sql"] and "FOR UPDATE" in q["sql"]
    ]
    # SQLite has no row locks (one writer at a time): only PostgreSQL writes FOR UPDATE.
    assert len(locks) == (1 if connection.vendor == "postgresql" else 0)

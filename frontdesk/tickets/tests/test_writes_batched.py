"""Messages received inside ``writes_batched`` (a mail batch) write their history and
side effects together at the end, with the same result as one by one."""

from __future__ import annotations

import pytest
from django.db import transaction

from frontdesk.core.models import OutboxEntry
from frontdesk.tickets.intake import InboundMessage
from frontdesk.tickets.models import Channel, EventKind, Ticket, TicketEvent
from frontdesk.tickets.services import message_receive, writes_batched

pytestmark = pytest.mark.django_db


def inbound(people, subject: str, ticket: Ticket | None = None) -> InboundMessage:
    return InboundMessage(
        channel=Channel.EMAIL,
        author=people["dana"],
        subject=subject,
        body_text=f"About {subject}.",
        ticket=ticket,
    )


def test_a_batch_keeps_each_tickets_history_and_side_effects_in_order(
    people, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        transaction.atomic(),
        writes_batched(),
    ):
        first = message_receive(inbound=inbound(people, "Printer"), savepoint=False)
        second = message_receive(inbound=inbound(people, "Scanner"), savepoint=False)
        message_receive(
            inbound=inbound(people, "Printer again", ticket=first.ticket), savepoint=False
        )
        # Nothing is written until the batch ends.
        assert not TicketEvent.objects.filter(ticket=first.ticket).exists()
    history = list(
        TicketEvent.objects.filter(ticket=first.ticket)
        .order_by("created_at", "pk")
        .values_list("kind", flat=True)
    )
    assert history[:2] == [EventKind.CREATED, EventKind.MESSAGE]
    assert history.count(EventKind.MESSAGE) == 2
    assert list(
        TicketEvent.objects.filter(ticket=second.ticket).values_list("kind", flat=True)
    ) == [EventKind.CREATED, EventKind.MESSAGE]
    topics = list(OutboxEntry.objects.order_by("pk").values_list("topic", "payload"))
    assert [p["ticket_id"] for _t, p in topics].count(first.ticket_id) == 4
    assert [p["ticket_id"] for _t, p in topics].count(second.ticket_id) == 2
    # Each outbox row runs after the commit, as it would one by one.
    assert len(callbacks) == len(topics)


def test_a_batch_that_fails_writes_nothing(people):
    with pytest.raises(RuntimeError), transaction.atomic(), writes_batched():
        message_receive(inbound=inbound(people, "Printer"), savepoint=False)
        raise RuntimeError("the importer died")
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()
    assert not OutboxEntry.objects.exists()


def test_a_batchs_messages_and_files_are_all_there_after_it_in_the_order_received(
    people, settings, tmp_path
):
    """On PostgreSQL the batch's messages and attachment rows are written together at the
    end (their ids given as they arrive); on SQLite one by one. Either way every message,
    file and history line is there afterwards, pointing at the right message."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from frontdesk.tickets.attachments import IncomingFile
    from frontdesk.tickets.models import Attachment, Message

    settings.MEDIA_ROOT = str(tmp_path)
    png = b"\x89PNG\r\n\x1a\n" + b"2" * 64

    def with_file(subject: str, name: str, ticket: Ticket | None = None) -> InboundMessage:
        message = inbound(people, subject, ticket)
        message.attachments = [IncomingFile(name=name, content=png)]
        return message

    with CaptureQueriesContext(connection) as captured, transaction.atomic(), writes_batched():
        first = message_receive(inbound=with_file("Printer", "shot.png"), savepoint=False)
        reply = message_receive(
            inbound=with_file("Printer again", "again.png", first.ticket), savepoint=False
        )
        other = message_receive(inbound=inbound(people, "Scanner"), savepoint=False)
    ids = [first.pk, reply.pk, other.pk]

    assert ids == sorted(ids) and len(set(ids)) == 3
    assert list(
        Message.objects.filter(pk__in=ids).order_by("pk").values_list("body_text", "ticket_id")
    ) == [
        ("About Printer.", first.ticket_id),
        ("About Printer again.", first.ticket_id),
        ("About Scanner.", other.ticket_id),
    ]
    files = Attachment.objects.filter(message_id__in=ids).order_by("message_id")
    assert [(a.message_id, a.filename) for a in files] == [
        (first.pk, "shot.png"),
        (reply.pk, "again.png"),
    ]
    assert files[0].blob_id == files[1].blob_id
    logged = TicketEvent.objects.filter(kind=EventKind.MESSAGE).order_by("pk")
    assert [e.data["message_id"] for e in logged] == ids
    assert Ticket.objects.get(pk=first.ticket_id).message_count == 2
    inserts = [q for q in captured.captured_queries if 'INTO "tickets_message"' in q["sql"]]
    assert len(inserts) == (1 if connection.vendor == "postgresql" else 3)

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

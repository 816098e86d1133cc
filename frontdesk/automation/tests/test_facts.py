"""The facts rules read, built two ways (one SQL statement on PostgreSQL, the ORM
everywhere): both give the same answer."""

from __future__ import annotations

import pytest
from django.db import connection

from frontdesk.automation.facts import Delta, facts_build, facts_fast
from frontdesk.core import clock
from frontdesk.tickets.models import Message
from frontdesk.tickets.services import ticket_update

pytestmark = pytest.mark.django_db


def test_fast_facts_equal_the_orm_facts(people, make_ticket):
    ticket = make_ticket(requester=people["erik"], subject="Skrivaren brinner", body="Hjälp!")
    ticket_update(
        ticket=ticket,
        actor=people["alice"],
        changes={"add_tags": ["vip", "billing"], "assignee": people["bob"]},
    )
    ticket.refresh_from_db()
    message = Message.objects.filter(ticket=ticket).first()
    delta = Delta(
        kinds={"updated"},
        changes={"ticket.priority": {"from": "low", "to": "high"}},
        message_id=message.pk,
        actor_id=people["alice"].pk,
    )
    now = clock.now()
    slow = facts_build(ticket, delta=delta, now=now)
    assert slow["ticket.tags"] == ["billing", "vip"]
    assert slow["organization.name"] == "Globex"
    assert slow["message.body"] == "Hjälp!"
    assert slow["event.actor_role"] == "agent"
    fast = facts_fast(ticket.pk, delta=delta, extra=None, now=now, needs=None)
    if connection.vendor != "postgresql":
        assert fast is None  # the ORM path serves other databases
        return
    assert fast == slow

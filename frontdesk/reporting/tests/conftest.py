"""A small desk week with hand-computed figures (see docs/metrics.md for the definitions).

Clock: Monday 2 March 2026, Europe/Stockholm (UTC+1). Times below are local.

- T1 (L1, portal, Dana, assigned to Alice): created Mon 09:00; Alice replies 10:00; T4 is
  merged into it at 11:30; Alice solves it 12:00.   FRT 1 h, resolution 3 h, 1 reply, one-touch.
- T2 (L1, email, Dana, Alice's): created Mon 09:30; Alice replies 13:30; Dana writes Tue 10:00;
  Alice replies and solves Tue 11:00.    FRT 4 h, NRT 1 h, resolution 25.5 h, 2 replies.
- T3 (L2, portal, Erik, Carol's): created Mon 10:00; Carol replies 10:30 and solves 11:00; Erik
  writes Tue 09:00 (reopens it); Carol replies 09:30; solves Wed 10:00.
                                          FRT 30 min, NRT 30 min, resolution 48 h, reopened.
- T4 (L1, portal, Dana): created Mon 11:00, merged into T1 at 11:30 (closed, not a solve).
- T5 (L1, email, Dana): created Tue 08:00, still open, no reply.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from frontdesk.tickets.models import Channel, Status
from frontdesk.tickets.services import message_add, ticket_merge, ticket_update


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A March 2026 local (UTC+1) time as an aware UTC datetime."""
    return datetime(2026, 3, day, hour - 1, minute, tzinfo=UTC)


@pytest.fixture
def desk_week(people, make_ticket):
    solved = Status.objects.get(slug="solved")
    alice, carol, dana, erik = people["alice"], people["carol"], people["dana"], people["erik"]

    def at(day: int, hour: int, minute: int = 0):  # type: ignore[no-untyped-def]
        return time_machine.travel(local(day, hour, minute), tick=False)

    with at(2, 9):
        t1 = make_ticket(subject="VPN down", team="l1", channel=Channel.PORTAL, assignee=alice)
    with at(2, 9, 30):
        t2 = make_ticket(subject="Invoice wrong", team="l1", channel=Channel.EMAIL, assignee=alice)
    with at(2, 10):
        t3 = make_ticket(
            requester=erik, subject="Printer", team="l2", channel=Channel.PORTAL, assignee=carol
        )
    with at(2, 10):
        message_add(ticket=t1, author=alice, body_text="Looking into it.")
    with at(2, 10, 30):
        message_add(ticket=t3, author=carol, body_text="Try this.")
    with at(2, 11):
        ticket_update(ticket=t3, actor=carol, changes={"status": solved})
    with at(2, 11):
        t4 = make_ticket(subject="VPN again", team="l1", channel=Channel.PORTAL)
    with at(2, 11, 30):
        ticket_merge(source=t4, target=t1, actor=alice)
    with at(2, 12):
        ticket_update(ticket=t1, actor=alice, changes={"status": solved})
    with at(2, 13, 30):
        message_add(ticket=t2, author=alice, body_text="Which invoice?")
    with at(3, 8):
        t5 = make_ticket(subject="New laptop", team="l1", channel=Channel.EMAIL)
    with at(3, 9):
        message_add(ticket=t3, author=erik, body_text="Still broken.")
    with at(3, 9, 30):
        message_add(ticket=t3, author=carol, body_text="Fixed now?")
    with at(3, 10):
        message_add(ticket=t2, author=dana, body_text="Number 42.")
    with at(3, 11):
        message_add(ticket=t2, author=alice, body_text="Corrected.", status=solved)
    with at(4, 10):
        ticket_update(ticket=t3, actor=carol, changes={"status": solved})
    tickets = {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5}
    for ticket in tickets.values():
        ticket.refresh_from_db()
    return tickets


@pytest.fixture
def after_week():
    """The clock on Friday 6 March 12:00, after the story."""
    with time_machine.travel(local(6, 12), tick=False):
        yield

"""SLA test helpers: an office-hours policy in Stockholm and a clock-driven desk.

``desk`` runs every action at a frozen time and lets the outbox reactions (the SLA
recompute, escalation) run as they would after the commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from frontdesk.sla.models import TargetKind
from frontdesk.sla.services import (
    calendar_save,
    policy_save,
    policy_targets_set,
    sla_recompute,
    sla_scan,
)
from frontdesk.tickets.models import MessageKind, Priority, Status, Ticket
from frontdesk.tickets.services import message_add, ticket_update

STO = ZoneInfo("Europe/Stockholm")
OFFICE = {d: "08:00-12:00, 13:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}
# minutes per priority: first response, next response, periodic update, resolution
TARGETS = {
    "urgent": (30, 60, 120, 240),
    "high": (60, 120, 240, 480),
    "normal": (60, 120, 240, 480),
    "low": (240, 480, 960, 2400),
}


def sto(*args: int) -> datetime:
    return datetime(*args, tzinfo=STO)  # type: ignore[misc]


@pytest.fixture
def office_calendar(people):
    return calendar_save(
        calendar=None,
        name="Stockholm office",
        time_zone="Europe/Stockholm",
        weekly=OFFICE,
        country="SE",
    )


@pytest.fixture
def office_policy(office_calendar):
    policy = policy_save(policy=None, name="Standard", calendar=office_calendar)
    targets_set(policy, TARGETS)
    return policy


def targets_set(policy, table, business=True):  # type: ignore[no-untyped-def]
    kinds = [
        TargetKind.FIRST_RESPONSE,
        TargetKind.NEXT_RESPONSE,
        TargetKind.PERIODIC_UPDATE,
        TargetKind.RESOLUTION,
    ]
    priorities = {p.slug: p.pk for p in Priority.objects.all()}
    policy_targets_set(
        policy=policy,
        targets={
            (priorities[slug], kind): (minutes, business)
            for slug, row in table.items()
            for kind, minutes in zip(kinds, row, strict=True)
        },
    )


class Desk:
    """Actions at a given moment, with the after-commit reactions run."""

    def __init__(self, people, make_ticket, capture) -> None:  # type: ignore[no-untyped-def]
        self.people = people
        self._make_ticket = make_ticket
        self._capture = capture

    def at(self, moment: datetime):  # type: ignore[no-untyped-def]
        return time_machine.travel(moment, tick=False)

    def _run(self, moment: datetime, fn):  # type: ignore[no-untyped-def]
        with self.at(moment), self._capture(execute=True):
            result = fn()
        return result

    def open(self, moment: datetime, **kw) -> Ticket:  # type: ignore[no-untyped-def]
        ticket = self._run(moment, lambda: self._make_ticket(**kw))
        ticket.refresh_from_db()
        return ticket

    def reply(self, ticket: Ticket, moment: datetime, who: str = "alice", **kw) -> None:  # type: ignore[no-untyped-def]
        self._run(
            moment,
            lambda: message_add(ticket=ticket, author=self.people[who], body_text="On it.", **kw),
        )
        ticket.refresh_from_db()

    def note(self, ticket: Ticket, moment: datetime, who: str = "alice") -> None:
        self._run(
            moment,
            lambda: message_add(
                ticket=ticket,
                author=self.people[who],
                body_text="Looking into it internally.",
                kind=MessageKind.NOTE,
            ),
        )
        ticket.refresh_from_db()

    def customer(self, ticket: Ticket, moment: datetime, who: str = "dana") -> None:
        self._run(
            moment,
            lambda: message_add(ticket=ticket, author=self.people[who], body_text="Any news?"),
        )
        ticket.refresh_from_db()

    def status(self, ticket: Ticket, moment: datetime, slug: str) -> None:
        status = Status.objects.get(slug=slug)
        self._run(
            moment,
            lambda: ticket_update(
                ticket=ticket, actor=self.people["alice"], changes={"status": status}
            ),
        )
        ticket.refresh_from_db()

    def priority(self, ticket: Ticket, moment: datetime, slug: str) -> None:
        priority = Priority.objects.get(slug=slug)
        self._run(
            moment,
            lambda: ticket_update(
                ticket=ticket, actor=self.people["alice"], changes={"priority": priority}
            ),
        )
        ticket.refresh_from_db()

    def update(self, ticket: Ticket, moment: datetime, **changes) -> None:  # type: ignore[no-untyped-def]
        self._run(
            moment,
            lambda: ticket_update(ticket=ticket, actor=self.people["alice"], changes=changes),
        )
        ticket.refresh_from_db()

    def scan(self, moment: datetime):  # type: ignore[no-untyped-def]
        return self._run(moment, lambda: sla_scan())

    def recompute(self, ticket: Ticket, moment: datetime):  # type: ignore[no-untyped-def]
        result = self._run(moment, lambda: sla_recompute(ticket_id=ticket.pk))
        ticket.refresh_from_db()
        return result


@pytest.fixture
def desk(people, make_ticket, django_capture_on_commit_callbacks) -> Desk:
    return Desk(people, make_ticket, django_capture_on_commit_callbacks)


def minutes(value: timedelta) -> float:
    return value.total_seconds() / 60

"""Reads of the automation app: the rule preview."""

from __future__ import annotations

from typing import Any

from frontdesk.automation.conditions import condition_compile
from frontdesk.automation.engine import ticket_calendar
from frontdesk.automation.facts import TICKET_RELATED, ticket_facts
from frontdesk.core import clock
from frontdesk.tickets.models import Ticket

PREVIEW_SAMPLE = 200
PREVIEW_SHOWN = 20


def trigger_preview(*, conditions: Any, sample: int = PREVIEW_SAMPLE) -> dict[str, Any]:
    """Which of the last ``sample`` updated tickets the conditions hold for, as they are now.

    Event facts (what changed, the message) are not known for past tickets: conditions on
    them do not hold in the preview, which says so.
    """
    check = condition_compile(conditions)
    now = clock.now()
    tickets = list(
        Ticket.objects.select_related(*TICKET_RELATED)
        .prefetch_related("tags")
        .filter(merged_into__isnull=True)
        .order_by("-updated_at", "-id")[:sample]
    )
    matched = []
    for ticket in tickets:
        facts = ticket_facts(ticket, sorted(t.name for t in ticket.tags.all()), now=now)
        facts["event.at"] = now
        facts["changes"] = {}
        if check(facts, ticket_calendar(ticket)):
            matched.append(ticket)
    return {"sample": len(tickets), "count": len(matched), "tickets": matched[:PREVIEW_SHOWN]}

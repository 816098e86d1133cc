"""Reporting reacts to ticket changes: a ticket that became solved gets its CSAT survey."""

from __future__ import annotations

from typing import Any

from frontdesk.core.events import subscribe
from frontdesk.reporting.surveys import csat_invite


def csat_on_ticket_changed(payload: dict[str, Any]) -> None:
    # Idempotent: the survey is created once per ticket and its email claimed once.
    csat_invite(ticket_id=int(payload["ticket_id"]))


def register() -> None:
    subscribe("ticket.changed", csat_on_ticket_changed)

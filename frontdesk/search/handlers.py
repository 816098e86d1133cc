"""Search reacts to ticket changes by rebuilding that ticket's document."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from frontdesk.core.events import subscribe
from frontdesk.search.backends import backend


def ticket_reindex(payload: dict[str, Any]) -> None:
    # One transaction: two workers re-indexing the same ticket must not interleave the
    # delete and insert of its document.
    with transaction.atomic():
        backend().index_tickets(ticket_ids=[int(payload["ticket_id"])], id_range=None)


def register() -> None:
    subscribe("ticket.changed", ticket_reindex)

"""Rebuilding the search index."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import Max, Min

from frontdesk.search.backends import backend
from frontdesk.tickets.models import Ticket


def search_reindex(
    *, batch_size: int = 5000, progress: Callable[[int, int], None] | None = None
) -> int:
    """Rebuild every ticket document in id-range batches (one transaction per batch)."""
    search = backend()
    bounds = Ticket.objects.aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None:
        search.delete_all()
        return 0
    search.delete_all()
    low, high = bounds["low"], bounds["high"]
    done = 0
    start = low
    while start <= high:
        end = start + batch_size - 1
        with transaction.atomic():
            search.index_tickets(ticket_ids=None, id_range=(start, end))
        done = end - low + 1
        if progress:
            progress(min(done, high - low + 1), high - low + 1)
        start = end + 1
    return high - low + 1

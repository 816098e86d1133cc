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
    """Rebuild every ticket document in id-range batches (one transaction per batch).

    The index is emptied first, so searches find only what is rebuilt so far; on PostgreSQL
    the GIN index is dropped for the rebuild and built once at the end (also after a
    failure), which is several times faster than keeping it current row by row.
    """
    search = backend()
    bounds = Ticket.objects.aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None:
        search.delete_all()
        return 0
    low, high = bounds["low"], bounds["high"]
    search.rebuild_begin()
    try:
        search.delete_all()
        start = low
        while start <= high:
            end = start + batch_size - 1
            with transaction.atomic():
                search.index_tickets(ticket_ids=None, id_range=(start, end))
            if progress:
                progress(min(end - low + 1, high - low + 1), high - low + 1)
            start = end + 1
    finally:
        search.rebuild_end()
    return high - low + 1

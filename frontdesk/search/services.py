"""Rebuilding the search index."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, transaction
from django.db.models import Max, Min

from frontdesk.search.backends import backend
from frontdesk.tickets.models import Ticket


def search_reindex(
    *,
    batch_size: int = 5000,
    progress: Callable[[int, int], None] | None = None,
    jobs: int = 1,
) -> int:
    """Rebuild every ticket document in id-range batches (one transaction per batch).

    The index is emptied first, so searches find only what is rebuilt so far; on PostgreSQL
    the GIN index is dropped for the rebuild and built once at the end (also after a
    failure), which is several times faster than keeping it current row by row.
    ``jobs``: batches run on that many database connections at once (PostgreSQL only;
    SQLite admits one writer at a time).
    """
    search = backend()
    bounds = Ticket.objects.aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None:
        search.delete_all()
        return 0
    low, high = bounds["low"], bounds["high"]
    total = high - low + 1
    batches = [
        (start, min(start + batch_size - 1, high)) for start in range(low, high + 1, batch_size)
    ]

    def run(id_range: tuple[int, int]) -> int:
        with transaction.atomic():
            search.index_tickets(ticket_ids=None, id_range=id_range)
        return id_range[1] - id_range[0] + 1

    def run_on_own_connection(id_range: tuple[int, int]) -> int:
        try:
            return run(id_range)
        finally:
            connection.close()  # this thread's connection; the pool thread may be reused

    search.rebuild_begin()
    try:
        search.delete_all()
        done = 0
        # Other connections would wait on this one's locks if it holds a transaction open.
        if jobs > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                for count in pool.map(run_on_own_connection, batches):
                    done += count
                    if progress:
                        progress(done, total)
        else:
            for id_range in batches:
                done += run(id_range)
                if progress:
                    progress(done, total)
    finally:
        search.rebuild_end()
    return total

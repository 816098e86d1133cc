"""Two scanner workers at once on PostgreSQL, each with its own connection: every due
ticket's breach is recorded once, and its reactions run once."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection, connections

from frontdesk.core.models import OutboxEntry
from frontdesk.sla.models import SlaEvent, TicketSla
from frontdesk.sla.services import sla_scan
from frontdesk.sla.tests.conftest import sto

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED needs PostgreSQL"),
]


def test_two_scanners_never_fire_the_same_breach_twice(office_policy, make_ticket):
    with time_machine.travel(sto(2025, 3, 4, 9, 0), tick=False):
        for i in range(40):
            make_ticket(subject=f"Broken thing {i}")
    assert TicketSla.objects.filter(alarm_at__isnull=False).count() == 40

    barrier = threading.Barrier(2)
    results: list = []
    errors: list = []

    def worker() -> None:
        try:
            barrier.wait()
            with time_machine.travel(sto(2025, 3, 4, 10, 30), tick=False):
                results.append(sla_scan(batch_size=3))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert sum(r.breaches for r in results) == 40
    assert sum(r.tickets for r in results) == 40
    assert SlaEvent.objects.filter(kind="breach").count() == 40
    assert OutboxEntry.objects.filter(topic="sla.breach").count() == 40
    # Each ticket once: the batches of the two workers never overlapped.
    claimed = [ticket_id for r in results for ticket_id in r.ticket_ids]
    assert len(claimed) == len(set(claimed)) == 40

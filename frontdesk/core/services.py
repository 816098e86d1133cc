"""Core write services: counters and the outbox."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection, transaction

from frontdesk.core import events
from frontdesk.core.models import Counter, OutboxEntry

logger = logging.getLogger(__name__)


def counter_next(*, name: str) -> int:
    """Return the next value of a named counter. Call inside the caller's transaction.

    One ``UPDATE ... RETURNING`` (PostgreSQL, SQLite 3.35+): the row lock it takes lasts
    until commit, so concurrent callers get distinct values.
    """
    table = Counter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET value = value + 1 WHERE name = %s RETURNING value",  # noqa: S608
            [name],
        )
        row = cursor.fetchone()
    if row is not None:
        return int(row[0])
    Counter.objects.get_or_create(name=name, defaults={"value": 0})
    return counter_next(name=name)


def outbox_add(*, topic: str, payload: dict[str, Any]) -> OutboxEntry:
    """Record a side effect to run after the surrounding transaction commits."""
    entry = OutboxEntry.objects.create(topic=topic, payload=payload)

    def enqueue() -> None:
        from frontdesk.core.tasks import outbox_process

        outbox_process(entry.pk)
        for handler in events.local_handlers_for(topic):
            try:
                handler(dict(payload))
            except Exception:  # best effort: the durable reactions run from the outbox
                logger.exception("local handler for %s failed", topic)

    transaction.on_commit(enqueue)
    return entry

"""Core write services: counters and the outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

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


class IdPool:
    """Ids for new rows of one table drawn from its PostgreSQL sequence ahead of their
    INSERT, ``size`` at a time, so a batch can write rows that point to them first and the
    rows themselves in one INSERT at the end. Unused ids are gaps nobody sees (ids are not
    what people read). PostgreSQL only: SQLite has no sequence to draw from."""

    def __init__(self, model: type[Model], size: int = 25) -> None:
        self.table = model._meta.db_table
        self.size = size
        self._ids: list[int] = []

    def next(self) -> int:
        if not self._ids:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                    "FROM generate_series(1, %s) ORDER BY 1 DESC",
                    [self.table, self.size],
                )
                self._ids = [row[0] for row in cursor.fetchall()]
        return self._ids.pop()


def outbox_add(*, topic: str, payload: dict[str, Any]) -> OutboxEntry:
    """Record a side effect to run after the surrounding transaction commits."""
    return outbox_add_many(entries=[(topic, payload)])[0]


def outbox_add_many(*, entries: list[tuple[str, dict[str, Any]]]) -> list[OutboxEntry]:
    """Record several side effects (topic, payload) with one INSERT; each runs after the
    commit, in this order, exactly as if ``outbox_add`` had been called for each."""
    rows = OutboxEntry.objects.bulk_create(
        [OutboxEntry(topic=topic, payload=payload) for topic, payload in entries]
    )
    for row in rows:
        transaction.on_commit(_enqueuer(row.pk, row.topic, row.payload))
    return rows


def _enqueuer(entry_id: int, topic: str, payload: dict[str, Any]) -> Callable[[], None]:
    def enqueue() -> None:
        from frontdesk.core.tasks import outbox_process

        outbox_process(entry_id)
        for handler in events.local_handlers_for(topic):
            try:
                handler(dict(payload))
            except Exception:  # best effort: the durable reactions run from the outbox
                logger.exception("local handler for %s failed", topic)

    return enqueue

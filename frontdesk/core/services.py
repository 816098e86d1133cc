"""Core write services: counters and the outbox."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from frontdesk.core.models import Counter, OutboxEntry


def counter_next(*, name: str) -> int:
    """Return the next value of a named counter. Call inside the caller's transaction.

    The UPDATE takes a row lock until commit, so concurrent callers get distinct values.
    """
    updated = Counter.objects.filter(name=name).update(value=F("value") + 1)
    if not updated:
        Counter.objects.get_or_create(name=name, defaults={"value": 0})
        Counter.objects.filter(name=name).update(value=F("value") + 1)
    return Counter.objects.values_list("value", flat=True).get(name=name)


def outbox_add(*, topic: str, payload: dict[str, Any]) -> OutboxEntry:
    """Record a side effect to run after the surrounding transaction commits."""
    entry = OutboxEntry.objects.create(topic=topic, payload=payload)

    def enqueue() -> None:
        from frontdesk.core.tasks import outbox_process

        outbox_process(entry.pk)

    transaction.on_commit(enqueue)
    return entry

"""The desk's ticket configuration, read once per process: types, statuses, priorities and
the urgency x impact matrix.

Every new ticket and many replies need the default type, a default status and the matrix's
priority: three small queries that return the same rows all day. They are cached here.

Freshness: a save or delete of any of these rows in this process (services, settings pages,
Django admin) drops the cache at once and again when its transaction commits (so a reader
that loaded the old rows in between does not keep them). Other processes reload at most
``RECHECK_SECONDS`` later, as automation rules do: an admin's change applies everywhere
within that time.

The cached model instances are shared between requests: read them, never change them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from frontdesk.tickets.models import Priority, PriorityMatrixCell, Status, Ticket, TicketType

RECHECK_SECONDS = 2.0


@dataclass(frozen=True)
class Catalog:
    """One consistent read of the configuration tables."""

    loaded_at: float
    types: tuple[TicketType, ...]  # active, in display order
    statuses: tuple[Status, ...]  # all, default of each category first, then by position
    priorities: tuple[Priority, ...]  # by rank, lowest first
    matrix: dict[tuple[str, str], Priority] = field(default_factory=dict)
    # Ticket relation name -> id -> row (inactive types too): what ``fill`` hands out.
    by_id: dict[str, dict[int, Any]] = field(default_factory=dict)

    def status_default(self, category: str) -> Status | None:
        """The category's default status: the flagged one first, then by position."""
        # ``statuses`` is ordered flagged first, then by position.
        return next((s for s in self.statuses if s.category == category and s.active), None)

    def fill(self, ticket: Ticket) -> None:
        """Give a ticket its status, type and priority objects without a query each."""
        for name, rows in self.by_id.items():
            relation = Ticket._meta.get_field(name)
            if not relation.is_cached(ticket):
                row = rows.get(getattr(ticket, relation.attname))
                if row is not None:
                    relation.set_cached_value(ticket, row)

    def choices_for(self, name: str) -> list[Any] | None:
        """The rows a ticket form offers for ``ticket_type``, ``status`` or ``priority``, in
        the order (and with the filter) of that form field's queryset; None for others."""
        if name == "ticket_type":
            return list(self.types)
        if name == "status":
            return sorted((s for s in self.statuses if s.active), key=lambda s: (s.position, s.pk))
        if name == "priority":
            return list(reversed(self.priorities))
        return None

    def type_default(self) -> TicketType | None:
        return self.types[0] if self.types else None

    def priority_for(self, urgency: str, impact: str) -> Priority | None:
        """The matrix's priority; a matrix with a hole falls back to the middle priority."""
        cell = self.matrix.get((urgency, impact))
        if cell is not None:
            return cell
        if not self.priorities:
            return None
        return self.priorities[len(self.priorities) // 2]


_lock = threading.Lock()
_cached: Catalog | None = None


def _load() -> Catalog:
    priorities = {p.pk: p for p in Priority.objects.order_by("rank")}
    types = list(TicketType.objects.order_by("position", "pk"))
    statuses = tuple(Status.objects.order_by("-is_default", "position", "pk"))
    return Catalog(
        loaded_at=time.monotonic(),
        types=tuple(t for t in types if t.active),
        statuses=statuses,
        priorities=tuple(priorities.values()),
        matrix={
            (c.urgency, c.impact): priorities[c.priority_id]
            for c in PriorityMatrixCell.objects.all()
            if c.priority_id in priorities
        },
        by_id={
            "status": {s.pk: s for s in statuses},
            "ticket_type": {t.pk: t for t in types},
            "priority": priorities,
        },
    )


def catalog() -> Catalog:
    """The cached configuration, reloaded when older than ``RECHECK_SECONDS``."""
    global _cached
    cached = _cached
    if cached is None or time.monotonic() - cached.loaded_at > RECHECK_SECONDS:
        cached = _load()
        with _lock:
            _cached = cached
    return cached


def catalog_forget() -> None:
    """Drop the cache now and when the current transaction commits."""
    global _cached
    with _lock:
        _cached = None
    transaction.on_commit(_forget_now)


def _forget_now() -> None:
    global _cached
    with _lock:
        _cached = None


def _on_change(sender: type, **kwargs: object) -> None:
    catalog_forget()


def register() -> None:
    """Any write to the configuration tables, from any code path, drops the cache."""
    for model in (TicketType, Status, Priority, PriorityMatrixCell):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"catalog-{model.__name__}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"catalog-{model.__name__}-d")

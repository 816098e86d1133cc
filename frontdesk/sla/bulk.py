"""Set-based writes for the scanner: thousands of rows in one statement.

On PostgreSQL these bind whole arrays server-side (``unnest``): a batch of 1,000 events is
one round trip with binary parameters, where the ORM's client-side quoting of 7,000 values
would cost more than the database work. SQLite uses the ORM (one writer, no round trips).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection

from frontdesk.core.models import OutboxEntry
from frontdesk.sla.models import SlaEvent, TicketSla


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _cursor() -> Any:
    """A psycopg cursor with server-side binding on Django's connection (same transaction)."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def events_insert(events: Sequence[SlaEvent]) -> None:
    """Insert events; one already recorded (same ticket, target, cycle, kind) is skipped."""
    if not events:
        return
    if not _pg():
        SlaEvent.objects.bulk_create(events, ignore_conflicts=True)
        return
    table = SlaEvent._meta.db_table
    with _cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (ticket_id, target, cycle, kind, due_at, created_at, policy_id) "  # noqa: S608
            "SELECT * FROM unnest(%b::bigint[], %b::text[], %b::integer[], %b::text[], "
            "%b::timestamptz[], %b::timestamptz[], %b::bigint[]) "
            "ON CONFLICT (ticket_id, target, cycle, kind) DO NOTHING",
            [
                [e.ticket_id for e in events],
                [e.target for e in events],
                [e.cycle for e in events],
                [e.kind for e in events],
                [e.due_at for e in events],
                [e.created_at for e in events],
                [e.policy_id for e in events],
            ],
        )


def outbox_insert(entries: Sequence[tuple[str, dict[str, Any]]], *, at: datetime) -> list[int]:
    """Outbox rows (topic, payload) written in the caller's transaction; returns their ids."""
    if not entries:
        return []
    if not _pg():
        rows = OutboxEntry.objects.bulk_create(
            [OutboxEntry(topic=topic, payload=payload) for topic, payload in entries]
        )
        return [row.pk for row in rows]
    table = OutboxEntry._meta.db_table
    with _cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (topic, payload, created_at, attempts, last_error) "  # noqa: S608
            "SELECT t, p::jsonb, %s, 0, '' FROM unnest(%b::text[], %b::text[]) AS u(t, p) "
            "RETURNING id",
            [at, [topic for topic, _p in entries], [json.dumps(p) for _t, p in entries]],
        )
        return [row[0] for row in cursor.fetchall()]


def alarms_write(rows: Sequence[tuple[int, datetime | None, str]]) -> None:
    """Move each SLA record's alarm on and set its state: (ticket id, alarm, state)."""
    if not rows:
        return
    if not _pg():
        groups: dict[tuple[datetime | None, str], list[int]] = {}
        for ticket_id, alarm, state in rows:
            groups.setdefault((alarm, state), []).append(ticket_id)
        for (alarm, state), ids in groups.items():
            TicketSla.objects.filter(ticket_id__in=ids).update(alarm_at=alarm, state=state)
        return
    table = TicketSla._meta.db_table
    with _cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS s SET alarm_at = v.alarm, state = v.state "  # noqa: S608
            "FROM unnest(%b::bigint[], %b::timestamptz[], %b::text[]) AS v(id, alarm, state) "
            "WHERE s.ticket_id = v.id",
            [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]],
        )

"""Reads and writes of one ticket's recompute, in as few round trips as the database allows.

A recompute runs after every ticket change, so its cost is mostly round trips. On
PostgreSQL it takes three statements inside its transaction: the locked row with the
configuration version, the whole history (messages, status changes, recorded SLA events)
in one ``UNION ALL`` with times as integer microseconds, and one upsert of the SLA record
that also moves the ticket's columns. SQLite (no round trips to save) uses the ORM.
Times cross this module as integer microseconds since the epoch (see ``clock``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.db.models import Q, Subquery

from frontdesk.core.models import Counter
from frontdesk.sla.clock import from_us, to_us
from frontdesk.sla.config import VERSION_COUNTER
from frontdesk.sla.models import SlaEvent, TicketSla
from frontdesk.tickets.models import EventKind, Message, Ticket, TicketEvent

ROW_FIELDS = (
    "pk",
    "created_at",
    "updated_at",
    "status_category",
    "priority_id",
    "ticket_type_id",
    "organization_id",
    "team_id",
    "channel",
    "requester_id",
    "merged_into_id",
    "sla_policy_id",
    "sla_calendar_id",
    "sla_target",
    "sla_state",
    "sla_due_at",
    "sla_warn_at",
)
TIME_FIELDS = ("created_at", "updated_at", "sla_due_at", "sla_warn_at")
# What the ticket's columns hold; times as microseconds.
COLUMNS = (
    "sla_policy_id",
    "sla_calendar_id",
    "sla_target",
    "sla_state",
    "sla_due_at",
    "sla_warn_at",
)


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _prepared() -> Any:
    """A server-side-binding psycopg cursor on Django's connection (same transaction).

    Statements run through it with ``prepare=True`` are planned once per connection: for a
    recompute's three short statements planning cost more than executing.
    """
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def _us_sql(column: str) -> str:
    return f"CAST(round(EXTRACT(EPOCH FROM {column}) * 1000000) AS BIGINT)"


def row_lock(ticket_id: int) -> dict[str, Any] | None:
    """The ticket's row, locked until the transaction ends, plus ``config_version``."""
    if _pg():
        columns = ", ".join(
            _us_sql(f"t.{name}") if name in TIME_FIELDS else f"t.{'id' if name == 'pk' else name}"
            for name in ROW_FIELDS
        )
        sql = (
            f"SELECT {columns}, (SELECT c.value FROM {Counter._meta.db_table} c "  # noqa: S608
            f"WHERE c.name = %s) FROM {Ticket._meta.db_table} t WHERE t.id = %s FOR UPDATE OF t"
        )
        with _prepared() as cursor:
            cursor.execute(sql, [VERSION_COUNTER, ticket_id], prepare=True)
            found = cursor.fetchone()
        if found is None:
            return None
        row = dict(zip(ROW_FIELDS, found[:-1], strict=True))
        row["config_version"] = found[-1]
        return row
    version = Counter.objects.filter(name=VERSION_COUNTER).values("value")[:1]
    row = (
        Ticket.objects.select_for_update()
        .filter(pk=ticket_id)
        .annotate(config_version=Subquery(version))
        .values(*ROW_FIELDS, "config_version")
        .first()
    )
    if row is not None:
        for name in TIME_FIELDS:
            row[name] = None if row[name] is None else to_us(row[name])
    return row


_HISTORY_SQL = """
SELECT 0, {us_m}, m.id, m.kind, CAST(m.from_agent AS INTEGER), NULL, NULL
  FROM {message} m WHERE m.ticket_id = %(t)s
UNION ALL
SELECT 1, {us_e}, e.id, e.kind, 0, e.new_value,
       CASE WHEN e.kind = 'created' THEN CAST(e.data AS TEXT) END
  FROM {event} e WHERE e.ticket_id = %(t)s
   AND (e.kind = 'created' OR (e.kind = 'changed' AND e.field = 'status'))
UNION ALL
SELECT 2, NULL, s.cycle, s.target, 0, s.kind, NULL FROM {sla_event} s WHERE s.ticket_id = %(t)s
ORDER BY 1, 2, 3
"""

Messages = list[tuple[int, str, bool]]
Events = list[tuple[str, int, str, Any]]


def history(ticket_id: int) -> tuple[Messages, Events, set[tuple[str, int, str]]]:
    """Messages (at, kind, from_agent), "created" and status events (kind, at, new value,
    data) in order, and the recorded (target, cycle, kind) of the ticket."""
    if not _pg():
        messages = [
            (to_us(at), kind, from_agent)
            for at, kind, from_agent in Message.objects.filter(ticket_id=ticket_id)
            .order_by("created_at", "pk")
            .values_list("created_at", "kind", "from_agent")
        ]
        events = [
            (kind, to_us(at), new_value, data)
            for kind, at, new_value, data in TicketEvent.objects.filter(ticket_id=ticket_id)
            .filter(Q(kind=EventKind.CREATED) | Q(kind=EventKind.CHANGED, field="status"))
            .order_by("created_at", "pk")
            .values_list("kind", "created_at", "new_value", "data")
        ]
        return messages, events, recorded_for([ticket_id]).get(ticket_id, set())
    sql = _HISTORY_SQL.format(
        us_m=_us_sql("m.created_at"),
        us_e=_us_sql("e.created_at"),
        message=Message._meta.db_table,
        event=TicketEvent._meta.db_table,
        sla_event=SlaEvent._meta.db_table,
    )
    messages: Messages = []
    events: Events = []
    recorded: set[tuple[str, int, str]] = set()
    with _prepared() as cursor:
        cursor.execute(sql, {"t": ticket_id}, prepare=True)
        for source, at, number, kind, flag, value, data in cursor.fetchall():
            if source == 0:
                messages.append((at, kind, bool(flag)))
            elif source == 1:
                events.append((kind, at, value, json.loads(data) if data else {}))
            else:
                recorded.add((kind, number, value))
    return messages, events, recorded


def recorded_for(ticket_ids: list[int]) -> dict[int, set[tuple[str, int, str]]]:
    recorded: dict[int, set[tuple[str, int, str]]] = {}
    for ticket_id, target, cycle, kind in SlaEvent.objects.filter(
        ticket_id__in=ticket_ids
    ).values_list("ticket_id", "target", "cycle", "kind"):
        recorded.setdefault(ticket_id, set()).add((target, cycle, kind))
    return recorded


def _column_value(name: str, value: Any) -> Any:
    return from_us(value) if name in ("sla_due_at", "sla_warn_at") and value is not None else value


def columns_changed(row: Mapping[str, Any], columns: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ticket columns to write as model values, or None when nothing moved."""
    if all(row[name] == value for name, value in columns.items()):
        return None
    return {name: _column_value(name, value) for name, value in columns.items()}


def columns_write(ticket_id: int, values: Mapping[str, Any]) -> None:
    Ticket.objects.filter(pk=ticket_id).update(**values)


_SLA_FIELDS = (
    "policy_id",
    "policy_name",
    "priority_slug",
    "state",
    "targets",
    "paused",
    "first_response_seconds",
    "first_response_breached",
    "resolution_seconds",
    "resolution_breached",
    "breaches",
    "computed_at",
    "alarm_at",
)


def sla_write(ticket_id: int, values: Mapping[str, Any], columns: Mapping[str, Any] | None) -> None:
    """Store the SLA record (insert or update) and, if given, the ticket's columns."""
    if not _pg():
        if not TicketSla.objects.filter(ticket_id=ticket_id).update(**values):
            TicketSla.objects.create(ticket_id=ticket_id, **values)
        if columns:
            columns_write(ticket_id, columns)
        return
    params: list[Any] = [ticket_id]
    for name in _SLA_FIELDS:
        value = values[name]
        params.append(json.dumps(value) if name in ("targets", "paused") else value)
    placeholders = ", ".join(
        "%s::jsonb" if name in ("targets", "paused") else "%s" for name in _SLA_FIELDS
    )
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in _SLA_FIELDS)
    upsert = (
        f"INSERT INTO {TicketSla._meta.db_table} (ticket_id, {', '.join(_SLA_FIELDS)}) "  # noqa: S608
        f"VALUES (%s, {placeholders}) ON CONFLICT (ticket_id) DO UPDATE SET {updates}"
    )
    if columns:
        sets = ", ".join(f"{name} = %s" for name in columns)
        sql = (
            f"WITH s AS ({upsert}) UPDATE {Ticket._meta.db_table} "  # noqa: S608
            f"SET {sets} WHERE id = %s"
        )
        params += [*columns.values(), ticket_id]
    else:
        sql = upsert
    with _prepared() as cursor:
        cursor.execute(sql, params, prepare=True)

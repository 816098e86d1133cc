"""What rule conditions look at: a flat dict built from a ticket, its people and the event.

``delta_build`` turns the new ``TicketEvent`` rows of a ticket into the event kinds that
happened (created, status changed, customer replied, ...) and the field changes, keyed
like the facts (``ticket.status``) with the values the facts use (status, priority and type
slugs, team name, assignee email). ``facts_build`` reads the ticket once (one query plus
tags and, when the event is about a message, that message).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from frontdesk.core import clock
from frontdesk.tickets.models import EventKind, Message, Status, Ticket, TicketEvent

# field -> (label, kind) for the rule editor. kind: text, choice, number, date, list, bool.
FIELDS: dict[str, tuple[Any, str]] = {
    "ticket.subject": (_("Subject"), "text"),
    "ticket.status": (_("Status"), "choice"),
    "ticket.status_category": (_("Status category"), "choice"),
    "ticket.priority": (_("Priority"), "choice"),
    "ticket.type": (_("Type"), "choice"),
    "ticket.channel": (_("Channel"), "choice"),
    "ticket.team": (_("Team"), "choice"),
    "ticket.assignee": (_("Assignee (email)"), "text"),
    "ticket.language": (_("Language"), "text"),
    "ticket.tags": (_("Tags"), "list"),
    "ticket.urgency": (_("Urgency"), "choice"),
    "ticket.impact": (_("Impact"), "choice"),
    "ticket.sla_state": (_("SLA state"), "choice"),
    "ticket.number": (_("Number"), "number"),
    "ticket.reopened_count": (_("Times reopened"), "number"),
    "ticket.message_count": (_("Messages"), "number"),
    "ticket.hours_since_created": (_("Hours since created"), "number"),
    "ticket.hours_since_updated": (_("Hours since updated"), "number"),
    "ticket.hours_since_customer_message": (_("Hours since the customer wrote"), "number"),
    "ticket.created_at": (_("Created"), "date"),
    "ticket.updated_at": (_("Updated"), "date"),
    "requester.email": (_("Requester email"), "text"),
    "requester.domain": (_("Requester email domain"), "text"),
    "requester.name": (_("Requester name"), "text"),
    "requester.language": (_("Requester language"), "text"),
    "organization.name": (_("Organization"), "text"),
    "message.body": (_("Message text"), "text"),
    "message.kind": (_("Message kind (public/note)"), "choice"),
    "message.from_agent": (_("Message from an agent"), "bool"),
    "message.channel": (_("Message channel"), "choice"),
    "event.actor": (_("Changed by (email)"), "text"),
    "event.actor_role": (_("Changed by (customer/agent/automation/system)"), "choice"),
    "sla.target": (_("SLA target"), "choice"),
    "feedback.rating": (_("Feedback rating"), "number"),
    "feedback.positive": (_("Feedback is positive"), "bool"),
    "feedback.comment": (_("Feedback comment"), "text"),
}

# TicketEvent.field -> facts key
_FIELD_KEYS = {"ticket_type": "ticket.type"}

AUTOMATION_EMAIL = "automation@frontdesk.invalid"


@dataclass
class Delta:
    """What happened to a ticket since the engine last looked."""

    kinds: set[str] = field(default_factory=set)
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    message_id: int | None = None
    actor_id: int | None = None
    first_event_id: int = 0
    last_event_id: int = 0
    at: datetime | None = None


def _key(event_field: str) -> str:
    if event_field.startswith("custom_fields."):
        return "ticket.custom." + event_field.split(".", 1)[1]
    return _FIELD_KEYS.get(event_field, f"ticket.{event_field}")


def delta_build(events: Iterable[TicketEvent], status_categories: Mapping[str, str]) -> Delta:
    """Event kinds and field changes from new ``TicketEvent`` rows (in id order)."""
    delta = Delta()
    for event in events:
        delta.first_event_id = delta.first_event_id or event.pk
        delta.last_event_id = event.pk
        delta.actor_id = event.actor_id
        delta.at = event.created_at
        if event.kind == EventKind.CREATED:
            delta.kinds.add("created")
        elif event.kind in (EventKind.CHANGED, EventKind.MACRO, EventKind.REOPENED):
            delta.kinds.add("updated")
            if event.kind != EventKind.CHANGED or not event.field:
                continue
            key = _key(event.field)
            change = delta.changes.setdefault(key, {"from": _value(key, event.old_value)})
            change["to"] = _value(key, event.new_value)
            if event.field == "status":
                delta.kinds.add("status_changed")
                old = status_categories.get(event.old_value, event.old_value)
                new = status_categories.get(event.new_value, event.new_value)
                if old != new:
                    cat = delta.changes.setdefault("ticket.status_category", {"from": old})
                    cat["to"] = new
        elif event.kind == EventKind.MESSAGE:
            data = event.data or {}
            delta.message_id = data.get("message_id") or delta.message_id
            if "created" in delta.kinds:
                continue  # the first message of a new ticket is not a reply
            delta.kinds.add("updated")
            if data.get("kind") == "note":
                delta.kinds.add("note_added")
            elif data.get("from_agent"):
                delta.kinds.add("agent_replied")
            else:
                delta.kinds.add("customer_replied")
        else:
            delta.kinds.add("updated")
    # A change back and forth within one pass is no change.
    for key in [k for k, c in delta.changes.items() if c.get("from") == c.get("to")]:
        del delta.changes[key]
    return delta


def _value(key: str, text: str) -> Any:
    if key == "ticket.tags":
        return [t.strip() for t in text.split(",") if t.strip()]
    return text


def status_categories() -> dict[str, str]:
    return dict(Status.objects.values_list("slug", "category"))


def _hours(now: datetime, then: datetime | None) -> float | None:
    if then is None:
        return None
    return round((now - then).total_seconds() / 3600, 2)


TICKET_RELATED = (
    "status",
    "priority",
    "ticket_type",
    "team",
    "assignee",
    "requester",
    "organization",
)


def ticket_facts(ticket: Ticket, tags: list[str], *, now: datetime) -> dict[str, Any]:
    """The ticket's own facts (``ticket`` loaded with ``TICKET_RELATED``)."""
    requester = ticket.requester
    email = requester.email or ""
    facts: dict[str, Any] = {
        "ticket.id": ticket.pk,
        "ticket.number": ticket.number,
        "ticket.subject": ticket.subject,
        "ticket.status": ticket.status.slug,
        "ticket.status_category": ticket.status_category,
        "ticket.priority": ticket.priority.slug,
        "ticket.type": ticket.ticket_type.slug,
        "ticket.channel": ticket.channel,
        "ticket.team": ticket.team.name if ticket.team_id else None,
        "ticket.assignee": ticket.assignee.email if ticket.assignee_id else None,
        "ticket.language": ticket.language or None,
        "ticket.tags": tags,
        "ticket.urgency": ticket.urgency,
        "ticket.impact": ticket.impact,
        "ticket.sla_state": ticket.sla_state,
        "ticket.reopened_count": ticket.reopened_count,
        "ticket.message_count": ticket.message_count,
        "ticket.created_at": ticket.created_at,
        "ticket.updated_at": ticket.updated_at,
        "ticket.solved_at": ticket.solved_at,
        "ticket.hours_since_created": _hours(now, ticket.created_at),
        "ticket.hours_since_updated": _hours(now, ticket.updated_at),
        "ticket.hours_since_customer_message": _hours(now, ticket.last_customer_message_at),
        "requester.email": email,
        "requester.domain": email.rpartition("@")[2],
        "requester.name": requester.display_name,
        "requester.language": requester.language or None,
        "organization.name": ticket.organization.name if ticket.organization_id else None,
    }
    for key, value in (ticket.custom_fields or {}).items():
        facts[f"ticket.custom.{key}"] = value
    return facts


def delta_facts(
    delta: Delta | None, *, actor: Any, message: Message | None, now: datetime
) -> dict[str, Any]:
    """The event's own facts: when, what changed, who did it, the message it added.

    ``actor`` and ``message`` are loaded by the caller (None when no rule reads them)."""
    facts: dict[str, Any] = {
        "event.at": (delta.at if delta and delta.at else None) or now,
        "changes": dict(delta.changes) if delta else {},
        "event.kinds": sorted(delta.kinds) if delta else [],
    }
    if delta and delta.actor_id and actor is not None:
        facts["event.actor"] = actor.email
        facts["event.actor_role"] = (
            "automation"
            if actor.email == AUTOMATION_EMAIL
            else ("agent" if actor.is_agent else "customer")
        )
    elif delta and not delta.actor_id:
        facts["event.actor_role"] = "system"
    if message is not None:
        facts["message.body"] = message.body_text
        facts["message.kind"] = message.kind
        facts["message.from_agent"] = message.from_agent
        facts["message.channel"] = message.channel
    return facts


def facts_build(
    ticket: Ticket,
    *,
    delta: Delta | None = None,
    extra: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    needs: frozenset[str] | None = None,
) -> dict[str, Any]:
    """Everything conditions may read about ``ticket`` and this event.

    ``needs``: the fields the rules read (None: all); facts that take a query (tags, the
    actor, the message) are read only when a rule needs them.
    """
    now = now or clock.now()

    def needed(prefix: str) -> bool:
        return needs is None or any(f.startswith(prefix) for f in needs)

    tags = sorted(ticket.tags.values_list("name", flat=True)) if needed("ticket.tags") else []
    facts = ticket_facts(ticket, tags, now=now)
    actor = message = None
    if delta and delta.actor_id and needed("event.actor"):
        from frontdesk.accounts.models import User

        actor = User.objects.filter(pk=delta.actor_id).only("email", "role").first()
    if delta and delta.message_id and needed("message."):
        message = (
            Message.objects.filter(pk=delta.message_id)
            .only("body_text", "kind", "from_agent", "channel")
            .first()
        )
    facts.update(delta_facts(delta, actor=actor, message=message, now=now))
    if extra:
        facts.update(extra)
    facts["_ticket"] = {
        "team_id": ticket.team_id,
        "assignee_id": ticket.assignee_id,
        "status_category": ticket.status_category,
        "merged_into_id": ticket.merged_into_id,
        "sla_calendar_id": ticket.sla_calendar_id,
    }
    return facts


def facts_fast(
    ticket_id: int,
    *,
    delta: Delta | None,
    extra: Mapping[str, Any] | None,
    now: datetime,
    needs: frozenset[str] | None,
) -> dict[str, Any] | None:
    """``facts_build`` in one SQL statement on PostgreSQL (ticket, people, tags, message,
    actor): the engine's hot path, where the ORM's per-query cost dominated. Returns None
    on other databases (the caller builds the facts with the ORM) or when the ticket is
    gone. ``test_facts`` proves both paths give the same facts."""
    from django.db import connection

    from frontdesk.accounts.models import Team, User
    from frontdesk.customers.models import Organization
    from frontdesk.tickets.models import Priority, Tag, TicketType

    if connection.vendor != "postgresql":
        return None
    tags_table = Ticket.tags.through._meta.db_table
    sql = f"""
        SELECT t.id, t.number, t.subject, s.slug, t.status_category, p.slug, tt.slug,
               t.channel, tm.name, a.email, t.language, t.urgency, t.impact, t.sla_state,
               t.reopened_count, t.message_count, t.created_at, t.updated_at, t.solved_at,
               t.last_customer_message_at, t.custom_fields, r.email, r.first_name,
               r.last_name, r.language, o.name, t.team_id, t.assignee_id, t.merged_into_id,
               t.sla_calendar_id,
               ARRAY(SELECT g.name FROM {tags_table} x JOIN {Tag._meta.db_table} g
                     ON g.id = x.tag_id WHERE x.ticket_id = t.id ORDER BY g.name),
               m.body_text, m.kind, m.from_agent, m.channel, u.email, u.role
        FROM {Ticket._meta.db_table} t
        JOIN {Status._meta.db_table} s ON s.id = t.status_id
        JOIN {Priority._meta.db_table} p ON p.id = t.priority_id
        JOIN {TicketType._meta.db_table} tt ON tt.id = t.ticket_type_id
        JOIN {User._meta.db_table} r ON r.id = t.requester_id
        LEFT JOIN {Team._meta.db_table} tm ON tm.id = t.team_id
        LEFT JOIN {User._meta.db_table} a ON a.id = t.assignee_id
        LEFT JOIN {Organization._meta.db_table} o ON o.id = t.organization_id
        LEFT JOIN {Message._meta.db_table} m ON m.id = %s AND m.ticket_id = t.id
        LEFT JOIN {User._meta.db_table} u ON u.id = %s
        WHERE t.id = %s
    """  # noqa: S608 - table names come from the models, values are parameters
    params = [delta.message_id if delta else None, delta.actor_id if delta else None, ticket_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    (pk, number, subject, status, category, priority, type_slug, channel, team, assignee,
     language, urgency, impact, sla_state, reopened, messages, created, updated, solved,
     customer_at, custom, r_email, r_first, r_last, r_language, org, team_id, assignee_id,
     merged_id, calendar_id, tags, m_body, m_kind, m_agent, m_channel, actor_email,
     actor_role) = row  # fmt: skip
    email = r_email or ""
    facts: dict[str, Any] = {
        "ticket.id": pk,
        "ticket.number": number,
        "ticket.subject": subject,
        "ticket.status": status,
        "ticket.status_category": category,
        "ticket.priority": priority,
        "ticket.type": type_slug,
        "ticket.channel": channel,
        "ticket.team": team,
        "ticket.assignee": assignee,
        "ticket.language": language or None,
        "ticket.tags": list(tags or []),
        "ticket.urgency": urgency,
        "ticket.impact": impact,
        "ticket.sla_state": sla_state,
        "ticket.reopened_count": reopened,
        "ticket.message_count": messages,
        "ticket.created_at": created,
        "ticket.updated_at": updated,
        "ticket.solved_at": solved,
        "ticket.hours_since_created": _hours(now, created),
        "ticket.hours_since_updated": _hours(now, updated),
        "ticket.hours_since_customer_message": _hours(now, customer_at),
        "requester.email": email,
        "requester.domain": email.rpartition("@")[2],
        "requester.name": f"{r_first or ''} {r_last or ''}".strip() or email,
        "requester.language": r_language or None,
        "organization.name": org,
    }
    if isinstance(custom, str):  # Django reads jsonb as text and decodes it itself
        custom = json.loads(custom)
    for key, value in (custom or {}).items():
        facts[f"ticket.custom.{key}"] = value
    facts["event.at"] = (delta.at if delta and delta.at else None) or now
    facts["changes"] = dict(delta.changes) if delta else {}
    facts["event.kinds"] = sorted(delta.kinds) if delta else []
    if delta and actor_email:
        facts["event.actor"] = actor_email
        facts["event.actor_role"] = (
            "automation"
            if actor_email == AUTOMATION_EMAIL
            else ("customer" if actor_role == "customer" else "agent")
        )
    elif delta:
        facts["event.actor_role"] = "system"
    if m_kind is not None:
        facts["message.body"] = m_body
        facts["message.kind"] = m_kind
        facts["message.from_agent"] = m_agent
        facts["message.channel"] = m_channel
    if extra:
        facts.update(extra)
    facts["_ticket"] = {
        "team_id": team_id,
        "assignee_id": assignee_id,
        "status_category": category,
        "merged_into_id": merged_id,
        "sla_calendar_id": calendar_id,
    }
    return facts

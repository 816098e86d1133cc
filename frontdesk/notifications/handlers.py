"""The notifications app's reactions to outbox topics (registered from ``ready``).

Every reaction is keyed by the fact it reports (a ticket event id, a message id, an SLA
alarm), so a handler that runs twice tells nobody twice. Ticket changes are read from the
ticket's recent ``TicketEvent`` rows, so the reaction does not depend on handler order.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby
from typing import Any

from frontdesk.core import clock
from frontdesk.core.events import subscribe

# How far back a "ticket.changed" looks for what changed (a retried job finds its events).
RECENT = timedelta(minutes=30)


def on_ticket_changed(payload: dict[str, Any]) -> None:
    from frontdesk.accounts.models import TeamMembership, User
    from frontdesk.notifications.customer import solved_mail_queue
    from frontdesk.notifications.models import Kind
    from frontdesk.notifications.services import describe, notify, notify_many
    from frontdesk.notifications.webhooks import payload_ticket, webhook_event
    from frontdesk.tickets.models import EventKind, Status, StatusCategory, Ticket, TicketEvent

    ticket = (
        Ticket.objects.select_related("requester", "team").filter(pk=payload["ticket_id"]).first()
    )
    if ticket is None:
        return
    events = list(
        TicketEvent.objects.filter(
            ticket=ticket,
            created_at__gte=clock.now() - RECENT,
            kind__in=[EventKind.CREATED, EventKind.CHANGED],
        ).order_by("pk")
    )
    if not events:
        return
    body: dict[str, Any] | None = None

    def data() -> dict[str, Any]:
        nonlocal body
        if body is None:
            body = payload_ticket(ticket)
        return body

    solved_slugs = set(
        Status.objects.filter(category=StatusCategory.SOLVED).values_list("slug", flat=True)
    )
    for event in events:
        if event.kind == EventKind.CREATED:
            webhook_event(event="ticket.created", payload=data(), key=f"created:{event.pk}")
            if ticket.team_id and ticket.assignee_id is None and ticket.is_open:
                members = User.objects.filter(
                    pk__in=TeamMembership.objects.filter(team_id=ticket.team_id).values("user_id")
                )
                notify_many(
                    users=members,
                    kind=Kind.NEW_TICKET,
                    title=describe(Kind.NEW_TICKET, ticket),
                    key=f"new:{event.pk}",
                    ticket=ticket,
                )
        elif event.field == "assignee" and event.new_value:
            assignee = User.objects.filter(email=event.new_value).first()
            if assignee is not None:
                webhook_event(event="ticket.assigned", payload=data(), key=f"assigned:{event.pk}")
                if assignee.pk != event.actor_id:
                    notify(
                        user=assignee,
                        kind=Kind.ASSIGNED,
                        title=describe(Kind.ASSIGNED, ticket),
                        key=f"assigned:{event.pk}",
                        ticket=ticket,
                    )
        elif event.field == "status" and event.new_value in solved_slugs:
            webhook_event(event="ticket.solved", payload=data(), key=f"solved:{event.pk}")
            if ticket.status_category == StatusCategory.SOLVED:
                solved_mail_queue(ticket=ticket, event_id=event.pk)
    changed = [e for e in events if e.kind == EventKind.CHANGED]
    for _at, group in groupby(changed, key=lambda e: e.created_at):
        items = list(group)
        webhook_event(
            event="ticket.updated",
            payload={
                **data(),
                "changes": [
                    {"field": e.field, "from": e.old_value, "to": e.new_value} for e in items
                ],
            },
            key=f"updated:{items[0].pk}",
        )


def on_message_created(payload: dict[str, Any]) -> None:
    from frontdesk.notifications.models import Kind
    from frontdesk.notifications.services import describe, mentions_find, notify
    from frontdesk.notifications.webhooks import payload_ticket, webhook_event
    from frontdesk.tickets.models import Message, MessageKind

    message = (
        Message.objects.select_related("ticket", "author")
        .filter(pk=payload.get("message_id"))
        .first()
    )
    if message is None:
        return
    ticket = message.ticket
    webhook_event(
        event="message.created",
        payload={
            **payload_ticket(ticket),
            "message": {
                "id": message.pk,
                "kind": message.kind,
                "from_agent": message.from_agent,
                "channel": message.channel,
                "author": message.author.email if message.author else None,
                "body": message.body_text,
                "created_at": message.created_at.isoformat(),
            },
        },
        key=f"message:{message.pk}",
    )
    if message.kind == MessageKind.NOTE:
        for user in mentions_find(message.body_text):
            if user.pk == message.author_id:
                continue
            notify(
                user=user,
                kind=Kind.MENTION,
                title=describe(Kind.MENTION, ticket),
                body=message.body_text[:500],
                key=f"mention:{message.pk}",
                ticket=ticket,
            )
    elif not message.from_agent and ticket.assignee_id and not payload.get("ticket_created"):
        notify(
            user=ticket.assignee,
            kind=Kind.CUSTOMER_REPLY,
            title=describe(Kind.CUSTOMER_REPLY, ticket),
            body=message.body_text[:500],
            key=f"reply:{message.pk}",
            ticket=ticket,
        )


def on_sla_event(payload: dict[str, Any]) -> None:
    from frontdesk.accounts.models import TeamMembership, User
    from frontdesk.notifications.models import Kind
    from frontdesk.notifications.services import describe, notify_many
    from frontdesk.notifications.webhooks import payload_ticket, webhook_event
    from frontdesk.tickets.models import Ticket

    ticket = Ticket.objects.select_related("assignee").filter(pk=payload["ticket_id"]).first()
    if ticket is None:
        return
    breach = payload.get("kind") == "breach"
    key = f"sla:{payload.get('kind')}:{ticket.pk}:{payload.get('target')}:{payload.get('cycle', 0)}"
    webhook_event(
        event="sla.breach" if breach else "sla.warning",
        payload={**payload_ticket(ticket), "sla": {"target": payload.get("target")}},
        key=key,
    )
    if ticket.assignee_id:
        people = [ticket.assignee]
    elif ticket.team_id:
        people = list(
            User.objects.filter(
                pk__in=TeamMembership.objects.filter(team_id=ticket.team_id, is_lead=True).values(
                    "user_id"
                )
            )
        )
    else:
        people = []
    kind = Kind.SLA_BREACH if breach else Kind.SLA_WARNING
    notify_many(users=people, kind=kind, title=describe(kind, ticket), key=key, ticket=ticket)


def on_sla_notify(payload: dict[str, Any]) -> None:
    """An escalation rule names people: they get an in-app notification (email is the sla
    app's own)."""
    from frontdesk.accounts.models import User
    from frontdesk.notifications.models import Kind
    from frontdesk.notifications.services import describe, notify
    from frontdesk.tickets.models import Ticket

    ticket = Ticket.objects.filter(pk=payload.get("ticket_id")).first()
    if ticket is None:
        return
    for user in User.objects.filter(pk__in=payload.get("user_ids") or []):
        notify(
            user=user,
            kind=Kind.ESCALATION,
            title=describe(Kind.ESCALATION, ticket),
            key=f"escalation:{payload.get('run_id')}",
            ticket=ticket,
        )


def on_feedback(payload: dict[str, Any]) -> None:
    from frontdesk.notifications.webhooks import payload_ticket, webhook_event
    from frontdesk.tickets.models import Ticket

    ticket = Ticket.objects.filter(pk=payload.get("ticket_id")).first()
    if ticket is None:
        return
    webhook_event(
        event="feedback.received",
        payload={
            **payload_ticket(ticket),
            "feedback": {"response_id": payload.get("response_id"), "kind": payload.get("kind")},
        },
        key=f"feedback:{payload.get('kind', 'csat')}:{payload.get('response_id')}",
    )


def register() -> None:
    subscribe("ticket.changed", on_ticket_changed)
    subscribe("message.created", on_message_created)
    subscribe("sla.warning", on_sla_event)
    subscribe("sla.breach", on_sla_event)
    subscribe("sla.notify", on_sla_notify)
    subscribe("feedback.received", on_feedback)

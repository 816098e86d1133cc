"""The automation app's reactions to outbox topics, registered from ``AutomationConfig.ready``.

Every handler takes ids, is idempotent (the engine's cursor and run keys) and does not
depend on the order it runs in.
"""

from __future__ import annotations

from typing import Any

from frontdesk.core.events import subscribe

TOPIC_TICKET_CHANGED = "ticket.changed"
TOPIC_MESSAGE_CREATED = "message.created"
TOPIC_SLA_WARNING = "sla.warning"
TOPIC_SLA_BREACH = "sla.breach"
TOPIC_FEEDBACK = "feedback.received"


def on_ticket_event(payload: dict[str, Any]) -> None:
    from frontdesk.automation.engine import ticket_events_process

    ticket_events_process(ticket_id=int(payload["ticket_id"]))


def on_sla_event(payload: dict[str, Any]) -> None:
    from frontdesk.automation.engine import sla_event_process

    sla_event_process(
        ticket_id=int(payload["ticket_id"]),
        kind=str(payload.get("kind", "")),
        target=str(payload.get("target", "")),
        cycle=int(payload.get("cycle", 0)),
    )


def on_feedback(payload: dict[str, Any]) -> None:
    from frontdesk.automation.engine import feedback_process

    if payload.get("ticket_id") and payload.get("response_id"):
        feedback_process(
            ticket_id=int(payload["ticket_id"]), response_id=int(payload["response_id"])
        )


def register() -> None:
    # One change arrives as "ticket.changed" and, for a message, "message.created" too; the
    # engine's cursor makes the second a no-op, whichever comes first.
    subscribe(TOPIC_TICKET_CHANGED, on_ticket_event)
    subscribe(TOPIC_MESSAGE_CREATED, on_ticket_event)
    subscribe(TOPIC_SLA_WARNING, on_sla_event)
    subscribe(TOPIC_SLA_BREACH, on_sla_event)
    subscribe(TOPIC_FEEDBACK, on_feedback)

"""The sla app's reactions to outbox topics, registered in one place (AppConfig.ready).

Every handler takes ids, is idempotent and does not depend on the order it runs in.
"""

from __future__ import annotations

from typing import Any

from frontdesk.core.events import subscribe

TOPIC_TICKET_CHANGED = "ticket.changed"
TOPIC_MESSAGE_CREATED = "message.created"
TOPIC_NOTIFY = "sla.notify"


def on_ticket_changed(payload: dict[str, Any]) -> None:
    from frontdesk.sla.services import sla_recompute

    sla_recompute(ticket_id=int(payload["ticket_id"]))


def on_sla_event(payload: dict[str, Any]) -> None:
    from frontdesk.sla.escalation import sla_event_react

    sla_event_react(
        ticket_id=int(payload["ticket_id"]),
        target=str(payload["target"]),
        cycle=int(payload.get("cycle", 0)),
        kind=str(payload["kind"]),
    )


def on_notify(payload: dict[str, Any]) -> None:
    from frontdesk.sla.escalation import escalation_email_send

    escalation_email_send(run_id=int(payload["run_id"]))


def register() -> None:
    from frontdesk.sla.services import TOPIC_BREACH, TOPIC_WARNING

    # A stored message also arrives as "ticket.changed"; reacting to both keeps the clocks
    # right whichever a future channel emits (the recompute is idempotent).
    subscribe(TOPIC_TICKET_CHANGED, on_ticket_changed)
    subscribe(TOPIC_MESSAGE_CREATED, on_ticket_changed)
    subscribe(TOPIC_WARNING, on_sla_event)
    subscribe(TOPIC_BREACH, on_sla_event)
    # "sla.notify" {ticket_id, run_id, user_ids}: who an escalation rule tells. Email here;
    # the in-app notifications app subscribes to the same topic.
    subscribe(TOPIC_NOTIFY, on_notify)

"""How the mail app reacts to ticket events (registered from ``MailConfig.ready``)."""

from __future__ import annotations

from typing import Any

from frontdesk.core.events import subscribe
from frontdesk.tickets.models import Channel, Message
from frontdesk.tickets.services import TOPIC_MESSAGE_CREATED


def on_message_created(payload: dict[str, Any]) -> None:
    """An agent's public reply goes out by mail; a new ticket by mail is acknowledged."""
    from frontdesk.mail.outbound import acknowledgement_queue, reply_queue

    message = (
        Message.objects.select_related("ticket", "ticket__requester", "author")
        .filter(pk=payload.get("message_id"))
        .first()
    )
    if message is None:
        return
    if message.from_agent:
        reply_queue(message=message)
    elif payload.get("ticket_created") and message.channel == Channel.EMAIL:
        acknowledgement_queue(message=message)


def register() -> None:
    subscribe(TOPIC_MESSAGE_CREATED, on_message_created)
